/** An adapter the user hands over (a zip, its two files, or a folder's files) as the adapter's file bytes. */
import { unzipAdapter } from '../nn/adapter-files';
import { JammiError } from '../errors';

export async function adapterFiles(input: Blob | Blob[] | Record<string, Blob>): Promise<Record<string, Uint8Array>> {
  const bytes = async (b: Blob) => new Uint8Array(await b.arrayBuffer());
  if (input instanceof Blob) {
    const head = await bytes(input.slice(0, 4));
    if (head[0] !== 0x50 || head[1] !== 0x4b) throw new JammiError('bad_adapter', 'Expected a zip of adapter_config.json and adapter_model.safetensors, or the two files.');
    return unzipAdapter(await bytes(input));
  }
  const entries: [string, Blob][] = Array.isArray(input) ? input.map((f) => [(f as File).name ?? '', f]) : Object.entries(input);
  if (entries.length === 1 && entries[0][0].endsWith('.zip')) return adapterFiles(entries[0][1]);
  const out: Record<string, Uint8Array> = {};
  for (const [name, blob] of entries) out[name.split('/').pop()!] = await bytes(blob);
  return out;
}

/** One zip of an adapter's files (for a single download). */
export async function adapterZip(files: Record<string, Blob>): Promise<Blob> {
  const { zipAdapter } = await import('../nn/adapter-files');
  const bytes: Record<string, Uint8Array> = {};
  for (const [name, blob] of Object.entries(files)) bytes[name] = new Uint8Array(await blob.arrayBuffer());
  return new Blob([zipAdapter(bytes) as Uint8Array<ArrayBuffer>], { type: 'application/zip' });
}
