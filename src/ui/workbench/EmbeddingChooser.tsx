import { useEffect, useState } from 'react';
import { servedEmbeddingModels } from '../../api/embedding-suggester';
import type { EmbeddingStatus, SuggesterChoice, SuggesterKey } from '../../label/types';
import { folderFromFileList } from '../classify/folder';
import type { LabelApi } from './label-api';

const HUB = '__hub__';
const FOLDER = '__folder__';

/** The embedding pass in words: checking the cache, loading, rows embedded, ready, cancelled or failed. */
export function embeddingLine(e: EmbeddingStatus): string {
  const rows = (n: number) => n.toLocaleString('en-US');
  switch (e.state) {
    case 'embedding':
      if (e.phase === 'checking') return `Checking the embedding cache for ${e.model}…`;
      if (e.phase === 'loading') return `Loading ${e.model}…`;
      return `Embedding rows with ${e.model}: ${rows(e.done)} / ${rows(e.total)}${e.cached ? ` (${rows(e.cached)} from the cache)` : ''}`;
    case 'ready':
      return e.computed === 0
        ? `Embeddings of ${rows(e.total)} rows read from the cache (${e.model}), none computed again.`
        : `Embedded ${rows(e.computed)} rows with ${e.model} in ${(e.seconds ?? 0).toFixed(1)} s${e.cached ? ` (${rows(e.cached)} were cached)` : ''}; cached for the next retrain and visit.`;
    case 'cancelled':
      return `Embedding with ${e.model} was cancelled at ${rows(e.done)} / ${rows(e.total)} rows; what was embedded stays cached. Retrain to continue.`;
    case 'failed':
      return `Embedding with ${e.model} failed: ${e.error ?? 'unknown error'}`;
  }
}

/**
 * The embedding model of an embedding suggester: a served encoder (the app's models without a classification head),
 * a Hub id, or a local model folder. Choosing one applies it at once (its embedding pass starts).
 */
export function EmbeddingChooser({ api, current, choose, onError }: { api: LabelApi; current: string | null; choose: (c: SuggesterChoice) => void; onError: (message: string) => void }) {
  const [served, setServed] = useState<string[] | null>(null);
  const [hubId, setHubId] = useState('');
  const [open, setOpen] = useState<'' | typeof HUB | typeof FOLDER>('');
  useEffect(() => {
    let live = true;
    void servedEmbeddingModels().then(
      (m) => live && setServed(m),
      () => live && setServed([]),
    );
    return () => {
      live = false;
    };
  }, []);
  const models = [...new Set([...(served ?? []), ...(current ? [current] : [])])];
  return (
    <div className="embedding-chooser">
      <label>
        Embedding model{' '}
        <select
          aria-label="Embedding model"
          value={open || (current ?? '')}
          onChange={(ev) => {
            const v = ev.target.value;
            setOpen(v === HUB || v === FOLDER ? v : '');
            if (v && v !== HUB && v !== FOLDER) choose({ kind: 'embedding', model: v });
          }}
        >
          {!current && <option value="">{served === null ? 'Looking for served encoders…' : 'Choose a model…'}</option>}
          {models.map((m) => (
            <option key={m} value={m}>
              {m}
            </option>
          ))}
          <option value={HUB}>A Hub model id…</option>
          {typeof api.useLocalEmbeddingModel === 'function' && <option value={FOLDER}>A local model folder…</option>}
        </select>
      </label>
      {open === HUB && (
        <form
          className="hub-embedder"
          onSubmit={(ev) => {
            ev.preventDefault();
            if (!hubId.trim()) return;
            setOpen('');
            choose({ kind: 'embedding', model: hubId.trim() });
          }}
        >
          <label>
            Hub embedding model id{' '}
            <input value={hubId} onChange={(ev) => setHubId(ev.target.value)} placeholder="Xenova/all-MiniLM-L6-v2" aria-label="Hub embedding model id" size={32} autoFocus />
          </label>{' '}
          <button type="submit" disabled={!hubId.trim()}>
            Use
          </button>
        </form>
      )}
      {open === FOLDER && (
        <label className="folder-embedder">
          Embedding model folder{' '}
          <input
            type="file"
            aria-label="Embedding model folder"
            webkitdirectory=""
            multiple
            onChange={(ev) => {
              const model = ev.target.files ? folderFromFileList(ev.target.files) : null;
              if (!model || !api.useLocalEmbeddingModel) return;
              try {
                const id = api.useLocalEmbeddingModel(model);
                setOpen('');
                choose({ kind: 'embedding', model: id });
              } catch (e) {
                onError((e as Error).message);
              }
            }}
          />
          <span className="hint"> config.json, tokenizer.json and onnx/model.onnx (read here, never uploaded)</span>
        </label>
      )}
      <p className="hint">A softmax head retrains on the model's frozen embeddings of the rows after every N labels; the rows are embedded once and cached in this browser.</p>
    </div>
  );
}

/** The embedding pass's progress with Cancel, or how it ended. */
export function EmbeddingState({ e, api, keyOf }: { e: EmbeddingStatus | undefined; api: LabelApi; keyOf: SuggesterKey }) {
  if (!e) return <p className="hint">The embeddings are read from the cache (or computed once) at the next retrain.</p>;
  const running = e.state === 'embedding';
  return (
    <div className="embedding-progress" role="status" aria-live="polite" data-testid="embedding-status" data-state={e.state} data-computed={e.computed} data-cached={e.cached}>
      {running && <progress max={Math.max(1, e.total)} value={e.done} aria-label="Embedding progress" />}
      <span>{embeddingLine(e)}</span>
      {running && (
        <button type="button" onClick={() => api.cancelSuggesterEmbedding?.(keyOf)}>
          Cancel embedding
        </button>
      )}
    </div>
  );
}
