import { describe, expect, test } from 'vitest';
import { classIndexOf, classKey } from './keys';
import { formatPlace, parsePlace } from './location';

describe('labelling keys', () => {
  test('1–9 pick classes 0–8, Shift+1–9 classes 9–17, whatever character the layout gives', () => {
    expect(classIndexOf({ code: 'Digit1', key: '1', shiftKey: false })).toBe(0);
    expect(classIndexOf({ code: 'Digit9', key: '9', shiftKey: false })).toBe(8);
    expect(classIndexOf({ code: 'Digit1', key: '!', shiftKey: true })).toBe(9); // US layout
    expect(classIndexOf({ code: 'Digit3', key: '"', shiftKey: true })).toBe(11); // another layout's Shift+3
    expect(classIndexOf({ code: 'Numpad4', key: '4', shiftKey: false })).toBe(3);
    expect(classIndexOf({ code: 'Digit0', key: '0', shiftKey: false })).toBeNull();
    expect(classIndexOf({ code: 'KeyA', key: 'a', shiftKey: false })).toBeNull();
    expect(classIndexOf({ code: 'Space', key: ' ', shiftKey: false })).toBeNull();
  });
  test('each class shows the key that picks it', () => {
    for (let i = 0; i < 18; i++) {
      const k = classKey(i);
      const shift = k.startsWith('⇧');
      const digit = shift ? k.slice(1) : k;
      expect(classIndexOf({ code: `Digit${digit}`, key: digit, shiftKey: shift })).toBe(i);
    }
    expect(classKey(18)).toBe('');
    expect(classKey(-1)).toBe('');
  });
});

describe('the place in the URL hash', () => {
  test('round-trips step, source, columns and view (names with odd characters too)', () => {
    const place = { step: 'label', source: 'my reviews/2024 & more', labelColumn: 'label', textColumn: 'body text', view: 'bulk' } as const;
    const hash = formatPlace(place);
    expect(hash.startsWith('#label?')).toBe(true);
    expect(parsePlace(hash)).toEqual(place);
  });
  test('an unknown or empty hash is the Data step, focused view', () => {
    expect(parsePlace('')).toEqual({ step: 'data', source: null, labelColumn: '', textColumn: '', view: 'focused' });
    expect(parsePlace('#nonsense?view=sideways')).toMatchObject({ step: 'data', view: 'focused' });
    expect(formatPlace({ step: 'train', source: null, labelColumn: '', textColumn: '', view: 'focused' })).toBe('#train');
  });
});
