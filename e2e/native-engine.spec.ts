import { expect, test } from '@playwright/test';
import { openApp } from './helpers';
import { checkAgainstReference, classificationModels, expectedSchema, inferInPage, reference, textsCsv } from './infer-helpers';

// engine: 'native' runs our own autograd engine (from model.safetensors) instead of ONNX Runtime.
for (const backend of ['wasm', 'webgpu'] as const) {
  test(`engine "native" on ${backend}: every shared classification model matches reference.json`, async ({ page }) => {
    test.setTimeout(400_000);
    await openApp(page);
    for (const model of classificationModels) {
      const source = `native-${model}`;
      await page.evaluate(([name, csv]) => window.jammi!.addSource(name, csv), [source, textsCsv(reference(model).texts)]);
      const result = await inferInPage(page, { source, model, columns: ['text'], key: 'id', backend, engine: 'native', batchSize: 4 });
      expect(result.fields).toEqual(expectedSchema);
      // What ran, and why (the wasm reason names its SIMD build and threads)
      expect(result.metadata['jammi.backend']).toBe(backend);
      expect(result.metadata['jammi.backend_reason']).toMatch(backend === 'wasm' ? /wasm was asked for; WebAssembly (relaxed SIMD|SIMD128) on \d+ thread/ : /webgpu was asked for/);
      expect(result.metadata['jammi.engine']).toBe('native');
      const maxErr = checkAgainstReference(result, model, source);
      console.log(`native ${model} on ${backend}: max |p − reference| = ${maxErr.toExponential(2)}`);
    }
  });
}
