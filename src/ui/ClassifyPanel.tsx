import { useEffect, useId, useRef, useState } from 'react';
import type { Table } from 'apache-arrow';
import type { Database } from '../api/database';
import type { BackendChoice, Dtype, InferOptions, InferProgress } from '../api/infer';
import { ModelPicker, modelChosen, modelOptions, type ModelChoice } from './classify/ModelPicker';
import { ResultsView } from './classify/ResultsView';
import { useFineTuned } from './hooks';
import './classify/classify.css';

interface Run {
  state: 'running' | 'done' | 'failed' | 'cancelled';
  progress?: InferProgress;
  message?: string;
  results?: Table;
  /** Settings the results were made with (for evaluation and the table beside the source). */
  keyColumn?: string;
  columns: string[];
  controller: AbortController;
}

const formatEta = (seconds: number) =>
  !Number.isFinite(seconds) ? '…' : seconds < 60 ? `${Math.ceil(seconds)} s` : `${Math.floor(seconds / 60)} min ${Math.ceil(seconds % 60)} s`;

/** Classify the text of a source: pick columns, key and model, run with progress and Cancel, explore the result. */
export function ClassifyPanel({ db, source, textColumn, suggester }: { db: Database; source: string | null; textColumn?: string; suggester?: string }) {
  const id = useId();
  const [table, setTable] = useState<Table | null>(null);
  const [columns, setColumns] = useState<string[]>([]);
  const [key, setKey] = useState('');
  const [model, setModel] = useState<ModelChoice>({ kind: 'served', id: '' });
  const [backend, setBackend] = useState<BackendChoice>('auto');
  const [dtype, setDtype] = useState<Dtype | ''>('');
  const [batchSize, setBatchSize] = useState(32);
  const [run, setRun] = useState<Run | null>(null);
  const runRef = useRef<Run | null>(null);
  const fineTuned = useFineTuned(db);

  useEffect(() => {
    let live = true;
    setRun(null);
    setTable(null);
    if (source) {
      void db.getSource(source).then(
        (t) => {
          if (!live) return;
          setTable(t);
          const names = t.schema.fields.map((f) => f.name);
          setColumns(textColumn && names.includes(textColumn) ? [textColumn] : names.includes('text') ? ['text'] : names.slice(0, 1));
          setKey(names.includes('id') ? 'id' : '');
        },
        () => live && setTable(null),
      );
    }
    return () => {
      live = false;
      runRef.current?.controller.abort(); // another source, or the panel goes away: stop its run
    };
  }, [db, source, textColumn]);

  if (!source || !table) return null;
  const names = table.schema.fields.map((f) => f.name);
  const modelReady = modelChosen(model);
  const running = run?.state === 'running';

  const start = () => {
    const controller = new AbortController();
    const next: Run = { state: 'running', columns, keyColumn: key || undefined, controller };
    runRef.current = next;
    setRun(next);
    const update = (patch: Partial<Run>) => setRun((r) => (r && r.controller === controller ? { ...r, ...patch } : r));
    const options: InferOptions = {
      source,
      columns,
      key: key || undefined,
      task: 'classification',
      backend,
      dtype: dtype || undefined,
      batchSize,
      signal: controller.signal,
      onProgress: (progress) => update({ progress }),
      ...modelOptions(model),
    };
    db.infer(options).then(
      (results) => update({ state: 'done', results }),
      (e: Error) => update({ state: e.name === 'AbortError' ? 'cancelled' : 'failed', message: e.message }),
    );
  };

  const p = run?.progress;
  const eta = p && p.rowsPerSecond > 0 ? (p.total - p.rows) / p.rowsPerSecond : Infinity;
  return (
    <section className="panel classify" aria-labelledby={`${id}-heading`}>
      <h2 id={`${id}-heading`}>Classify text</h2>
      <div className="classify-form">
        <fieldset>
          <legend>Text columns (joined with a space)</legend>
          {names.map((n) => (
            <label key={n}>
              <input
                type="checkbox"
                checked={columns.includes(n)}
                onChange={(e) => setColumns((cs) => (e.target.checked ? names.filter((x) => x === n || cs.includes(x)) : cs.filter((x) => x !== n)))}
              />
              {n}
            </label>
          ))}
        </fieldset>
        <ModelPicker value={model} onChange={setModel} fineTuned={fineTuned} suggester={suggester} />
        <details className="advanced">
          <summary>Advanced</summary>
        <label>
          Key column{' '}
          <select value={key} onChange={(e) => setKey(e.target.value)} aria-label="Key column">
            <option value="">row number</option>
            {names.map((n) => (
              <option key={n}>{n}</option>
            ))}
          </select>
        </label>
        <label>
          Backend{' '}
          <select value={backend} onChange={(e) => setBackend(e.target.value as BackendChoice)} aria-label="Backend">
            <option value="auto">auto (WebGPU if available)</option>
            <option value="webgpu">WebGPU</option>
            <option value="wasm">WASM (CPU)</option>
          </select>
        </label>
        <label>
          Precision{' '}
          <select value={dtype} onChange={(e) => setDtype(e.target.value as Dtype | '')} aria-label="Precision">
            <option value="">default (fp32 on WebGPU, q8 on WASM if present)</option>
            <option value="fp32">fp32</option>
            <option value="q8">q8</option>
            <option value="fp16">fp16</option>
          </select>
        </label>
        <label>
          Batch size{' '}
          <input type="number" min={1} max={512} value={batchSize} onChange={(e) => setBatchSize(Math.max(1, Math.floor(Number(e.target.value) || 1)))} aria-label="Batch size" />
        </label>
        </details>
        <div className="actions">
          <button type="button" className="primary" onClick={start} disabled={running || columns.length === 0 || !modelReady}>
            Run
          </button>
          {running && (
            <button type="button" onClick={() => run?.controller.abort()}>
              Cancel
            </button>
          )}
        </div>
      </div>
      {run && (
        <div className="run-status" aria-live="polite">
          {run.state === 'running' && (
            <>
              <progress max={p?.total ?? 1} value={p?.rows ?? 0} aria-label="Classification progress" />
              <span data-testid="classify-progress">
                {p ? `${p.rows.toLocaleString('en-US')} / ${p.total.toLocaleString('en-US')} rows · ${p.rowsPerSecond.toFixed(1)} rows/s · ETA ${formatEta(eta)}` : 'Loading the model…'}
              </span>
            </>
          )}
          {run.state === 'failed' && <p role="alert">{run.message}</p>}
          {run.state === 'cancelled' && <p>Cancelled.</p>}
        </div>
      )}
      {run?.state === 'done' && run.results && (
        <ResultsView db={db} sourceName={source} source={table} results={run.results} keyColumn={run.keyColumn} textColumns={run.columns} />
      )}
    </section>
  );
}
