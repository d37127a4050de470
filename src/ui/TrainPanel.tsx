import { useEffect, useId, useState } from 'react';
import type { Database } from '../api/database';
import { defaultConfig, type FineTuneConfig, type FineTuneReport, type FineTuneTarget, type Job, type TrainBackend } from '../api/fine-tune';
import { ConfusionMatrix } from './ConfusionMatrix';
import { useFineTuned } from './hooks';
import { ModelPicker, modelChosen, modelOptions, type ModelChoice } from './classify/ModelPicker';
import { ConfigForm } from './train/ConfigForm';
import { FineTunedList } from './train/FineTunedList';
import { LossChart } from './train/LossChart';
import './train/train.css';

const formatEta = (s: number) => (!Number.isFinite(s) ? '…' : s < 60 ? `${Math.ceil(s)} s` : `${Math.floor(s / 60)} min ${Math.ceil(s % 60)} s`);

interface Run {
  job: Job;
  losses: number[];
  report?: FineTuneReport;
  error?: string;
}

/** Fine-tune a LoRA adapter on a source's labelled rows, watch it learn, and keep, download or load adapters. */
export function TrainPanel({ db, source, textColumn, labelColumn }: { db: Database; source: string | null; textColumn?: string; labelColumn?: string }) {
  const id = useId();
  const [names, setNames] = useState<string[]>([]);
  const [text, setText] = useState('');
  const [label, setLabel] = useState('');
  const [target, setTarget] = useState<FineTuneTarget>('encoder');
  const [model, setModel] = useState<ModelChoice>({ kind: 'served', id: '' });
  const [backend, setBackend] = useState<TrainBackend>('auto');
  const [config, setConfig] = useState<FineTuneConfig>(defaultConfig('encoder'));
  const [run, setRun] = useState<Run | null>(null);
  const [startError, setStartError] = useState<string | null>(null);
  const models = useFineTuned(db);
  const [, redraw] = useState(0);

  useEffect(() => {
    let live = true;
    if (source) {
      void db.getSource(source).then((t) => {
        if (!live) return;
        const ns = t.schema.fields.map((f) => f.name);
        setNames(ns);
        setText(textColumn && ns.includes(textColumn) ? textColumn : ns.includes('text') ? 'text' : ns[0] ?? '');
        setLabel(labelColumn && ns.includes(labelColumn) ? labelColumn : ns.includes('label') ? 'label' : ns[ns.length - 1] ?? '');
      });
    }
    return () => {
      live = false;
    };
  }, [db, source, textColumn, labelColumn]);

  if (!source) return null;
  const job = run?.job;
  const active = job?.status === 'running' || job?.status === 'queued';
  const modelReady = modelChosen(model);

  const start = async () => {
    setStartError(null);
    const { model: baseModel, ...where } = modelOptions(model);
    try {
      const j = await db.fineTune({
        source,
        columns: { text, label },
        target,
        backend,
        config,
        baseModel,
        ...where,
      });
      const next: Run = { job: j, losses: [] };
      setRun(next);
      j.onProgress((p) => p.step > next.losses.length && next.losses.push(p.loss)); // heartbeats repeat a step
      j.onChange(() => redraw((n) => n + 1));
      j.wait().then(
        (report) => setRun((r) => (r?.job === j ? { ...r, report } : r)),
        (e: Error) => setRun((r) => (r?.job === j ? { ...r, error: e.message } : r)),
      );
    } catch (e) {
      setStartError((e as Error).message);
    }
  };

  const p = job?.lastProgress;
  const stepsPerEpoch = p ? Math.ceil(p.totalSteps / Math.max(1, config.epochs)) : 1;
  return (
    <section className="panel train" aria-labelledby={`${id}-heading`}>
      <h2 id={`${id}-heading`}>Fine-tune (LoRA)</h2>
      <div className="train-form">
        <label>
          Text column{' '}
          <select value={text} onChange={(e) => setText(e.target.value)} aria-label="Training text column" disabled={active}>
            {names.map((n) => (
              <option key={n}>{n}</option>
            ))}
          </select>
        </label>
        <label>
          Label column{' '}
          <select value={label} onChange={(e) => setLabel(e.target.value)} aria-label="Training label column" disabled={active}>
            {names.map((n) => (
              <option key={n}>{n}</option>
            ))}
          </select>
        </label>
        <fieldset disabled={active}>
          <legend>Target</legend>
          {(['encoder', 'head'] as const).map((t) => (
            <label key={t}>
              <input
                type="radio"
                name={`${id}-target`}
                checked={target === t}
                onChange={() => {
                  setTarget(t);
                  setConfig(defaultConfig(t));
                }}
              />
              {t === 'encoder' ? 'Encoder: LoRA in attention + classifier (our engine)' : 'Head: projection head on frozen embeddings (fast)'}
            </label>
          ))}
        </fieldset>
        <ModelPicker value={model} onChange={setModel} />
        <details className="advanced">
          <summary>Advanced</summary>
          <label>
            Backend{' '}
            <select value={backend} onChange={(e) => setBackend(e.target.value as TrainBackend)} aria-label="Training backend" disabled={active}>
              <option value="auto">auto (WebGPU if available)</option>
              <option value="webgpu">WebGPU</option>
              <option value="wasm">CPU</option>
            </select>
          </label>
          <ConfigForm value={config} onChange={setConfig} disabled={active} />
        </details>
        <div className="actions">
          <button type="button" onClick={() => setConfig(defaultConfig(target))} disabled={active}>
            Reset settings
          </button>
          <button type="button" className="primary" onClick={() => void start()} disabled={active || !modelReady || !text || !label}>
            Start training
          </button>
          {active && (
            <button type="button" onClick={() => job!.cancel()}>
              Cancel
            </button>
          )}
        </div>
        {startError && <p role="alert">{startError}</p>}
      </div>
      {job && (
        <div className="train-run" aria-live="polite">
          <p data-testid="train-status">
            <strong>{job.status}</strong> {job.phase && job.status === 'running' && <>· {job.phase.detail}</>} · <code>{job.modelId}</code>
          </p>
          {p && (
            <>
              <progress max={p.totalSteps} value={p.step} aria-label="Training progress" />
              <p className="stats">
                epoch {p.epoch} · step {p.step} / {p.totalSteps} · loss {p.loss.toFixed(4)} · lr {p.learningRate.toExponential(2)} ·{' '}
                {p.examplesPerSecond.toFixed(1)} examples/s · ETA {formatEta(p.eta)}
              </p>
            </>
          )}
          {p && <LossChart losses={run!.losses} totalSteps={p.totalSteps} epochs={job.metrics} stepsPerEpoch={stepsPerEpoch} />}
          {run?.error && <p role="alert">{run.error}</p>}
          {run?.report && <ReportView report={run.report} />}
        </div>
      )}
      <FineTunedList db={db} models={models} />
    </section>
  );
}

function ReportView({ report }: { report: FineTuneReport }) {
  return (
    <div className="train-report">
      <table className="metrics">
        <caption>
          Per epoch ({report.trainRows} training rows, {report.validationRows} validation rows, {report.backend === 'webgpu' ? 'WebGPU' : 'CPU'},{' '}
          {report.seconds.toFixed(1)} s{report.bestEpoch !== null && <>; kept epoch {report.bestEpoch}</>}
          {report.stoppedEarly && <>; stopped early</>})
        </caption>
        <thead>
          <tr>
            <th scope="col">epoch</th>
            <th scope="col">train loss</th>
            <th scope="col">val loss</th>
            <th scope="col">val accuracy</th>
            <th scope="col">val macro-F1</th>
          </tr>
        </thead>
        <tbody>
          {report.epochs.map((e) => (
            <tr key={e.epoch} className={e.epoch === report.bestEpoch ? 'best' : undefined}>
              <td>{e.epoch}</td>
              <td>{e.trainLoss.toFixed(4)}</td>
              <td>{e.valLoss?.toFixed(4) ?? '–'}</td>
              <td>{e.valAccuracy !== null ? `${(100 * e.valAccuracy).toFixed(1)}%` : '–'}</td>
              <td>{e.valMacroF1?.toFixed(3) ?? '–'}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {report.validation && <ConfusionMatrix labels={report.validation.confusion.labels} matrix={report.validation.confusion.matrix} caption="Validation confusion matrix (kept checkpoint)" />}
      {report.warnings.map((w) => (
        <p key={w} className="warning">
          ⚠ {w}
        </p>
      ))}
    </div>
  );
}
