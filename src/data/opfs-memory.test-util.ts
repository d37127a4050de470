/** Test fixture (Node only): an in-memory Origin Private File System directory, with the calls src/data makes. */

class MemoryFile {
  constructor(public data: Uint8Array = new Uint8Array(0)) {}
}

export class MemoryDirectory {
  readonly kind = 'directory';
  readonly entries = new Map<string, MemoryDirectory | MemoryFile>();
  /** Bytes written through any file of this tree (counts what a test expects not to be written again). */
  written = { bytes: 0 };

  constructor(readonly name = '') {}

  async getDirectoryHandle(name: string, o?: { create?: boolean }): Promise<MemoryDirectory> {
    const e = this.entries.get(name);
    if (e instanceof MemoryDirectory) return e;
    if (e || !o?.create) throw new DOMException(`${name} not found`, e ? 'TypeMismatchError' : 'NotFoundError');
    const d = new MemoryDirectory(name);
    d.written = this.written;
    this.entries.set(name, d);
    return d;
  }

  async getFileHandle(name: string, o?: { create?: boolean }) {
    let f = this.entries.get(name);
    if (f instanceof MemoryDirectory) throw new DOMException(`${name} is a directory`, 'TypeMismatchError');
    if (!f) {
      if (!o?.create) throw new DOMException(`${name} not found`, 'NotFoundError');
      f = new MemoryFile();
      this.entries.set(name, f);
    }
    return this.handle(name, f);
  }

  private handle(name: string, file: MemoryFile) {
    const dir = this;
    return {
      kind: 'file',
      name,
      async getFile() {
        return new File([file.data as BlobPart], name);
      },
      async createWritable() {
        const parts: Uint8Array[] = [];
        return {
          async write(data: string | Uint8Array) {
            parts.push(typeof data === 'string' ? new TextEncoder().encode(data) : new Uint8Array(data));
          },
          async close() {
            const n = parts.reduce((a, p) => a + p.length, 0);
            const out = new Uint8Array(n);
            let at = 0;
            for (const p of parts) (out.set(p, at), (at += p.length));
            file.data = out;
            dir.written.bytes += n;
          },
          async abort() {},
        };
      },
      async move(to: string) {
        dir.entries.delete(name);
        dir.entries.set(to, file);
        name = to;
      },
    };
  }

  async removeEntry(name: string, o?: { recursive?: boolean }): Promise<void> {
    const e = this.entries.get(name);
    if (!e) throw new DOMException(`${name} not found`, 'NotFoundError');
    if (e instanceof MemoryDirectory && e.entries.size > 0 && !o?.recursive) throw new DOMException(`${name} is not empty`, 'InvalidModificationError');
    this.entries.delete(name);
  }

  async *keys(): AsyncIterable<string> {
    yield* [...this.entries.keys()];
  }

  /** Every file path under this directory. */
  paths(prefix = ''): string[] {
    return [...this.entries].flatMap(([n, e]) => (e instanceof MemoryDirectory ? e.paths(`${prefix}${n}/`) : [`${prefix}${n}`]));
  }

  asHandle(): FileSystemDirectoryHandle {
    return this as unknown as FileSystemDirectoryHandle;
  }
}
