// The labelling workbench's non-UI costs, in Node on the same code the app runs (bundled by label-load.mjs):
//  (1) label-save cost at 1,000,000 rows: one edit in memory (SourceLabels) and on disk (the label log, on real
//      files with fdatasync after each append, as OPFS flush), against the number of labels already saved — and
//      the previous way (rebuild the label column, rewrite the whole edits file) for comparison;
//  (2) accuracy against the number of labels on UCI sentiment and SMS spam (seeded 80/20: label from the 80 %,
//      score on the 20 %), least-confidence active learning next to random order, batches of 10 as the app
//      retrains every 10 labels; mean of 3 seeds.
// p95 key-to-screen latency is the workbench UI's benchmark.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { loadLabel } from './label-load.mjs';

const log = (s) => process.stderr.write(`[label] ${s}\n`);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const ms = (x) => (x < 0.1 ? x.toFixed(4) : x < 10 ? x.toFixed(2) : x.toFixed(0));
const bytes = (n) => (n < 10_000 ? `${n} B` : n < 10_000_000 ? `${(n / 1024).toFixed(0)} KiB` : `${(n / 2 ** 20).toFixed(1)} MiB`);

/** The label log's files on a real disk; counts bytes moved. */
class NodeFiles {
  constructor(dir) {
    this.dir = dir;
    this.read_ = 0;
    this.written = 0;
  }
  p(f) {
    return path.join(this.dir, f);
  }
  async read(file, at = 0, length) {
    if (!fs.existsSync(this.p(file))) return null;
    const fd = fs.openSync(this.p(file), 'r');
    try {
      const size = fs.fstatSync(fd).size;
      const start = Math.min(at, size);
      const buf = Buffer.alloc(Math.min(length ?? Infinity, size - start));
      if (buf.length) fs.readSync(fd, buf, 0, buf.length, start);
      this.read_ += buf.length;
      return new Uint8Array(buf.buffer, buf.byteOffset, buf.length);
    } finally {
      fs.closeSync(fd);
    }
  }
  async size(file) {
    return fs.existsSync(this.p(file)) ? fs.statSync(this.p(file)).size : 0;
  }
  async append(file, data) {
    const fd = fs.openSync(this.p(file), 'a');
    try {
      const at = fs.fstatSync(fd).size;
      fs.writeSync(fd, data);
      fs.fdatasyncSync(fd);
      this.written += data.length;
      return at;
    } finally {
      fs.closeSync(fd);
    }
  }
  async write(file, data) {
    const fd = fs.openSync(this.p(file), 'w');
    try {
      fs.writeSync(fd, data);
      fs.fdatasyncSync(fd);
      this.written += data.length;
    } finally {
      fs.closeSync(fd);
    }
  }
  async move(from, to) {
    fs.renameSync(this.p(from), this.p(to));
  }
  async remove(file) {
    fs.rmSync(this.p(file), { force: true });
  }
}

async function saveCost(L) {
  const ROWS = 1_000_000;
  const table = L.tableFromArrays({ id: Int32Array.from({ length: ROWS }, (_, i) => i) });
  const rows = [];
  for (const saved of [0, 10_000, 1_000_000]) {
    log(`save cost: ${saved} labels saved`);
    // In memory: SourceLabels with `saved` labels, then single-row edits.
    const labels = new L.SourceLabels(table);
    const seed = {};
    for (let r = 0; r < saved; r++) seed[r] = r % 3 ? 'ham' : 'spam';
    if (saved) labels.set('label', seed);
    const mem = [];
    for (let i = 0; i < 2000; i++) {
      const t = performance.now();
      labels.set('label', { [(i * 7919) % ROWS]: i % 2 ? 'spam' : 'ham' });
      mem.push(performance.now() - t);
    }
    // On disk: a snapshot holding `saved` labels, then appends.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'jammi-label-'));
    const files = new NodeFiles(dir);
    const f = L.logFiles('bench');
    await files.write(f.snapshot, new TextEncoder().encode(JSON.stringify({ gen: 1, edits: saved ? { label: seed } : {} })));
    await files.write(f.log, new TextEncoder().encode('{"gen":1}\n'));
    const snapshotBytes = await files.size(f.snapshot);
    const disk = [];
    let moved = 0;
    const EDITS = 200;
    for (let i = 0; i < EDITS; i++) {
      const before = files.read_ + files.written;
      const t = performance.now();
      await L.appendEntry(files, 'bench', { column: 'label', edits: { [(i * 7919) % ROWS]: 'spam' } }, Infinity);
      disk.push(performance.now() - t);
      moved += files.read_ + files.written - before;
    }
    // Compaction (every 256 KiB of log, ~7,000 single-row edits): its cost, and per edit amortised.
    const logBytes = await files.size(f.log);
    const t = performance.now();
    await L.compact(files, 'bench');
    const compactMs = performance.now() - t;
    const editsPerCompaction = Math.round(L.COMPACT_BYTES / (logBytes / EDITS));
    fs.rmSync(dir, { recursive: true, force: true });
    // The previous way: rebuild the column (applyLabels) and rewrite the whole edits file, per edit.
    const old = [];
    let base = table;
    for (let i = 0; i < 3; i++) {
      const t0 = performance.now();
      base = L.applyLabels(base, 'label', { [i]: 'spam' });
      JSON.stringify({ label: { ...seed, [i]: 'spam' } });
      old.push(performance.now() - t0);
    }
    rows.push([
      saved.toLocaleString('en'),
      `${(median(mem) * 1000).toFixed(1)} µs`,
      `${ms(median(disk))} ms`,
      bytes(Math.round(moved / EDITS)),
      `${ms(compactMs)} ms / ${editsPerCompaction.toLocaleString('en')} edits = ${ms(compactMs / editsPerCompaction)} ms`,
      `${ms(median(old))} ms`,
      bytes(snapshotBytes),
    ]);
  }
  return {
    title: 'Label-save cost per edit, 1,000,000-row source',
    columns: ['labels already saved', 'in memory (SourceLabels.set)', 'log append (fdatasync)', 'bytes read+written per edit', 'compaction, amortised', 'before: rebuild column + JSON', 'before: file rewritten per edit'],
    rows,
    notes:
      'Median of 2,000 in-memory edits and 200 log appends at random rows. An edit appends one JSON line (and reads the log header and the snapshot\'s first 32 bytes): the same bytes whether 0 or 1,000,000 labels are saved. Compaction rewrites the snapshot once per 256 KiB of log. "Before" is the code this replaced (applyLabels rebuilt the whole Arrow column and the whole edits JSON was rewritten on each key press).',
  };
}

function readCsv(root, file) {
  const records = parse(fs.readFileSync(path.join(root, '../shared/datasets', file), 'utf8'), { bom: true, columns: true });
  return records.filter((r) => r.text && r.label).map((r) => ({ text: r.text, label: r.label }));
}

function shuffled(n, seed) {
  let s = seed * 2654435761 + 1;
  const rand = () => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32);
  const p = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [p[i], p[j]] = [p[j], p[i]];
  }
  return p;
}

const CHECKPOINTS = [20, 30, 50, 70, 100, 150, 200, 300];
const BATCH = 10;

/** Accuracy on the test split at each checkpoint, labelling from the pool by `strategy`. */
function curve(L, data, seed, strategy) {
  const order = shuffled(data.length, seed);
  const cut = Math.round(data.length * 0.8);
  const pool = order.slice(0, cut);
  const test = order.slice(cut);
  const texts = data.map((d) => d.text);
  const terms = L.countTerms(texts);
  const df = L.documentFrequencies(terms);
  const poolTerms = L.selectTerms(terms, pool);
  const testTerms = L.selectTerms(terms, test);
  // Start: the first pool rows in random order until every class has 2 labels and there are BATCH·2 labels.
  const labelled = [];
  const counts = new Map();
  for (const i of shuffled(pool.length, seed + 1)) {
    if (labelled.length >= 2 * BATCH && [...counts.values()].every((c) => c >= 2) && counts.size >= 2) break;
    labelled.push(i);
    counts.set(data[pool[i]].label, (counts.get(data[pool[i]].label) ?? 0) + 1);
  }
  const randomRest = shuffled(pool.length, seed + 2).filter((i) => !labelled.includes(i));
  const isLabelled = new Uint8Array(pool.length);
  labelled.forEach((i) => (isLabelled[i] = 1));
  const out = [];
  for (;;) {
    const model = L.trainOnTerms(L.selectTerms(poolTerms, labelled), labelled.map((i) => data[pool[i]].label), { df });
    if (CHECKPOINTS.includes(labelled.length)) {
      const pred = L.argmaxRows(L.predictProbaTerms(model, testTerms), model.classes.length);
      out.push(test.filter((r, j) => model.classes[pred[j]] === data[r].label).length / test.length);
    }
    if (labelled.length >= CHECKPOINTS.at(-1)) return out;
    let next;
    if (strategy === 'random') next = randomRest.filter((i) => !isLabelled[i]).slice(0, BATCH);
    else {
      const probs = L.predictProbaTerms(model, poolTerms);
      const rows = pool.map((_, i) => i).filter((i) => !isLabelled[i]);
      next = L.rankRows({ rows, probs, k: model.classes.length, strategy }).slice(0, BATCH);
    }
    for (const i of next) {
      labelled.push(i);
      isLabelled[i] = 1;
    }
  }
}

async function learningCurves(L, root) {
  const SEEDS = [1, 2, 3];
  const sets = [['UCI sentiment', 'uci-sentiment.csv'], ['SMS spam', 'sms-spam.csv']];
  const results = {};
  for (const [name, file] of sets) {
    const data = readCsv(root, file);
    for (const strategy of ['random', 'least-confidence']) {
      const t = performance.now();
      const runs = SEEDS.map((seed) => curve(L, data, seed, strategy));
      results[`${name}/${strategy}`] = CHECKPOINTS.map((_, c) => runs.reduce((a, r) => a + r[c], 0) / runs.length);
      log(`${name} ${strategy}: ${((performance.now() - t) / 1000).toFixed(1)} s`);
    }
  }
  const rows = CHECKPOINTS.map((n, c) => [String(n), ...sets.flatMap(([name]) => ['random', 'least-confidence'].map((s) => results[`${name}/${s}`][c].toFixed(3)))]);
  return {
    title: 'Accuracy against the number of labels: least-confidence active learning vs random order',
    columns: ['labels', 'UCI random', 'UCI least-confidence', 'SMS random', 'SMS least-confidence'],
    rows,
    notes: `Held-out accuracy (seeded 80/20; labels drawn from the 80 %), mean of ${SEEDS.length} seeds; the default suggester (TF-IDF + logistic regression on our engine), retrained every ${BATCH} labels, as the app does. The same first labels for both orders (random, until every class has 2 and there are ${2 * BATCH}). Full-data reference (80 % labelled, seed 1): 0.857 UCI, 0.991 SMS.`,
  };
}

/** Wall and CPU time of `f` (CPU: this process's user + system time, which a loaded machine inflates less). */
function timed(f) {
  const cpu = process.cpuUsage();
  const t = performance.now();
  const value = f();
  const wall = performance.now() - t;
  const used = process.cpuUsage(cpu);
  return { value, wall, cpu: (used.user + used.system) / 1000 };
}

/** Median wall and CPU time of 3 runs after one warm-up run. */
function median3(f) {
  f();
  const runs = [f, f, f].map(timed);
  const wall = median(runs.map((r) => r.wall));
  const cpu = median(runs.map((r) => r.cpu));
  return { value: runs[0].value, wall, cpu };
}

const sec = (x) => `${(x / 1000).toFixed(2)} s`;

/**
 * Fit 1,000 labels and score 100,000 rows (SMS texts repeated), single thread, as the suggest worker does; and one
 * worker retrain (SuggesterCore.train: held-out point + fit + score every row) on a 22,296-row source.
 */
export function speed(L, root) {
  const load = os.loadavg()[0];
  const data = readCsv(root, 'sms-spam.csv');
  const rows = [];
  for (const n of [200, 1000, 4000]) {
    const pick = shuffled(data.length, 7).slice(0, n);
    const r = median3(() => L.trainLinear(pick.map((i) => data[i].text), pick.map((i) => data[i].label)));
    rows.push([`fit ${n.toLocaleString('en')} labels (featurise + 60 full-batch AdamW steps)`, sec(r.wall), sec(r.cpu), `${r.value.vocab.length.toLocaleString('en')} features`]);
  }
  const model = L.trainLinear(data.slice(0, 1000).map((d) => d.text), data.slice(0, 1000).map((d) => d.label));
  const texts = Array.from({ length: 100_000 }, (_, i) => data[i % data.length].text);
  const score = median3(() => L.predictProba(model, texts));
  rows.push(['score 100,000 rows (featurise + sparse forward, chunks of 2,048)', sec(score.wall), sec(score.cpu), `${Math.round(100_000 / (score.wall / 1000)).toLocaleString('en')} rows/s`]);
  const terms = L.countTerms(texts);
  const scoreTerms = median3(() => L.predictProbaTerms(model, terms));
  rows.push(['score 100,000 rows already featurised (a retrain on a cached source)', sec(scoreTerms.wall), sec(scoreTerms.cpu), '']);
  const core = new L.SuggesterCore();
  const source = Array.from({ length: 4 * data.length }, (_, i) => data[i % data.length].text);
  const setTexts = timed(() => core.setTexts('sms', source));
  rows.push([`featurise a ${source.length.toLocaleString('en')}-row source once (setTexts)`, sec(setTexts.wall), sec(setTexts.cpu), '']);
  const labelled = shuffled(source.length, 3).slice(0, 1000);
  const retrain = median3(() => core.train({ modelKey: 'm', corpusKey: 'sms', rows: labelled, labels: labelled.map((r) => data[r % data.length].label) }));
  rows.push([`one worker retrain on 1,000 labels of it (held-out point + fit + score all ${source.length.toLocaleString('en')} rows)`, sec(retrain.wall), sec(retrain.cpu), '']);
  return {
    title: 'Suggester speed (SMS spam texts, one thread)',
    columns: ['what', 'time (wall)', 'CPU time', ''],
    rows,
    notes: `Median of 3 runs after a warm-up. Load average at the start: ${load.toFixed(1)} on ${os.cpus().length} cores (wall time grows with the load; CPU time much less). The worker featurises a source once and keeps its term counts (up to 12 M entries), so a retrain skips featurising the labelled rows and the re-scoring of all rows.`,
  };
}

export async function run({ root }) {
  const L = await loadLabel();
  const save = await saveCost(L);
  log('suggester speed');
  const fast = speed(L, root);
  const curves = await learningCurves(L, root);
  // bench/run.mjs prints one table per benchmark: the second one goes in the notes, as Markdown.
  const table = (t) => [`**${t.title}**`, '', `| ${t.columns.join(' | ')} |`, `|${t.columns.map(() => ' --- ').join('|')}|`, ...t.rows.map((r) => `| ${r.join(' | ')} |`), '', t.notes].join('\n');
  return { ...save, notes: `${save.notes}\n\n${table(fast)}\n\n${table(curves)}` };
}
