/** Test fixture (Node only): a labelled CSV from ../shared/datasets and a seeded 80/20 split of it. */
import fs from 'node:fs';
import path from 'node:path';
import { ingestCsv } from '../data/ingest';
import { seededOrder } from './suggester';

export const datasetsDir = path.resolve(__dirname, '../../../shared/datasets');

export interface Labelled {
  texts: string[];
  labels: string[];
}

export async function readLabelled(file: string): Promise<Labelled> {
  const { table } = await ingestCsv(new Blob([fs.readFileSync(path.join(datasetsDir, file))]));
  const text = table.getChild('text')!;
  const label = table.getChild('label')!;
  const out: Labelled = { texts: [], labels: [] };
  for (let r = 0; r < table.numRows; r++) {
    const t = text.get(r);
    const l = label.get(r);
    if (typeof t === 'string' && l !== null && l !== undefined) {
      out.texts.push(t);
      out.labels.push(String(l));
    }
  }
  return out;
}

/** A seeded permutation of 0 … n−1 (Fisher–Yates): the suggester's own. */
export const permutation = seededOrder;

/** Seeded 80/20 split: the first 80 % of a permutation trains, the rest is held out. */
export function split(data: Labelled, seed: number, testShare = 0.2): { train: Labelled; test: Labelled } {
  const p = permutation(data.texts.length, seed);
  const cut = Math.round(p.length * (1 - testShare));
  const pick = (idx: number[]): Labelled => ({ texts: idx.map((i) => data.texts[i]), labels: idx.map((i) => data.labels[i]) });
  return { train: pick(p.slice(0, cut)), test: pick(p.slice(cut)) };
}
