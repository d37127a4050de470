import { useMemo, useState } from 'react';
import type { Table } from 'apache-arrow';
import type { Database } from '../../api/database';
import { TableView } from '../TableView';
import { downloadBlob } from '../download';
import { ConfidenceHistogram, confidenceBins, LabelBars } from './Charts';
import { Evaluation } from './Evaluation';
import { pickRows, resultsBesideSource } from './table-rows';

export interface ResultsViewProps {
  db: Database;
  sourceName: string;
  source: Table;
  results: Table;
  keyColumn?: string;
  textColumns: string[];
}

/** A result: summary, charts, filters, the rows beside their source rows, export, and scores against gold labels. */
export function ResultsView({ db, sourceName, source, results, keyColumn, textColumns }: ResultsViewProps) {
  const [label, setLabel] = useState('');
  const [status, setStatus] = useState<'' | 'ok' | 'error'>('');
  const [minConfidence, setMinConfidence] = useState(0);
  const [maxConfidence, setMaxConfidence] = useState(1);
  const [gold, setGold] = useState('');
  const [exportError, setExportError] = useState<string | null>(null);

  const { labels, statuses, confidences } = useMemo(
    () => ({
      labels: [...results.getChild('label')!] as (string | null)[],
      statuses: [...results.getChild('_status')!] as string[],
      confidences: [...results.getChild('confidence')!] as (number | null)[],
    }),
    [results],
  );
  const counts = useMemo(() => {
    const m = new Map<string, number>();
    for (const l of labels) if (l !== null) m.set(l, (m.get(l) ?? 0) + 1);
    return [...m.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  }, [labels]);
  const errors = statuses.filter((s) => s === 'error').length;
  const indices = useMemo(() => {
    const out: number[] = [];
    const confFiltered = minConfidence > 0 || maxConfidence < 1;
    for (let i = 0; i < labels.length; i++) {
      if (label && labels[i] !== label) continue;
      if (status && statuses[i] !== status) continue;
      if (confFiltered && (confidences[i] === null || confidences[i]! < minConfidence || confidences[i]! > maxConfidence)) continue;
      out.push(i);
    }
    return out;
  }, [labels, statuses, confidences, label, status, minConfidence, maxConfidence]);
  const view = useMemo(() => resultsBesideSource(results, source, indices), [results, source, indices]);
  const bins = useMemo(() => confidenceBins(confidences.filter((c): c is number => c !== null)), [confidences]);
  const meta = results.schema.metadata;
  const goldCandidates = source.schema.fields.map((f) => f.name).filter((n) => !textColumns.includes(n) && n !== keyColumn);

  const exportAs = async (format: 'arrow' | 'csv' | 'parquet') => {
    setExportError(null);
    try {
      downloadBlob(await db.export(pickRows(results, indices), format), `${sourceName}-${meta.get('jammi.model') ?? 'results'}.${format}`);
    } catch (e) {
      setExportError((e as Error).message);
    }
  };

  return (
    <section className="results" aria-label="Classification results">
      <p data-testid="results-summary">
        {results.numRows.toLocaleString('en-US')} rows · {(results.numRows - errors).toLocaleString('en-US')} ok ·{' '}
        {errors.toLocaleString('en-US')} errors · model {meta.get('jammi.model')}
        {meta.get('jammi.backend') ? (
          <>
            {' '}
            on <strong data-testid="results-backend">{meta.get('jammi.backend')}</strong> ({meta.get('jammi.dtype')})
          </>
        ) : (
          meta.get('jammi.engine') && <> ({meta.get('jammi.engine')})</>
        )}
      </p>
      <div className="charts">
        <LabelBars counts={counts} selected={label} onSelect={setLabel} />
        <ConfidenceHistogram bins={bins} />
      </div>
      <div className="filters" role="group" aria-label="Filter results">
        <label>
          Label{' '}
          <select value={label} onChange={(e) => setLabel(e.target.value)} aria-label="Filter by label">
            <option value="">all</option>
            {counts.map(([l]) => (
              <option key={l}>{l}</option>
            ))}
          </select>
        </label>
        <label>
          Status{' '}
          <select value={status} onChange={(e) => setStatus(e.target.value as typeof status)} aria-label="Filter by status">
            <option value="">all</option>
            <option value="ok">ok</option>
            <option value="error">error</option>
          </select>
        </label>
        <label>
          Confidence from{' '}
          <input type="number" min={0} max={1} step={0.05} value={minConfidence} onChange={(e) => setMinConfidence(Number(e.target.value))} aria-label="Minimum confidence" />
        </label>
        <label>
          to{' '}
          <input type="number" min={0} max={1} step={0.05} value={maxConfidence} onChange={(e) => setMaxConfidence(Number(e.target.value))} aria-label="Maximum confidence" />
        </label>
        <span data-testid="filtered-count">{indices.length.toLocaleString('en-US')} rows shown</span>
        <button type="button" onClick={() => void exportAs('arrow')}>
          Export results Arrow
        </button>
        <button type="button" onClick={() => void exportAs('csv')}>
          Export results CSV
        </button>
        <button type="button" onClick={() => void exportAs('parquet')}>
          Export results Parquet
        </button>
        {exportError && <span role="alert">{exportError}</span>}
      </div>
      <TableView table={view} label={`Results for ${sourceName}`} />
      <div className="gold">
        <label>
          Gold label column{' '}
          <select value={gold} onChange={(e) => setGold(e.target.value)} aria-label="Gold label column">
            <option value="">none</option>
            {goldCandidates.map((c) => (
              <option key={c}>{c}</option>
            ))}
          </select>
        </label>
        {gold && <Evaluation db={db} source={sourceName} results={results} keyColumn={keyColumn} goldColumn={gold} />}
      </div>
    </section>
  );
}
