import { describe, expect, it } from 'vitest';
import { StorageError, removeTemporaries, writeAtomic } from './opfs';

/** An in-memory stand-in for an OPFS directory (the calls writeAtomic makes), with a write that can be made to fail. */
function memoryDir(failWrite: () => Error | null) {
  const files = new Map<string, string>();
  const handle = (name: string) => ({
    name,
    async createWritable() {
      let buffer = '';
      return {
        async write(data: string | Uint8Array) {
          const e = failWrite();
          if (e) throw e;
          buffer += typeof data === 'string' ? data : new TextDecoder().decode(data);
        },
        async close() {
          files.set(name, buffer); // like OPFS: the contents appear on close
        },
        async abort() {},
      };
    },
    async move(to: string) {
      files.set(to, files.get(name) ?? '');
      files.delete(name);
      name = to;
    },
  });
  const dir = {
    async getFileHandle(name: string, o?: { create?: boolean }) {
      if (!files.has(name) && !o?.create) throw new DOMException('not found', 'NotFoundError');
      if (!files.has(name)) files.set(name, '');
      return handle(name);
    },
    async removeEntry(name: string) {
      files.delete(name);
    },
    async *keys() {
      yield* [...files.keys()];
    },
  };
  return { dir: dir as unknown as FileSystemDirectoryHandle, files };
}

describe('writeAtomic', () => {
  it('replaces the file whole, leaving no temporary behind', async () => {
    const { dir, files } = memoryDir(() => null);
    await writeAtomic(dir, 'a.json', 'v1', 'a');
    await writeAtomic(dir, 'a.json', 'v2', 'a');
    expect([...files]).toEqual([['a.json', 'v2']]);
  });

  it('a quota error mid-write: a clear StorageError, and the saved version is untouched', async () => {
    let fail = false;
    const { dir, files } = memoryDir(() => (fail ? new DOMException('The quota has been exceeded.', 'QuotaExceededError') : null));
    await writeAtomic(dir, 'labels.json', '{"a":1}', 'the labels of "s"');
    fail = true;
    const err = await writeAtomic(dir, 'labels.json', '{"a":2}', 'the labels of "s"').catch((e) => e);
    expect(err).toBeInstanceOf(StorageError);
    expect(err.code).toBe('storage_quota');
    expect(err.message).toMatch(/^Not enough storage space to save the labels of "s": .* what was saved before is unchanged\.$/);
    expect([...files]).toEqual([['labels.json', '{"a":1}']]);
  });

  it('any other failure is a storage_failed StorageError; leftover temporaries are removed on load', async () => {
    const { dir, files } = memoryDir(() => new Error('disk on fire'));
    const err = await writeAtomic(dir, 'x', 'y', 'x').catch((e) => e);
    expect(err).toMatchObject({ name: 'StorageError', code: 'storage_failed' });
    expect(err.message).toMatch(/disk on fire/);
    files.set('x.arrow.tmp-abc', 'partial');
    files.set('keep.arrow', 'data');
    await removeTemporaries(dir);
    expect([...files.keys()]).toEqual(['keep.arrow']);
  });
});
