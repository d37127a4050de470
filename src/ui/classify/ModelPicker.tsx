import { useEffect, useId, useRef, useState } from 'react';
import { useDropZone } from '../hooks';
import type { FineTunedModel } from '../../api/fine-tune';
import { servedModels, type LocalModel } from '../../api/infer';
import { folderFromDrop, folderFromFileList } from './folder';

export type ModelChoice =
  | { kind: 'served'; id: string }
  | { kind: 'hub'; id: string; host: string }
  | { kind: 'local'; model: LocalModel | null }
  | { kind: 'fine-tuned'; id: string }
  | { kind: 'suggester'; id: string };

/** Whether a choice names a model yet. */
export const modelChosen = (c: ModelChoice) => (c.kind === 'local' ? !!c.model : !!c.id.trim());

/** The `model` (and where to look for it) that `infer` and `fineTune` take for a choice. */
export function modelOptions(c: ModelChoice): { model: string | LocalModel; modelSource?: 'served' | 'hub'; hubHost?: string } {
  switch (c.kind) {
    case 'served':
      return { model: c.id, modelSource: 'served' };
    case 'hub':
      return { model: c.id.trim(), modelSource: 'hub', hubHost: c.host };
    case 'local':
      return { model: c.model! };
    case 'fine-tuned':
    case 'suggester':
      return { model: c.id };
    default:
      return c satisfies never;
  }
}

export const DEFAULT_HOST = 'https://huggingface.co';

/** The model to classify with: one served with the app, a Hub id (from a configurable host), or a local folder. */
export function ModelPicker({
  value,
  onChange,
  fineTuned,
  suggester,
}: {
  value: ModelChoice;
  onChange: (c: ModelChoice) => void;
  fineTuned?: FineTunedModel[];
  /** The labelling workbench's suggester (`jammi:suggester:…`), offered when there is one: it needs no download. */
  suggester?: string;
}) {
  const kinds = [...(['served', 'hub', 'local'] as const), ...(fineTuned ? (['fine-tuned'] as const) : []), ...(suggester ? (['suggester'] as const) : [])];
  const id = useId();
  const [served, setServed] = useState<string[] | null>(null);
  // NOTE: the served list arrives after mount; by then the user may have picked another kind (a local folder), so the
  // default is applied to the choice as it is *then*, never to the one captured at mount.
  const latest = useRef({ value, onChange });
  latest.current = { value, onChange };
  useEffect(() => {
    let live = true;
    void servedModels().then((m) => {
      if (!live) return;
      setServed(m);
      const { value: now, onChange: change } = latest.current;
      if (now.kind === 'served' && !now.id && m.length) change({ kind: 'served', id: m[0] });
    });
    return () => {
      live = false;
    };
    // Once, on mount: only picks the first served model as the default.
  }, []);
  // Nothing served (e.g. `npm run dev` offline): the suggester is the default; it follows the current label column.
  useEffect(() => {
    if (!suggester) return;
    if ((value.kind === 'served' && !value.id && served?.length === 0) || (value.kind === 'suggester' && value.id !== suggester)) {
      onChange({ kind: 'suggester', id: suggester });
    }
  }, [suggester, served, value, onChange]);

  const drop = useDropZone(
    (data) =>
      void folderFromDrop(data.items).then((model) => {
        if (model) onChange({ kind: 'local', model });
      }),
  );

  return (
    <fieldset className="model-picker">
      <legend>Model</legend>
      <div role="radiogroup" aria-label="Model source" className="choices">
        {kinds.map((kind) => (
          <label key={kind}>
            <input
              type="radio"
              name={`${id}-kind`}
              checked={value.kind === kind}
              onChange={() =>
                onChange(
                  kind === 'served'
                    ? { kind, id: served?.[0] ?? '' }
                    : kind === 'hub'
                      ? { kind, id: '', host: DEFAULT_HOST }
                      : kind === 'local'
                        ? { kind, model: null }
                        : kind === 'suggester'
                          ? { kind, id: suggester ?? '' }
                          : { kind, id: fineTuned?.[fineTuned.length - 1]?.modelId ?? '' },
                )
              }
            />
            {{ served: 'Served with the app', hub: 'Hub id', local: 'Local folder', 'fine-tuned': 'Fine-tuned', suggester: 'Suggester (no download)' }[kind]}
          </label>
        ))}
      </div>
      {value.kind === 'served' &&
        (served && served.length === 0 ? (
          <p className="hint">No models are served with the app (start it with JAMMI_MODELS_DIR).</p>
        ) : (
          <label>
            Served model{' '}
            <select value={value.id} onChange={(e) => onChange({ kind: 'served', id: e.target.value })} aria-label="Served model">
              {(served ?? []).map((m) => (
                <option key={m}>{m}</option>
              ))}
            </select>
          </label>
        ))}
      {value.kind === 'suggester' && (
        <p className="hint">
          The labelling suggester (TF-IDF words and character n-grams, a linear classifier) as last retrained: <code>{value.id}</code>
        </p>
      )}
      {value.kind === 'hub' && (
        <>
          <label>
            Hub model id{' '}
            <input
              value={value.id}
              placeholder="Xenova/distilbert-base-uncased-finetuned-sst-2-english"
              onChange={(e) => onChange({ ...value, id: e.target.value })}
              aria-label="Hub model id"
              size={40}
            />
          </label>
          <label>
            Host <input value={value.host} onChange={(e) => onChange({ ...value, host: e.target.value })} aria-label="Hub host" size={30} />
          </label>
          <p className="hint">Downloaded once, then kept in this browser's cache (works offline afterwards).</p>
        </>
      )}
      {value.kind === 'fine-tuned' &&
        (fineTuned && fineTuned.length > 0 ? (
          <label>
            Fine-tuned model{' '}
            <select value={value.id} onChange={(e) => onChange({ kind: 'fine-tuned', id: e.target.value })} aria-label="Fine-tuned model">
              {fineTuned.map((m) => (
                <option key={m.modelId} value={m.modelId}>
                  {m.modelId} ({m.target} on {m.base.kind === 'local' ? m.base.name : m.base.id}: {m.labels.join(', ')})
                </option>
              ))}
            </select>
          </label>
        ) : (
          <p className="hint">No fine-tuned models yet: train one below, or load an adapter.</p>
        ))}
      {value.kind === 'local' && (
        <div
          className={drop.className}
          {...drop.props}
        >
          <label>
            Choose a model folder{' '}
            <input
              type="file"
              aria-label="Model folder"
              webkitdirectory=""
              multiple
              onChange={(e) => {
                const model = e.target.files ? folderFromFileList(e.target.files) : null;
                if (model) onChange({ kind: 'local', model });
              }}
            />
          </label>
          <p className="hint">
            {value.model
              ? `${value.model.name}: ${Object.keys(value.model.files).length} files (read here, never uploaded)`
              : 'or drop a folder with config.json, tokenizer.json and onnx/model.onnx here.'}
          </p>
        </div>
      )}
    </fieldset>
  );
}
