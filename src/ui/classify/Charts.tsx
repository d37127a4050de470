/** Plain SVG charts of a result: label counts (bars are buttons that filter) and a histogram of confidence. */

export function LabelBars({ counts, selected, onSelect }: { counts: [string, number][]; selected: string; onSelect: (label: string) => void }) {
  const max = Math.max(1, ...counts.map(([, n]) => n));
  return (
    <figure className="chart" aria-label="Label counts">
      <figcaption>Rows per label</figcaption>
      <ul className="bars">
        {counts.map(([label, n]) => (
          <li key={label}>
            <button
              type="button"
              className={`bar-button${selected === label ? ' selected' : ''}`}
              aria-pressed={selected === label}
              aria-label={`${label}: ${n} rows${selected === label ? ' (filtered; press to clear)' : ' (press to filter)'}`}
              onClick={() => onSelect(selected === label ? '' : label)}
            >
              <span className="bar-label">{label}</span>
              <span className="bar-track">
                <span className="bar-fill" style={{ width: `${(100 * n) / max}%` }} />
              </span>
              <span className="bar-count" data-testid={`label-count-${label}`}>
                {n.toLocaleString('en-US')}
              </span>
            </button>
          </li>
        ))}
      </ul>
    </figure>
  );
}

export const HISTOGRAM_BINS = 10;

/** Counts of confidence in [0, 0.1), …, [0.9, 1]. */
export function confidenceBins(values: Iterable<number>): number[] {
  const bins = new Array<number>(HISTOGRAM_BINS).fill(0);
  for (const v of values) bins[Math.min(HISTOGRAM_BINS - 1, Math.max(0, Math.floor(v * HISTOGRAM_BINS)))]++;
  return bins;
}

export function ConfidenceHistogram({ bins }: { bins: number[] }) {
  const max = Math.max(1, ...bins);
  const w = 300;
  const h = 120;
  const bw = w / bins.length;
  return (
    <figure className="chart">
      <figcaption>Confidence</figcaption>
      <svg viewBox={`0 0 ${w} ${h + 16}`} width={w} height={h + 16} role="img" aria-label={`Confidence histogram: ${bins.map((n, i) => `${i / 10}–${(i + 1) / 10}: ${n}`).join(', ')}`}>
        {bins.map((n, i) => (
          <g key={i}>
            <rect x={i * bw + 1} y={h - (h * n) / max} width={bw - 2} height={(h * n) / max} className="hist-bar">
              <title>{`${(i / 10).toFixed(1)}–${((i + 1) / 10).toFixed(1)}: ${n} rows`}</title>
            </rect>
          </g>
        ))}
        <text x={0} y={h + 13} className="axis">
          0
        </text>
        <text x={w / 2} y={h + 13} className="axis" textAnchor="middle">
          0.5
        </text>
        <text x={w} y={h + 13} className="axis" textAnchor="end">
          1
        </text>
      </svg>
    </figure>
  );
}
