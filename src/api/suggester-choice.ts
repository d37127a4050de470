/**
 * The suggester chosen per (source, label column) — TF-IDF, an embedding model or a classifier — checked when it is
 * set, and kept in localStorage (one entry per label column, whatever the kind) so that a reload suggests with the
 * same model. A local folder is kept by name only (its files stay where they were picked).
 */
import type { ClassifierSource, SuggesterChoice } from '../label/types';
import { JammiError } from '../errors';

/** Where a classifier comes from, as kept: a folder by its name after a reload (`folderName`). */
export type ClassifierWhere = ClassifierSource & { folderName?: string };

export interface SavedChoice {
  suggester: SuggesterChoice;
  where: ClassifierWhere;
}

export interface ChoiceStore {
  get(source: string, labelColumn: string): SavedChoice | null;
  /** null: back to the default (TF-IDF). */
  set(source: string, labelColumn: string, choice: SavedChoice | null): void;
  forget(source: string): void;
}

/** A suggester choice as given to `setSuggesterOptions`, checked. */
export function checkChoice(c: unknown): SuggesterChoice {
  const kinds = "'tfidf', 'embedding' or 'classifier'";
  if (c === null || typeof c !== 'object') throw new JammiError('bad_input', `suggester must be { kind: ${kinds} } (got ${JSON.stringify(c)}).`);
  const { kind, model } = c as { kind?: unknown; model?: unknown };
  if (kind === 'tfidf') return { kind };
  if (kind !== 'embedding' && kind !== 'classifier') throw new JammiError('bad_input', `Unknown suggester kind ${JSON.stringify(kind)}; use ${kinds}.`);
  const what = kind === 'classifier' ? "a served model, a Hub id, a fine-tuned model id or a folder's name" : 'a served encoder, a Hub id, or local:<folder name> from useLocalEmbeddingModel';
  if (typeof model !== 'string' || !model.trim()) throw new JammiError('bad_input', `A ${kind} suggester needs a model id (${what}).`);
  return { kind, model: model.trim() };
}

/** Checks where a classifier comes from (the folder's files, the Hub host as text). */
export function checkSource(where: unknown, model: string): ClassifierSource {
  if (where === undefined || where === null) return {};
  if (typeof where !== 'object') throw new JammiError('bad_input', 'classifierSource must be an object: { modelSource, hubHost, revision, folder }.');
  const w = where as ClassifierSource;
  if (w.modelSource !== undefined && !['auto', 'served', 'hub'].includes(w.modelSource)) throw new JammiError('bad_input', `Unknown modelSource "${w.modelSource}"; use "auto", "served" or "hub".`);
  if (w.folder !== undefined) {
    if (!w.folder || typeof w.folder.name !== 'string' || !w.folder.files || typeof w.folder.files !== 'object') throw new JammiError('bad_input', 'A local folder needs a name and its files.');
    if (w.folder.name !== model) throw new JammiError('bad_input', `The suggester's model "${model}" must be the folder's name ("${w.folder.name}").`);
  }
  return w;
}

const PREFIX = 'jammi:suggester-choice:';
const keyOf = (source: string, labelColumn: string) => `${PREFIX}${JSON.stringify([source, labelColumn])}`;

/** The choices in this origin's localStorage (null where there is none, e.g. in Node). */
export function localChoiceStore(): ChoiceStore | null {
  if (typeof localStorage === 'undefined') return null;
  return {
    get(source, labelColumn) {
      try {
        const saved = JSON.parse(localStorage.getItem(keyOf(source, labelColumn)) ?? 'null') as { suggester?: unknown; where?: ClassifierWhere } | null;
        if (!saved) return null;
        const suggester = checkChoice(saved.suggester);
        const { modelSource, hubHost, revision, folderName } = saved.where ?? {};
        return { suggester, where: { ...(modelSource ? { modelSource } : {}), ...(hubHost ? { hubHost } : {}), ...(revision ? { revision } : {}), ...(folderName ? { folderName } : {}) } };
      } catch {
        return null; // damaged or from another version: the default
      }
    },
    set(source, labelColumn, choice) {
      try {
        if (!choice || choice.suggester.kind === 'tfidf') return localStorage.removeItem(keyOf(source, labelColumn));
        const { folder, ...rest } = choice.where;
        localStorage.setItem(keyOf(source, labelColumn), JSON.stringify({ suggester: choice.suggester, where: { ...rest, ...(folder ? { folderName: folder.name } : {}) } }));
      } catch (e) {
        console.warn('jammi: the suggester choice was not kept for the next visit', e);
      }
    },
    forget(source) {
      const drop: string[] = [];
      for (let i = 0; i < localStorage.length; i++) {
        const k = localStorage.key(i);
        if (k?.startsWith(PREFIX) && (JSON.parse(k.slice(PREFIX.length)) as string[])[0] === source) drop.push(k);
      }
      for (const k of drop) localStorage.removeItem(k);
    },
  };
}
