import type { Database, SourceInfo } from '../api/database';
import { formatBytes } from './LoadPanel';

/** Loaded sources with their row and column counts; pick one to view it. */
export function SourceList({ db, sources, selected, onSelect }: { db: Database; sources: SourceInfo[]; selected: string | null; onSelect: (name: string | null) => void }) {
  if (sources.length === 0) return <p className="empty">No sources yet: load a CSV file to begin.</p>;
  return (
    <ul className="sources" aria-label="Loaded sources">
      {sources.map((s) => (
        <li key={s.name} className={s.name === selected ? 'selected' : undefined}>
          <button type="button" className="source-name" aria-pressed={s.name === selected} onClick={() => onSelect(s.name)}>
            {s.name}
          </button>
          <span className="source-stats" data-testid={`source-stats-${s.name}`}>
            {plural(s.rows, 'row')} · {plural(s.columns.length, 'column')} · {formatBytes(s.bytes)}
          </span>
          {s.badRowCount > 0 && (
            <details className="bad-rows">
              <summary>
                {s.badRowCount.toLocaleString('en-US')} malformed row{s.badRowCount === 1 ? '' : 's'}
              </summary>
              <ul>
                {s.badRows.slice(0, 50).map((r) => (
                  <li key={r.line}>
                    line {r.line}: {r.fields} fields, expected {r.expected} — {r.action}
                  </li>
                ))}
              </ul>
            </details>
          )}
          <button
            type="button"
            className="remove"
            aria-label={`Remove ${s.name}`}
            onClick={() => {
              if (!window.confirm(`Remove source "${s.name}"? Its rows are removed from this browser.`)) return;
              void db.removeSource(s.name).then(() => s.name === selected && onSelect(null));
            }}
          >
            Remove
          </button>
        </li>
      ))}
    </ul>
  );
}

const plural = (n: number, word: string) => `${n.toLocaleString('en-US')} ${word}${n === 1 ? '' : 's'}`;
