import { useEffect, useId, useState } from 'react';
import { servedEmbeddingModels } from '../../api/embedding-suggester';
import type { EmbeddingStatus, SuggesterChoice, SuggesterStatus } from '../../label/types';
import { folderFromFileList } from '../classify/folder';
import { useWorkbench } from './context';
import { labelApi } from './label-api';

const HUB = '__hub__';
const FOLDER = '__folder__';

/** The active suggester in words. */
export function suggesterName(choice: SuggesterChoice | undefined): string {
  if (!choice || choice.kind === 'tfidf') return 'TF-IDF linear classifier (no download)';
  return choice.kind === 'embedding' ? `Softmax head on ${choice.model} embeddings` : `${choice.model}'s own predictions`;
}

function embeddingLine(e: EmbeddingStatus): string {
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
 * Which suggester makes the suggestions: TF-IDF (the default, nothing downloaded) or a softmax head on an embedding
 * model's frozen embeddings (a served encoder, or a Hub id). The database keeps the choice per source and label
 * column across reloads; this shows it, the embedding pass's progress (with Cancel), and what is active.
 */
export function SuggesterPicker({ status }: { status: SuggesterStatus | null }) {
  const w = useWorkbench();
  const id = useId();
  const api = labelApi(w.db);
  const [served, setServed] = useState<string[] | null>(null);
  const [hubId, setHubId] = useState('');
  const [hubOpen, setHubOpen] = useState(false);
  const [folderOpen, setFolderOpen] = useState(false);
  const [error, setError] = useState<string | null>(null);
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
  if (!api || !w.source || !w.labelColumn || typeof api.setSuggesterOptions !== 'function') return null;
  const key = { source: w.source, labelColumn: w.labelColumn, textColumn: w.textColumn };
  const choice = status?.suggester ?? { kind: 'tfidf' as const };
  const current = choice.kind === 'embedding' ? choice.model : 'tfidf';
  const choose = (next: SuggesterChoice) => {
    setError(null);
    try {
      api.setSuggesterOptions({ ...key, suggester: next });
    } catch (e) {
      setError((e as Error).message);
    }
  };
  const models = [...new Set([...(served ?? []), ...(choice.kind === 'embedding' ? [choice.model] : [])])];
  const e = status?.embedding;
  const running = e?.state === 'embedding';
  return (
    <div className="suggester-picker">
      <label>
        Suggester{' '}
        <select
          aria-label="Suggester model"
          value={hubOpen ? HUB : folderOpen ? FOLDER : current}
          onChange={(ev) => {
            const v = ev.target.value;
            setHubOpen(v === HUB);
            setFolderOpen(v === FOLDER);
            if (v === HUB || v === FOLDER) return;
            choose(v === 'tfidf' ? { kind: 'tfidf' } : { kind: 'embedding', model: v });
          }}
        >
          <option value="tfidf">TF-IDF (no download)</option>
          {models.map((m) => (
            <option key={m} value={m}>
              Embeddings: {m}
            </option>
          ))}
          <option value={HUB}>Embeddings: a Hub model id…</option>
          {typeof api.useLocalEmbeddingModel === 'function' && <option value={FOLDER}>Embeddings: a local model folder…</option>}
        </select>
      </label>
      {hubOpen && (
        <form
          className="hub-embedder"
          onSubmit={(ev) => {
            ev.preventDefault();
            if (!hubId.trim()) return;
            setHubOpen(false);
            choose({ kind: 'embedding', model: hubId.trim() });
          }}
        >
          <label>
            Hub embedding model id{' '}
            <input id={`${id}-hub`} value={hubId} onChange={(ev) => setHubId(ev.target.value)} placeholder="Xenova/all-MiniLM-L6-v2" aria-label="Hub embedding model id" size={32} autoFocus />
          </label>{' '}
          <button type="submit" disabled={!hubId.trim()}>
            Use
          </button>
        </form>
      )}
      {folderOpen && (
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
              setError(null);
              try {
                const id = api.useLocalEmbeddingModel(model);
                setFolderOpen(false);
                choose({ kind: 'embedding', model: id });
              } catch (e) {
                setError((e as Error).message);
              }
            }}
          />
          <span className="hint"> config.json, tokenizer.json and onnx/model.onnx (read here, never uploaded)</span>
        </label>
      )}
      <p className="hint" data-testid="active-suggester" data-kind={choice.kind} data-model={choice.kind === 'embedding' ? choice.model : ''}>
        Active: {suggesterName(choice)}
        {choice.kind === 'embedding' && status && status.version > 0 && !running ? ` · model v${status.version}` : ''}
      </p>
      {choice.kind === 'embedding' && e && (
        <div className="embedding-progress" role="status" aria-live="polite" data-testid="embedding-status" data-state={e.state} data-computed={e.computed} data-cached={e.cached}>
          {running && <progress max={Math.max(1, e.total)} value={e.done} aria-label="Embedding progress" />}
          <span>{embeddingLine(e)}</span>
          {running && (
            <button type="button" onClick={() => api.cancelSuggesterEmbedding?.(key)}>
              Cancel embedding
            </button>
          )}
        </div>
      )}
      {choice.kind === 'embedding' && !e && <p className="hint">The embeddings are read from the cache (or computed once) at the next retrain.</p>}
      {error && <p role="alert">{error}</p>}
    </div>
  );
}
