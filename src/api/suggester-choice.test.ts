import { describe, expect, it } from 'vitest';
import { ChosenSuggester } from './chosen-suggester';
import type { ChoiceStore, SavedChoice } from './suggester-choice';

/** One store for the choices of all three kinds, as localChoiceStore keeps them (here in memory). */
function memoryChoices() {
  const saved = new Map<string, SavedChoice>();
  const store: ChoiceStore = {
    get: (s, l) => saved.get(JSON.stringify([s, l])) ?? null,
    set: (s, l, c) => void (c ? saved.set(JSON.stringify([s, l]), c) : saved.delete(JSON.stringify([s, l]))),
    forget: (s) => [...saved.keys()].forEach((k) => JSON.parse(k)[0] === s && saved.delete(k)),
  };
  return { store, saved };
}

describe('one choice of suggester per (source, label column), whatever its kind', () => {
  it('keeps an embedding choice across a reload, replaces it with another kind, and forgets it for TF-IDF', () => {
    const { store, saved } = memoryChoices();
    const pick = new ChosenSuggester(null, store, 'k', 'sms', 'label');
    expect(pick.choice).toEqual({ kind: 'tfidf' });
    expect(pick.choose({ kind: 'embedding', model: ' bert-mini-mlm-embed ' }, undefined)).toBe(true);
    expect(pick.embeddingModel).toBe('bert-mini-mlm-embed');
    expect(pick.choose({ kind: 'embedding', model: 'bert-mini-mlm-embed' }, undefined)).toBe(false);
    expect([...saved.values()]).toEqual([{ suggester: { kind: 'embedding', model: 'bert-mini-mlm-embed' }, where: {} }]);
    // TF-IDF ↔ embedding: the old model answers until the new one trains, so the version does not jump.
    expect(pick.versionBump).toBe(0);

    // A reload: a new one reads the same entry; another label column has its own.
    const again = new ChosenSuggester(null, store, 'k', 'sms', 'label');
    expect(again.choice).toEqual({ kind: 'embedding', model: 'bert-mini-mlm-embed' });
    expect(new ChosenSuggester(null, store, 'k2', 'sms', 'other').choice).toEqual({ kind: 'tfidf' });

    // Without the database's infer a classifier is refused, and the saved choice stays as it was.
    expect(() => again.choose({ kind: 'classifier', model: 'bert-tiny-sentiment' }, undefined)).toThrow(/needs the database/);
    expect(saved.size).toBe(1);
    expect(() => again.choose({ kind: 'embedding', model: '' }, undefined)).toThrow(/needs a model id/);
    expect(() => again.choose({ kind: 'bag-of-words' } as never, undefined)).toThrow(/Unknown suggester kind/);

    expect(again.choose({ kind: 'tfidf' }, undefined)).toBe(true);
    expect(saved.size).toBe(0);
    expect(new ChosenSuggester(null, store, 'k', 'sms', 'label').choice).toEqual({ kind: 'tfidf' });
  });

  it('a saved classifier choice is restored only where a classifier can run', () => {
    const { store } = memoryChoices();
    store.set('uci', 'label', { suggester: { kind: 'classifier', model: 'bert-tiny-sentiment' }, where: { modelSource: 'served' } });
    expect(new ChosenSuggester(null, store, 'k', 'uci', 'label').choice).toEqual({ kind: 'tfidf' });
  });
});
