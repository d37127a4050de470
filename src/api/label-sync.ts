/**
 * The page side of label persistence: appends each edit to the source's label log in the label-log worker (one
 * transaction under the source's Web Lock), and keeps this tab in step with the others: after every append a
 * BroadcastChannel message says where the log ends; a tab behind reads what it missed, in log order, so every
 * tab ends with the same labels (the last append of a row wins everywhere). Until the log has an edit, the journal
 * (label-journal.ts, localStorage) holds it, so a reload or crash right after a key press loses nothing.
 */
import type { Remote } from 'comlink';
import type { LabelLogApi } from '../../workers/label-log.worker';
import { WorkerBridge } from './worker-bridge';
import { LabelJournal } from './label-journal';
import type { LogEntry } from '../data/label-log';
import type { LabelEdits } from '../data/labels';

export type RemoteChange = { full: LabelEdits } | { entries: LogEntry[] };

interface Position {
  gen: number;
  end: number;
  chain: Promise<void>;
}

const CHANNEL = 'jammi-labels';

export class LabelSync {
  private readonly positions = new Map<string, Position>();
  private readonly bridge: WorkerBridge<LabelLogApi>;
  private readonly channel: BroadcastChannel;
  private readonly journal = LabelJournal.available() ? new LabelJournal() : null;

  /** Where OPFS, workers, Web Locks and BroadcastChannel all exist. */
  static available(): boolean {
    return typeof Worker !== 'undefined' && typeof BroadcastChannel !== 'undefined' && typeof navigator !== 'undefined' && !!navigator.locks && !!navigator.storage?.getDirectory;
  }

  constructor(private readonly onRemote: (name: string, change: RemoteChange) => void) {
    this.bridge = new WorkerBridge<LabelLogApi>(() => new Worker(new URL('../../workers/label-log.worker.ts', import.meta.url), { type: 'module', name: 'jammi-label-log' }), {
      what: 'Saving labels',
      crashMessage: (detail) => `The label log worker failed: ${detail}`,
    });
    this.channel = new BroadcastChannel(CHANNEL);
    this.channel.onmessage = (e: MessageEvent<{ name: string; gen: number; end: number }>) => {
      const p = this.positions.get(e.data?.name);
      if (p && (e.data.gen !== p.gen || e.data.end > p.end)) this.then(e.data.name, () => this.catchUp(e.data.name));
    };
  }

  private call<T>(job: (api: Remote<LabelLogApi>) => Promise<T>): Promise<T> {
    return this.bridge.call(job);
  }

  private position(name: string): Position {
    let p = this.positions.get(name);
    if (!p) this.positions.set(name, (p = { gen: 0, end: 0, chain: Promise.resolve() }));
    return p;
  }

  /** Runs after everything queued for this source (appends and catch-ups stay in order). */
  private then(name: string, fn: () => Promise<void>): Promise<void> {
    const p = this.position(name);
    const next = p.chain.then(fn);
    p.chain = next.catch((e) => console.warn(`jammi: label log of "${name}"`, e));
    return next;
  }

  /** The labels saved for a source (snapshot + log). */
  async load(name: string): Promise<LabelEdits> {
    // First the edits a closed (or crashed) tab journalled but never got into the log
    const replayed = await this.journal?.replay(name, (entry) => this.call((api) => api.append(name, entry)).then(() => undefined)).catch((e: unknown) => {
      console.warn(`jammi: could not replay the unsaved labels of "${name}" (they stay journalled)`, e);
      return 0;
    });
    const s = await this.call((api) => api.load(name));
    const p = this.position(name);
    p.gen = s.gen;
    p.end = s.end;
    if (replayed) this.channel.postMessage({ name, gen: p.gen, end: p.end }); // other tabs read them too
    return s.edits;
  }

  /** Saves one edit: resolves once it is in the log (flushed). O(edit). */
  append(name: string, entry: LogEntry): Promise<void> {
    const key = this.journal?.put(name, entry) ?? null; // synchronously, before anything can be lost
    return this.then(name, async () => {
      const p = this.position(name);
      // NOTE: a failed append leaves the journal too: the caller says the edit holds for this visit only.
      const r = await this.call((api) => api.append(name, entry)).finally(() => this.journal?.done(key));
      const unbroken = r.start === p.end && r.gen === (r.compacted ? p.gen + 1 : p.gen);
      if (unbroken) {
        p.gen = r.gen;
        p.end = r.end;
      } else await this.catchUp(name); // another tab wrote in between (or a new log began): read it all in order
      this.channel.postMessage({ name, gen: p.gen, end: p.end });
    });
  }

  private async catchUp(name: string): Promise<void> {
    const p = this.position(name);
    const r = await this.call((api) => api.since(name, p.gen, p.end));
    p.gen = r.gen;
    p.end = r.end;
    if (r.full) this.onRemote(name, { full: r.full });
    else if (r.entries.length > 0) this.onRemote(name, { entries: r.entries });
  }

  async remove(name: string): Promise<void> {
    this.journal?.drop(name);
    await this.then(name, () => this.call((api) => api.remove(name)));
    this.positions.delete(name);
  }
}
