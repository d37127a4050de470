import { useRef, useState } from 'react';
import type { Database } from '../../api/database';
import { exportFolderName } from '../../api/export-model';
import { adapterZip, type FineTunedModel } from '../../api/fine-tune';
import { downloadBlob } from '../download';

const fileName = (m: FineTunedModel) => `${m.modelId.replace(/[^a-z0-9-]+/gi, '_')}-adapter.zip`;

/** Fine-tuned and loaded adapters: download one as a zip, export one as an ONNX model folder (zip), remove one, or load one (a zip or its two files). */
export function FineTunedList({ db, models }: { db: Database; models: FineTunedModel[] }) {
  const input = useRef<HTMLInputElement>(null);
  const [message, setMessage] = useState<{ error: boolean; text: string } | null>(null);
  const [exporting, setExporting] = useState<string | null>(null);
  const exportModel = async (m: FineTunedModel) => {
    setMessage(null);
    setExporting(m.modelId);
    try {
      const folder = exportFolderName(m.base.kind === 'local' ? m.base.name : m.base.id, m.id);
      downloadBlob(await db.exportModel(m.modelId, { format: 'zip' }), `${folder}.zip`);
      setMessage({ error: false, text: `Exported ${m.modelId} as ${folder}.zip: an ONNX model folder for onnxruntime, transformers.js or this app.` });
    } catch (e) {
      setMessage({ error: true, text: (e as Error).message });
    } finally {
      setExporting(null);
    }
  };
  const load = async (files: File[]) => {
    setMessage(null);
    try {
      const id = await db.loadAdapter(files.length === 1 ? files[0] : files);
      setMessage({ error: false, text: `Loaded as ${id}: pick it under "Fine-tuned" in Classify text.` });
    } catch (e) {
      setMessage({ error: true, text: (e as Error).message });
    }
  };
  return (
    <section className="fine-tuned" aria-label="Fine-tuned models">
      <h3>Fine-tuned models</h3>
      {models.length === 0 ? (
        <p className="hint">None yet: train one above, or load an adapter.</p>
      ) : (
        <ul>
          {models.map((m) => (
            <li key={m.modelId}>
              <code>{m.modelId}</code> · {m.target} on {m.base.kind === 'local' ? m.base.name : m.base.id} · {m.labels.join(', ')}
              {m.report && <> · {m.report.status}{m.report.validation && <>, val accuracy {(100 * m.report.validation.accuracy).toFixed(1)}%</>}</>}
              <button type="button" onClick={() => void db.exportAdapter(m.modelId).then(adapterZip).then((z) => downloadBlob(z, fileName(m)))}>
                Download adapter
              </button>
              <button type="button" disabled={exporting !== null} onClick={() => void exportModel(m)}>
                {exporting === m.modelId ? 'Exporting…' : 'Export as model'}
              </button>
              <button
                type="button"
                aria-label={`Remove ${m.modelId}`}
                onClick={() => window.confirm(`Remove ${m.modelId} from this browser?`) && void db.removeFineTuned(m.modelId)}
              >
                Remove
              </button>
            </li>
          ))}
        </ul>
      )}
      <button type="button" onClick={() => input.current?.click()}>
        Load adapter…
      </button>
      <input
        ref={input}
        type="file"
        multiple
        hidden
        accept=".zip,.json,.safetensors"
        data-testid="adapter-input"
        onChange={(e) => {
          void load([...(e.target.files ?? [])]);
          e.target.value = '';
        }}
      />
      {message && <p role={message.error ? 'alert' : 'status'}>{message.text}</p>}
    </section>
  );
}
