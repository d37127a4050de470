import { useEffect, useRef } from 'react';

export const KEYS: [string, string][] = [
  ['1 … 9', 'label the row with class 1–9'],
  ['Shift + 1 … 9', 'classes 10–18'],
  ['Enter or A', 'accept the suggestion'],
  ['Space', 'skip the row'],
  ['Backspace or Ctrl + Z', 'undo, back through the whole session'],
  ['/', 'filter the queue by keyword or regex (Esc clears)'],
  ['?', 'show or hide these keys'],
  ['Alt + D / L / T / C / E', 'go to Data, Label, Train, Classify, Export'],
];

/** The focused view's keys, as a small modal dialog (Esc or ? closes it). */
export function KeyHelp({ onClose }: { onClose: () => void }) {
  const close = useRef<HTMLButtonElement>(null);
  useEffect(() => close.current?.focus(), []);
  return (
    <div
      className="key-help"
      role="dialog"
      aria-modal="true"
      aria-labelledby="key-help-title"
      onKeyDown={(e) => {
        if (e.key === 'Escape' || e.key === '?') {
          e.preventDefault();
          e.stopPropagation();
          onClose();
        }
      }}
    >
      <h2 id="key-help-title">Keys</h2>
      <table>
        <tbody>
          {KEYS.map(([k, what]) => (
            <tr key={k}>
              <th scope="row">
                <kbd>{k}</kbd>
              </th>
              <td>{what}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <button type="button" ref={close} onClick={onClose}>
        Close
      </button>
    </div>
  );
}
