import { useState } from 'react';
import { downloadBlob } from '../download';
import { useWorkbench } from '../workbench/context';

/** Step 5: the source with its labels as Arrow or CSV (classification results export from Classify, adapters from Train). */
export function ExportStep() {
  const w = useWorkbench();
  const [error, setError] = useState<string | null>(null);
  if (!w.source || !w.table) return <p className="empty">Load a source first.</p>;
  const source = w.source;
  const labelled = w.labelColumn ? w.table.numRows - w.unlabelled : 0;
  const exportAs = async (format: 'arrow' | 'csv' | 'parquet') => {
    setError(null);
    try {
      downloadBlob(await w.db.export(source, format), `${source}.${format}`);
    } catch (e) {
      setError((e as Error).message);
    }
  };
  return (
    <section className="panel" aria-labelledby="export-heading">
      <h2 id="export-heading">Export {source}</h2>
      <p>
        {w.table.numRows.toLocaleString('en-US')} rows × {w.table.numCols} columns
        {w.labelColumn && (
          <>
            {' '}
            · {labelled.toLocaleString('en-US')} labelled in <code>{w.labelColumn}</code>
          </>
        )}
        . Every column goes out, labels included.
      </p>
      <div className="actions">
        <button type="button" onClick={() => void exportAs('arrow')}>
          Export Arrow
        </button>
        <button type="button" onClick={() => void exportAs('csv')}>
          Export CSV
        </button>
        <button type="button" onClick={() => void exportAs('parquet')}>
          Export Parquet
        </button>
      </div>
      <p className="hint">Classification results export from the Classify step; fine-tuned adapters download from the Train step.</p>
      {error && <p role="alert">{error}</p>}
    </section>
  );
}
