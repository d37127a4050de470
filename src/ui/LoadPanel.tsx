import { useRef, useState } from 'react';
import { useDropZone } from './hooks';
import type { Database, SourceInfo } from '../api/database';

interface LoadJob {
  id: number;
  file: string;
  bytes: number;
  totalBytes: number;
  rows: number;
  state: 'loading' | 'done' | 'failed' | 'cancelled';
  message?: string;
  warnings?: string[];
  controller: AbortController;
}

let nextJobId = 1;

/** A source name from a file name: "sms-spam.csv" → "sms-spam", made unique among `taken`. */
export function sourceNameFor(fileName: string, taken: Set<string>): string {
  const base = fileName.replace(/\.(csv|tsv|txt)$/i, '') || 'source';
  let name = base;
  for (let i = 2; taken.has(name); i++) name = `${base}-${i}`;
  return name;
}

/** Drop zone and file picker: several CSV files at once, each with its own progress bar and Cancel. */
export function LoadPanel({ db, sources, onLoaded }: { db: Database; sources: SourceInfo[]; onLoaded: (name: string) => void }) {
  const [jobs, setJobs] = useState<LoadJob[]>([]);
  const input = useRef<HTMLInputElement>(null);
  const update = (id: number, patch: Partial<LoadJob>) => setJobs((js) => js.map((j) => (j.id === id ? { ...j, ...patch } : j)));

  const load = (files: File[]) => {
    const taken = new Set(sources.map((s) => s.name));
    for (const file of files) {
      const name = sourceNameFor(file.name, taken);
      taken.add(name);
      const job: LoadJob = { id: nextJobId++, file: file.name, bytes: 0, totalBytes: file.size, rows: 0, state: 'loading', controller: new AbortController() };
      setJobs((js) => [...js.filter((j) => j.state === 'loading' || j.state === 'failed' || j.warnings?.length), job]);
      db.addSource(name, file, {
        signal: job.controller.signal,
        onProgress: (p) => update(job.id, { bytes: p.bytes, rows: p.rows }),
      }).then(
        (info) => {
          update(job.id, { state: 'done', bytes: file.size, rows: info.rows, message: `Loaded as "${name}"`, warnings: info.warnings });
          onLoaded(name);
        },
        (e: Error) => update(job.id, { state: e.name === 'AbortError' ? 'cancelled' : 'failed', message: e.message }),
      );
    }
  };

  const drop = useDropZone((data) => load([...data.files]));

  return (
    <section aria-labelledby="load-heading" className="panel">
      <h2 id="load-heading">Load CSV files</h2>
      <div
        className={drop.className}
        {...drop.props}
        data-testid="dropzone"
      >
        <p>Drop CSV files here, or</p>
        <button type="button" onClick={() => input.current?.click()}>
          Choose files…
        </button>
        <input
          ref={input}
          type="file"
          accept=".csv,.tsv,.txt,text/csv"
          multiple
          hidden
          data-testid="file-input"
          onChange={(e) => {
            load([...(e.target.files ?? [])]);
            e.target.value = '';
          }}
        />
        <p className="hint">Files are read on this machine and never uploaded.</p>
      </div>
      {jobs.length > 0 && (
        <ul className="jobs" aria-live="polite">
          {jobs.map((j) => (
            <li key={j.id} className={`job ${j.state}`}>
              <span className="job-file">{j.file}</span>
              {j.state === 'loading' ? (
                <>
                  <progress max={j.totalBytes || 1} value={j.bytes} aria-label={`Loading ${j.file}`} />
                  <span className="job-stats">
                    {formatBytes(j.bytes)} / {formatBytes(j.totalBytes)} · {j.rows.toLocaleString('en-US')} rows
                  </span>
                  <button type="button" onClick={() => j.controller.abort()}>
                    Cancel
                  </button>
                </>
              ) : (
                <span role={j.state === 'failed' ? 'alert' : undefined} className="job-message">
                  {j.state === 'cancelled' ? 'Cancelled.' : j.message}
                </span>
              )}
              {j.warnings?.map((w) => (
                <span key={w} className="warning">
                  ⚠ {w}
                </span>
              ))}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 ** 2) return `${(n / 1024).toFixed(1)} KiB`;
  if (n < 1024 ** 3) return `${(n / 1024 ** 2).toFixed(1)} MiB`;
  return `${(n / 1024 ** 3).toFixed(2)} GiB`;
}
