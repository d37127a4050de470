import fs from 'node:fs';
import path from 'node:path';
import type { Page } from '@playwright/test';
import { sharedDir } from './helpers';

export const classificationModels = [
  'bert-tiny-sentiment',
  'distilbert-tiny-emotion',
  'roberta-tiny-spam',
  'modernbert-tiny-cls',
  'modernbert-tiny-mean',
] as const;

export interface Reference {
  texts: string[];
  probabilities: number[][];
  labels: string[];
}

export const modelDir = (model: string) => path.join(sharedDir, 'models', model);

export function reference(model: string): Reference {
  return JSON.parse(fs.readFileSync(path.join(modelDir(model), 'reference.json'), 'utf8')) as Reference;
}

export function id2label(model: string): string[] {
  const config = JSON.parse(fs.readFileSync(path.join(modelDir(model), 'config.json'), 'utf8')) as { id2label: Record<string, string> };
  return Object.keys(config.id2label)
    .map(Number)
    .sort((a, b) => a - b)
    .map((i) => config.id2label[String(i)]);
}

/** A CSV with `id,text` rows, quoting every text (RFC 4180). */
export function textsCsv(texts: string[]): string {
  return ['id,text', ...texts.map((t, i) => `${i},"${t.replace(/"/g, '""')}"`)].join('\r\n') + '\r\n';
}

/** What the tests read back from an infer result (plain data, out of the page). */
export interface ResultDump {
  fields: { name: string; type: string; nullable: boolean }[];
  metadata: Record<string, string>;
  columns: Record<string, unknown[]>;
}

/** Runs `window.jammi.infer(options)` in the page and returns the result as plain data. */
export async function inferInPage(page: Page, options: Record<string, unknown>): Promise<ResultDump> {
  return page.evaluate(async (o) => {
    const table = await window.jammi!.infer(o as never);
    const columns: Record<string, unknown[]> = {};
    for (const f of table.schema.fields) columns[f.name] = [...table.getChild(f.name)!].map((v) => (v === undefined ? null : v));
    return {
      fields: table.schema.fields.map((f) => ({ name: f.name, type: String(f.type), nullable: f.nullable })),
      metadata: Object.fromEntries(table.schema.metadata),
      columns,
    };
  }, options);
}

/** Calls `window.jammi.infer(options)` expecting a rejection; returns its name and message. */
export async function inferError(page: Page, options: Record<string, unknown>): Promise<{ name: string; message: string }> {
  return page.evaluate(async (o) => {
    try {
      await window.jammi!.infer(o as never);
      return { name: 'none', message: 'infer resolved' };
    } catch (e) {
      return { name: (e as Error).name, message: (e as Error).message };
    }
  }, options);
}

export const expectedSchema = [
  { name: '_row_id', type: 'Utf8', nullable: false },
  { name: '_source', type: 'Utf8', nullable: false },
  { name: '_model', type: 'Utf8', nullable: false },
  { name: '_status', type: 'Utf8', nullable: false },
  { name: '_error', type: 'Utf8', nullable: true },
  { name: '_latency_ms', type: 'Float32', nullable: false },
  { name: 'label', type: 'Utf8', nullable: true },
  { name: 'confidence', type: 'Float32', nullable: true },
  { name: 'all_scores_json', type: 'Utf8', nullable: true },
];

/**
 * Checks a result against reference.json row by row: labels equal, every probability within `tol`, keys in
 * class-index order, the empty text an error row. Returns the largest probability error seen.
 */
export function checkAgainstReference(result: ResultDump, model: string, source: string, tol = 1e-4, modelName = model): number {
  const ref = reference(model);
  const labels = id2label(model);
  const c = result.columns;
  let maxErr = 0;
  const fail = (row: number, what: string) => {
    throw new Error(`${model} row ${row} (${JSON.stringify(ref.texts[row].slice(0, 40))}): ${what}`);
  };
  if (c._row_id.length !== ref.texts.length) throw new Error(`${model}: ${c._row_id.length} result rows, expected ${ref.texts.length}`);
  for (let i = 0; i < ref.texts.length; i++) {
    if (c._row_id[i] !== String(i)) fail(i, `_row_id ${c._row_id[i]}`);
    if (c._source[i] !== source || c._model[i] !== modelName) fail(i, `_source/_model ${c._source[i]}/${c._model[i]}`);
    if (ref.texts[i].trim() === '') {
      if (c._status[i] !== 'error' || c._error[i] !== 'Empty or null text input') fail(i, `expected an error row, got ${c._status[i]} ${c._error[i]}`);
      if (c.label[i] !== null || c.confidence[i] !== null || c.all_scores_json[i] !== null) fail(i, 'error row has a label');
      continue;
    }
    if (c._status[i] !== 'ok' || c._error[i] !== null) fail(i, `status ${c._status[i]} ${c._error[i]}`);
    if (c.label[i] !== ref.labels[i]) fail(i, `label ${c.label[i]}, reference ${ref.labels[i]}`);
    const scores = JSON.parse(c.all_scores_json[i] as string) as Record<string, number>;
    if (JSON.stringify(Object.keys(scores)) !== JSON.stringify(labels)) fail(i, `score keys ${Object.keys(scores)}`);
    ref.probabilities[i].forEach((p, k) => {
      const err = Math.abs(scores[labels[k]] - p);
      maxErr = Math.max(maxErr, err);
      if (!(err <= tol)) fail(i, `P(${labels[k]}) = ${scores[labels[k]]}, reference ${p}`);
    });
    const best = Math.max(...ref.probabilities[i]);
    if (!(Math.abs((c.confidence[i] as number) - best) <= tol)) fail(i, `confidence ${c.confidence[i]}, reference ${best}`);
    if (!((c._latency_ms[i] as number) >= 0)) fail(i, `_latency_ms ${c._latency_ms[i]}`);
  }
  return maxErr;
}
