/** The labelling keys: which class a key picks, and how a class's key is written. */

/** The class index a key picks: 1–9 → 0–8, Shift+1–9 → 9–17 (by key position, so any keyboard layout works). */
export function classIndexOf(e: { code: string; key: string; shiftKey: boolean }): number | null {
  const digit = /^(?:Digit|Numpad)([1-9])$/.exec(e.code)?.[1] ?? (/^[1-9]$/.test(e.key) ? e.key : null);
  return digit ? Number(digit) - 1 + (e.shiftKey ? 9 : 0) : null;
}

/** The key that picks class `i` (0-based): 1–9, then ⇧1–⇧9 for 10–18; none beyond. */
export const classKey = (i: number) => (i < 0 ? '' : i < 9 ? String(i + 1) : i < 18 ? `⇧${i - 8}` : '');
