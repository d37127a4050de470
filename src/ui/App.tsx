import { useEffect, useState } from 'react';
import type { Table } from 'apache-arrow';
import type { Database } from '../api/database';
import { ClassifyPanel } from './ClassifyPanel';
import { TrainPanel } from './TrainPanel';
import { LoadPanel } from './LoadPanel';
import { OfflineIndicator } from './OfflineIndicator';
import { SourceList } from './SourceList';
import { TableView } from './TableView';
import { useLabeling } from './Labeling';
import { downloadBlob } from './download';
import { useSources } from './hooks';

export function App({ db }: { db: Database }) {
  const sources = useSources(db);
  const [selected, setSelected] = useState<string | null>(null);
  const [table, setTable] = useState<Table | null>(null);
  const [exportError, setExportError] = useState<string | null>(null);
  const labeling = useLabeling(db, selected, table);

  useEffect(() => {
    if (!selected && sources.length > 0) setSelected(sources[0].name);
  }, [sources, selected]);
  useEffect(() => {
    let live = true;
    if (!selected) setTable(null);
    else db.getSource(selected).then((t) => live && setTable(t), () => live && setTable(null));
    return () => {
      live = false;
    };
  }, [db, selected, sources]);

  const exportAs = async (format: 'arrow' | 'csv' | 'parquet') => {
    if (!selected) return;
    setExportError(null);
    try {
      downloadBlob(await db.export(selected, format), `${selected}.${format}`);
    } catch (e) {
      setExportError((e as Error).message);
    }
  };

  return (
    <div className="app">
      <header>
        <h1>jammi-web</h1>
        <p>Private text classification: your files are processed in this browser and never uploaded.</p>
        <OfflineIndicator db={db} />
      </header>
      <main>
        <aside>
          <LoadPanel db={db} sources={sources} onLoaded={(name) => setSelected((s) => s ?? name)} />
          <section aria-labelledby="sources-heading" className="panel">
            <h2 id="sources-heading">Sources</h2>
            <SourceList db={db} sources={sources} selected={selected} onSelect={setSelected} />
          </section>
        </aside>
        <section className="workspace" aria-label="Workspace">
          {selected && table ? (
            <>
              <div className="toolbar">
                <h2>{selected}</h2>
                <span>
                  {table.numRows.toLocaleString('en-US')} rows × {table.numCols} columns
                </span>
                <button type="button" onClick={() => void exportAs('arrow')}>
                  Export Arrow
                </button>
                <button type="button" onClick={() => void exportAs('csv')}>
                  Export CSV
                </button>
                <button type="button" onClick={() => void exportAs('parquet')}>
                  Export Parquet
                </button>
                {exportError && <span role="alert">{exportError}</span>}
              </div>
              {labeling.bar}
              <TableView table={table} label={`Rows of ${selected}`} labeling={labeling.rows} />
              <ClassifyPanel db={db} source={selected} />
              <TrainPanel db={db} source={selected} />
            </>
          ) : (
            <p className="empty">Load a CSV file, then pick it in the list to see its rows.</p>
          )}
        </section>
      </main>
    </div>
  );
}
