import type { EpochMetrics } from '../../api/fine-tune';

const W = 520;
const H = 180;
const PAD = 34;

/**
 * Training loss per step (line), validation loss per epoch (dots on the same axis) and validation accuracy per
 * epoch (second axis, 0–1), in plain SVG. Updates live as the job reports.
 */
export function LossChart({ losses, totalSteps, epochs, stepsPerEpoch }: { losses: number[]; totalSteps: number; epochs: EpochMetrics[]; stepsPerEpoch: number }) {
  const finite = losses.filter(Number.isFinite);
  const valLosses = epochs.map((e) => e.valLoss).filter((v): v is number => v !== null && Number.isFinite(v));
  const maxLoss = Math.max(1e-6, ...finite, ...valLosses);
  const x = (step: number) => PAD + ((W - 2 * PAD) * step) / Math.max(1, totalSteps);
  const y = (loss: number) => H - PAD + ((PAD * 2 - H) * Math.min(loss, maxLoss)) / maxLoss;
  const yAcc = (acc: number) => H - PAD + (PAD * 2 - H) * acc;
  const line = losses.map((l, i) => (Number.isFinite(l) ? `${x(i + 1).toFixed(1)},${y(l).toFixed(1)}` : '')).filter(Boolean).join(' ');
  const last = epochs[epochs.length - 1];
  return (
    <figure className="chart loss-chart">
      <figcaption>
        Training loss (line), validation loss (●) and validation accuracy (◆, right axis)
        {last && (
          <>
            {' '}
            — epoch {last.epoch}: train {last.trainLoss.toFixed(4)}
            {last.valLoss !== null && <>, val loss {last.valLoss.toFixed(4)}</>}
            {last.valAccuracy !== null && <>, val accuracy {(100 * last.valAccuracy).toFixed(1)}%</>}
          </>
        )}
      </figcaption>
      <svg viewBox={`0 0 ${W} ${H}`} role="img" aria-label={`Loss curve over ${losses.length} of ${totalSteps} steps`}>
        <line x1={PAD} y1={H - PAD} x2={W - PAD} y2={H - PAD} className="axis" />
        <line x1={PAD} y1={PAD} x2={PAD} y2={H - PAD} className="axis" />
        <line x1={W - PAD} y1={PAD} x2={W - PAD} y2={H - PAD} className="axis" />
        <text x={PAD - 4} y={PAD + 4} textAnchor="end" className="tick">
          {maxLoss.toFixed(2)}
        </text>
        <text x={PAD - 4} y={H - PAD} textAnchor="end" className="tick">
          0
        </text>
        <text x={W - PAD + 4} y={PAD + 4} className="tick">
          100%
        </text>
        <text x={W / 2} y={H - 8} textAnchor="middle" className="tick">
          step
        </text>
        <polyline points={line} className="train-loss" fill="none" />
        {epochs.map((e) => (
          <g key={e.epoch}>
            {e.valLoss !== null && <circle cx={x(e.epoch * stepsPerEpoch)} cy={y(e.valLoss)} r={4} className="val-loss" />}
            {e.valAccuracy !== null && (
              <rect x={x(e.epoch * stepsPerEpoch) - 4} y={yAcc(e.valAccuracy) - 4} width={8} height={8} transform={`rotate(45 ${x(e.epoch * stepsPerEpoch)} ${yAcc(e.valAccuracy)})`} className="val-acc" />
            )}
          </g>
        ))}
      </svg>
    </figure>
  );
}
