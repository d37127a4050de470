import { memo } from 'react';
import type { LearningCurvePoint } from '../../label/types';

const W = 360;
const H = 170;
const PAD = 32;

/**
 * Held-out accuracy of each retrain against the labels it was trained on, with the majority-class rate as a dashed
 * line when given: where the curve flattens, more labels stop helping. Plain SVG, like the loss chart.
 */
function Curve({ points, majority, empty }: { points: LearningCurvePoint[]; majority?: number; /** Why there is no point yet. */ empty?: string }) {
  const last = points[points.length - 1];
  const maxLabels = Math.max(10, ...points.map((p) => p.labels));
  const x = (n: number) => PAD + ((W - 1.5 * PAD) * n) / maxLabels;
  const y = (acc: number) => H - PAD - (H - 1.6 * PAD) * Math.max(0, Math.min(1, acc));
  const line = points.map((p) => `${x(p.labels).toFixed(1)},${y(p.accuracy).toFixed(1)}`).join(' ');
  const label = last
    ? `Learning curve: accuracy ${(100 * last.accuracy).toFixed(1)}% at ${last.labels} labels (${points.length} retrain${points.length === 1 ? '' : 's'})`
    : 'Learning curve: no model trained yet';
  return (
    <figure className="chart learning-curve">
      <figcaption>
        Accuracy on held-out labels vs labels{majority !== undefined && <span className="hint"> (dashed: always the commonest class)</span>}
      </figcaption>
      <svg viewBox={`0 0 ${W} ${H}`} role="img" aria-label={label}>
        {[0, 0.5, 1].map((t) => (
          <g key={t}>
            <line x1={PAD} y1={y(t)} x2={W - PAD / 2} y2={y(t)} className={t === 0 ? 'axis' : 'grid'} />
            <text x={PAD - 4} y={y(t) + 3} textAnchor="end" className="tick">
              {100 * t}%
            </text>
          </g>
        ))}
        <line x1={PAD} y1={PAD * 0.6} x2={PAD} y2={H - PAD} className="axis" />
        <text x={x(maxLabels)} y={H - PAD + 12} textAnchor="end" className="tick">
          {maxLabels}
        </text>
        <text x={PAD} y={H - PAD + 12} textAnchor="middle" className="tick">
          0
        </text>
        <text x={(W + PAD) / 2} y={H - 4} textAnchor="middle" className="tick">
          labels
        </text>
        {majority !== undefined && <line x1={PAD} y1={y(majority)} x2={W - PAD / 2} y2={y(majority)} className="majority" />}
        {points.length > 1 && <polyline points={line} className="curve" fill="none" />}
        {points.map((p, i) => (
          <circle key={i} cx={x(p.labels)} cy={y(p.accuracy)} r={3} className="point">
            <title>
              {p.labels} labels: {(100 * p.accuracy).toFixed(1)}%
            </title>
          </circle>
        ))}
      </svg>
      {!last && <p className="hint">{empty ?? 'The curve starts once every class has 2 labels and the suggester has trained.'}</p>}
    </figure>
  );
}

const samePoints = (a: LearningCurvePoint[], b: LearningCurvePoint[]) =>
  a.length === b.length && a.every((p, i) => p.labels === b[i].labels && p.accuracy === b[i].accuracy);

/** Redrawn only when a retrain adds a point (status updates arrive with every label). */
export const LearningCurve = memo(Curve, (a, b) => a.majority === b.majority && a.empty === b.empty && samePoints(a.points, b.points));
