import { expect, test } from '@playwright/test';
import { openApp } from './helpers';
import { checkAgainstReference, classificationModels, expectedSchema, inferInPage, reference, textsCsv } from './infer-helpers';

// Every shared classification model, on each backend forced alone (no fallback list), against PyTorch's reference.
for (const backend of ['wasm', 'webgpu'] as const) {
  test(`every shared classification model on ${backend} matches reference.json`, async ({ page }) => {
    test.setTimeout(300_000);
    await openApp(page);
    if (backend === 'webgpu') {
      const adapter = await page.evaluate(async () => Boolean(await navigator.gpu?.requestAdapter()));
      expect(adapter, 'Chromium gives WebGPU an adapter (SwiftShader)').toBe(true);
    }
    for (const model of classificationModels) {
      const source = `ref-${model}`;
      await page.evaluate(([name, csv]) => window.jammi!.addSource(name, csv), [source, textsCsv(reference(model).texts)]);
      // batchSize 3: length-sorted batches mix rows, so the original order must be restored.
      const result = await inferInPage(page, { source, model, columns: ['text'], key: 'id', task: 'classification', backend, batchSize: 3 });
      expect(result.fields).toEqual(expectedSchema);
      expect(result.metadata['jammi.backend']).toBe(backend);
      expect(result.metadata['jammi.engine']).toBe('onnx');
      expect(result.metadata['jammi.dtype']).toBe('fp32'); // no model_quantized.onnx here, so wasm falls back to fp32
      const maxErr = checkAgainstReference(result, model, source);
      console.log(`${model} on ${backend}: max |p − reference| = ${maxErr.toExponential(2)}`);
    }
  });
}
