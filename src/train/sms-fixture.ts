/**
 * Test fixture (Node only): sms-spam.csv from ../shared, its labelled examples, a seeded stratified 80/20
 * train/test split, and a 90/10 train/validation split of the 80 % — the setting of the accuracy targets.
 */
import fs from 'node:fs';
import path from 'node:path';
import { ingestCsv } from '../data/ingest';
import { TextTokenizer } from '../infer/tokenizer';
import { labelledExamples, stratifiedSplit } from './data';

export const sharedDir = path.resolve(__dirname, '../../../shared');
export const readJson = (file: string) => JSON.parse(fs.readFileSync(file, 'utf8'));

export function modelFiles(model: string) {
  const dir = path.join(sharedDir, 'models', model);
  return {
    config: readJson(path.join(dir, 'config.json')),
    weights: new Uint8Array(fs.readFileSync(path.join(dir, 'model.safetensors'))),
    tokenizer: new TextTokenizer(readJson(path.join(dir, 'tokenizer.json')), readJson(path.join(dir, 'tokenizer_config.json')), 128),
  };
}

export async function smsSpamSplits() {
  const { table } = await ingestCsv(new Blob([fs.readFileSync(path.join(sharedDir, 'datasets/sms-spam.csv'))]));
  const data = labelledExamples(table, 'text', 'label');
  const { train: trainAll, validation: test } = stratifiedSplit(data.labels, 0.2, 7);
  const trainLabels = trainAll.map((r) => data.labels[r]);
  const { train, validation } = stratifiedSplit(trainLabels, 0.1, 42);
  const pick = (idx: number[]) => ({ rows: idx.map((i) => trainAll[i]), labels: idx.map((i) => trainLabels[i]) });
  return { data, train: pick(train), validation: pick(validation), test: { rows: test, labels: test.map((r) => data.labels[r]) } };
}
