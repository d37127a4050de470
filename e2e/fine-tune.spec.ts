import { expect, test } from '@playwright/test';
import { openApp, smsRows } from './helpers';

test('head target: fine-tune, classify with it, export, load back, classify again — same labels', async ({ page }) => {
  test.setTimeout(300_000);
  await openApp(page);
  const out = await page.evaluate(async (csv) => {
    const jammi = window.jammi!;
    await jammi.addSource('sms', csv);
    const job = await jammi.fineTune({
      source: 'sms',
      baseModel: 'bert-tiny-embed',
      columns: { text: 'text', label: 'label' },
      target: 'head',
      backend: 'wasm',
    });
    const progress: number[] = [];
    job.onProgress((p) => progress.push(p.step));
    const report = await job.wait();
    const infer = async (model: string) => {
      const t = await jammi.infer({ source: 'sms', model, columns: ['text'], key: 'id', backend: 'wasm' });
      return { labels: [...t.getChild('label')!] as string[], conf: [...t.getChild('confidence')!] as number[] };
    };
    const first = await infer(job.modelId);
    const results = await jammi.infer({ source: 'sms', model: job.modelId, columns: ['text'], key: 'id', backend: 'wasm' });
    const evaluation = await jammi.evaluate({ results, gold: 'sms', labelColumn: 'label', key: 'id' });
    const files = await jammi.exportAdapter(job.modelId);
    const config = JSON.parse(await files['adapter_config.json'].text());
    const loaded = await jammi.loadAdapter(files);
    const second = await infer(loaded);
    const gold = [...(await jammi.getSource('sms')).getChild('label')!] as string[];
    const majority = Math.max(...['ham', 'spam'].map((l) => gold.filter((g) => g === l).length)) / gold.length;
    return { majority, accuracy: evaluation.accuracy, status: job.status, modelId: job.modelId, report, progress, first, second, config, names: Object.keys(files).sort(), loaded };
  }, smsRows(400));
  expect(out.status).toBe('completed');
  expect(out.modelId).toMatch(/^jammi:fine-tuned:/);
  expect(out.progress.length).toBeGreaterThan(10);
  expect(out.report.labels).toEqual(['ham', 'spam']);
  expect(out.report.epochs.length).toBeGreaterThan(0);
  expect(out.names).toEqual(['adapter_config.json', 'adapter_model.safetensors']);
  expect(out.config).toMatchObject({ adapter_type: 'projection_head', base_model_name_or_path: 'bert-tiny-embed', pooling: 'mean', id2label: { 0: 'ham', 1: 'spam' } });
  expect(out.first.labels.every((l) => l === 'ham' || l === 'spam')).toBe(true);
  // The trained head is applied at inference: it beats always answering the majority class on these rows.
  console.log(`head target on 400 rows: accuracy ${out.accuracy.toFixed(3)}, majority class ${out.majority.toFixed(3)}`);
  expect(out.accuracy).toBeGreaterThan(out.majority + 0.02);
  expect(out.second.labels).toEqual(out.first.labels);
  out.second.conf.forEach((c, i) => expect(Math.abs(c - out.first.conf[i])).toBeLessThan(1e-5));
  expect(out.loaded).not.toBe(out.modelId);
});

test('encoder target: LoRA adapter in PEFT format, deterministic, survives a reload; a cancel before any checkpoint keeps no model', async ({ page }) => {
  test.setTimeout(400_000);
  await openApp(page);
  const out = await page.evaluate(async (csv) => {
    const jammi = window.jammi!;
    await jammi.addSource('sms', csv);
    const options = {
      source: 'sms',
      baseModel: 'bert-tiny-sentiment',
      columns: { text: 'text', label: 'label' },
      backend: 'wasm' as const,
      config: { epochs: 1, batch_size: 16, max_seq_length: 32 },
    };
    const a = await jammi.fineTune(options);
    await a.wait();
    const b = await jammi.fineTune(options);
    await b.wait();
    const bytes = async (id: string) => new Uint8Array(await (await jammi.exportAdapter(id))['adapter_model.safetensors'].arrayBuffer());
    const [ba, bb] = [await bytes(a.modelId), await bytes(b.modelId)];
    const header = JSON.parse(new TextDecoder().decode(ba.slice(8, 8 + Number(new DataView(ba.buffer).getBigUint64(0, true)))));
    const config = JSON.parse(await (await jammi.exportAdapter(a.modelId))['adapter_config.json'].text());
    const t = await jammi.infer({ source: 'sms', model: a.modelId, columns: ['text'], key: 'id', backend: 'wasm' });
    // Cancel right after the first step: training stops within a step (of many), the job ends "cancelled", and —
    // with no checkpoint yet — keeps no model (a barely trained adapter is not a usable one) and says why.
    const c = await jammi.fineTune({ ...options, config: { ...options.config, epochs: 3 } });
    const steps: number[] = [];
    let totalSteps = 0;
    c.onProgress((p) => {
      steps.push(p.step);
      totalSteps = p.totalSteps;
      if (p.step === 1) c.cancel();
    });
    const cReport = await c.wait();
    const stepsAtEnd = steps.length;
    await new Promise((r) => setTimeout(r, 1500));
    const noModel = await jammi.infer({ source: 'sms', model: c.modelId, columns: ['text'], key: 'id', backend: 'wasm' }).then(
      () => 'infer resolved',
      (e) => (e as Error).message,
    );
    const listed = (await jammi.listFineTuned()).some((m) => m.modelId === c.modelId);
    return {
      same: ba.length === bb.length && ba.every((v, i) => v === bb[i]),
      keys: Object.keys(header).filter((k) => k !== '__metadata__').sort(),
      config,
      labels: [...new Set([...t.getChild('label')!])].sort(),
      cancelled: { status: c.status, report: cReport.status, reason: cReport.cancelReason, noModel, listed, lastStep: Math.max(...steps), totalSteps, stepsAfterWait: steps.length - stepsAtEnd },
      modelId: a.modelId,
    };
  }, smsRows(300));
  expect(out.same).toBe(true);
  expect(out.keys).toEqual([
    'base_model.model.bert.encoder.layer.0.attention.self.query.lora_A.weight',
    'base_model.model.bert.encoder.layer.0.attention.self.query.lora_B.weight',
    'base_model.model.bert.encoder.layer.0.attention.self.value.lora_A.weight',
    'base_model.model.bert.encoder.layer.0.attention.self.value.lora_B.weight',
    'base_model.model.bert.encoder.layer.1.attention.self.query.lora_A.weight',
    'base_model.model.bert.encoder.layer.1.attention.self.query.lora_B.weight',
    'base_model.model.bert.encoder.layer.1.attention.self.value.lora_A.weight',
    'base_model.model.bert.encoder.layer.1.attention.self.value.lora_B.weight',
    'base_model.model.classifier.bias',
    'base_model.model.classifier.weight',
  ]);
  expect(out.config).toMatchObject({
    peft_type: 'LORA', task_type: 'SEQ_CLS', r: 8, lora_alpha: 16, use_rslora: false, bias: 'none',
    target_modules: ['query', 'value'], modules_to_save: ['classifier'], base_model_name_or_path: 'bert-tiny-sentiment',
    id2label: { 0: 'ham', 1: 'spam' }, label2id: { ham: 0, spam: 1 },
  });
  expect(out.labels.every((l) => l === 'ham' || l === 'spam')).toBe(true);
  expect(out.cancelled.status).toBe('cancelled');
  expect(out.cancelled.report).toBe('cancelled');
  expect(out.cancelled.reason).toMatch(/before the first validation: no checkpoint existed, so no fine-tuned model was kept/);
  expect(out.cancelled.noModel).toMatch(/Unknown fine-tuned model/);
  expect(out.cancelled.listed).toBe(false);
  // The step count stopped: at most the step in flight when cancel came, far short of the run's steps, and no
  // step reported after the job ended.
  expect(out.cancelled.totalSteps).toBeGreaterThan(20);
  expect(out.cancelled.lastStep).toBeLessThanOrEqual(2);
  expect(out.cancelled.stepsAfterWait).toBe(0);

  // After a reload the adapter is still there and still classifies.
  await page.reload();
  await openApp(page);
  const after = await page.evaluate(async (id) => {
    const models = (await window.jammi!.listFineTuned()).map((m) => m.modelId);
    const t = await window.jammi!.infer({ source: 'sms', model: id, columns: ['text'], key: 'id', backend: 'wasm' });
    return { models, rows: t.numRows };
  }, out.modelId);
  expect(after.models).toContain(out.modelId);
  expect(after.rows).toBe(300);
});

test('bad settings and data are rejected before any work, naming the field', async ({ page }) => {
  await openApp(page);
  const errors = await page.evaluate(async () => {
    const jammi = window.jammi!;
    await jammi.addSource('one-class', 'text,label\nhello,a\nworld,a\n');
    await jammi.addSource('ok', 'text,label\nhello,a\nworld,b\n');
    const tryIt = (o: Record<string, unknown>) =>
      jammi.fineTune({ baseModel: 'bert-tiny-sentiment', columns: { text: 'text', label: 'label' }, source: 'ok', ...o } as never).then(
        () => 'started',
        (e: Error) => e.message,
      );
    return {
      rank: await tryIt({ config: { lora_rank: 0 } }),
      lr: await tryIt({ config: { learning_rate: -1 } }),
      unknown: await tryIt({ config: { lora_rnk: 4 } }),
      oneClass: await tryIt({ source: 'one-class' }),
      column: await tryIt({ columns: { text: 'body', label: 'label' } }),
      jobs: jammi.listJobs().length,
    };
  });
  expect(errors.rank).toBe('config.lora_rank must be an integer from 1 to 256; got 0.');
  expect(errors.lr).toContain('config.learning_rate must be a number > 0');
  expect(errors.unknown).toContain('Unknown fine-tuning setting "lora_rnk"');
  expect(errors.oneClass).toContain('at least two classes');
  expect(errors.column).toContain('Unknown column "body". Available columns: text, label.');
  expect(errors.jobs).toBe(0);
});

test('encoder target trains on WebGPU like on the CPU (same steps, adapters agree)', async ({ page }) => {
  test.setTimeout(400_000);
  await openApp(page);
  const out = await page.evaluate(async (csv) => {
    const jammi = window.jammi!;
    await jammi.addSource('sms', csv);
    const train = async (backend: 'webgpu' | 'wasm') => {
      const job = await jammi.fineTune({
        source: 'sms',
        baseModel: 'bert-tiny-sentiment',
        columns: { text: 'text', label: 'label' },
        backend,
        config: { epochs: 1, batch_size: 8, max_seq_length: 24, lora_dropout: 0 },
      });
      const report = await job.wait();
      const t = await jammi.infer({ source: 'sms', model: job.modelId, columns: ['text'], key: 'id', backend: 'wasm' });
      const files = await jammi.exportAdapter(job.modelId);
      const bytes = new Uint8Array(await files['adapter_model.safetensors'].arrayBuffer());
      return { backend: report.backend, losses: report.epochs.map((e) => e.trainLoss), conf: [...t.getChild('confidence')!] as number[], size: bytes.length };
    };
    return { gpu: await train('webgpu'), cpu: await train('wasm') };
  }, smsRows(48));
  expect(out.gpu.backend).toBe('webgpu');
  expect(out.cpu.backend).toBe('wasm');
  expect(out.gpu.size).toBe(out.cpu.size);
  expect(Math.abs(out.gpu.losses[0] - out.cpu.losses[0])).toBeLessThan(1e-5);
  const maxDiff = Math.max(...out.gpu.conf.map((c, i) => Math.abs(c - out.cpu.conf[i])));
  console.log(`WebGPU vs CPU training: train loss ${out.gpu.losses[0]} vs ${out.cpu.losses[0]}, max |Δconfidence| ${maxDiff.toExponential(2)}`);
  expect(maxDiff).toBeLessThan(1e-5);
});
