import { useState } from 'react';
import { LoadPanel } from '../LoadPanel';
import { SourceList } from '../SourceList';
import { TableView } from '../TableView';
import { saveClasses, useWorkbench } from '../workbench/context';

export const SAMPLE_SOURCE = 'uci-sentiment-sample';

/**
 * Loads the bundled sample (300 UCI sentiment sentences, CC BY 4.0) as a source, and sets the workbench up to label it:
 * a new `label` column with the classes negative and positive, text in `text`. Fetched from the app itself: no download.
 */
export function SampleButton() {
  const w = useWorkbench();
  const [state, setState] = useState<{ busy: boolean; error?: string }>({ busy: false });
  const load = async () => {
    setState({ busy: true });
    try {
      if (!w.sources.some((s) => s.name === SAMPLE_SOURCE)) {
        const response = await fetch(`${import.meta.env.BASE_URL}sample/uci-sentiment-sample.csv`);
        if (!response.ok) throw new Error(`The sample could not be read (${response.status}).`);
        await w.db.addSource(SAMPLE_SOURCE, await response.blob());
        saveClasses(SAMPLE_SOURCE, 'label', ['negative', 'positive']);
      }
      w.setSource(SAMPLE_SOURCE);
      w.setTextColumn('text');
      w.setLabelColumn('label');
      w.go('label');
      setState({ busy: false });
    } catch (e) {
      setState({ busy: false, error: (e as Error).message });
    }
  };
  return (
    <section className="panel sample" aria-labelledby="sample-heading">
      <h2 id="sample-heading">New here?</h2>
      <button type="button" className="primary" onClick={() => void load()} disabled={state.busy}>
        {state.busy ? 'Loading…' : 'Load sample data'}
      </button>
      <p className="hint">
        300 review sentences to label as positive or negative — UCI Sentiment Labelled Sentences (Kotzias et al., KDD 2015), CC BY 4.0.
      </p>
      {state.error && <p role="alert">{state.error}</p>}
    </section>
  );
}

/** Step 1: load CSV files (or the sample), pick a source, read its rows (select one to see it in full). */
export function DataStep() {
  const w = useWorkbench();
  return (
    <div className="step-grid">
      <aside>
        <LoadPanel db={w.db} sources={w.sources} onLoaded={(name) => !w.source && w.setSource(name)} />
        <SampleButton />
        <section aria-labelledby="sources-heading" className="panel">
          <h2 id="sources-heading">Sources</h2>
          <SourceList db={w.db} sources={w.sources} selected={w.source} onSelect={w.setSource} />
        </section>
      </aside>
      <section className="workspace" aria-label="Rows">
        {w.source && w.table ? (
          <>
            <div className="toolbar">
              <h2>{w.source}</h2>
              <span>
                {w.table.numRows.toLocaleString('en-US')} rows × {w.table.numCols} columns
              </span>
              <button type="button" className="primary" onClick={() => w.go('label')}>
                Label these rows →
              </button>
            </div>
            <TableView table={w.table} label={`Rows of ${w.source}`} />
          </>
        ) : (
          <p className="empty">Load a CSV file (or the sample data), then pick it in the list to see its rows.</p>
        )}
      </section>
    </div>
  );
}
