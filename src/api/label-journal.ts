/**
 * The label log's write-ahead journal. An edit reaches the label log (OPFS, in its worker) a few milliseconds after
 * the key press; a reload, a closed tab or a crash in between would lose it. So each edit is also written, at once
 * and synchronously, to localStorage under this tab's id, and removed when the log has it. A tab that opens a
 * source first replays, in order, the entries that tabs no longer alive left behind: a tab is alive while it holds
 * its Web Lock (`jammi-tab:<id>`, released by the browser when the document goes, whichever way it goes).
 */
import type { LogEntry } from '../data/label-log';

const PREFIX = 'jammi:labels-pending:';
const TAB_LOCK = 'jammi-tab:';
/** Held while a tab replays orphans, so that two tabs opening at once do not both replay them. */
const REPLAY_LOCK = 'jammi-labels-replay';

interface Pending {
  name: string;
  entry: LogEntry;
  /** Date.now() of the edit: orphans of several tabs replay in the order they were made. */
  at: number;
}

export class LabelJournal {
  private readonly tab = crypto.randomUUID();
  private seq = 0;
  /** Resolves once this tab holds its lock (before it can be told apart from a dead one). */
  readonly ready: Promise<void>;

  /** Where localStorage and Web Locks both exist. */
  static available(): boolean {
    try {
      return typeof localStorage !== 'undefined' && typeof navigator !== 'undefined' && !!navigator.locks;
    } catch {
      return false; // localStorage throws where storage is blocked
    }
  }

  constructor() {
    this.ready = new Promise((granted) => {
      // NOTE: the lock is never released by us: the browser drops it with the document.
      void navigator.locks.request(`${TAB_LOCK}${this.tab}`, () => {
        granted();
        return new Promise<never>(() => {});
      });
    });
  }

  /** Records an edit synchronously; the key to pass to `done` once the log has it (null where storage refused). */
  put(name: string, entry: LogEntry): string | null {
    const key = `${PREFIX}${this.tab}:${String(this.seq++).padStart(12, '0')}`;
    try {
      localStorage.setItem(key, JSON.stringify({ name, entry, at: Date.now() } satisfies Pending));
      return key;
    } catch {
      return null; // a full localStorage only loses the journal's protection, never the edit
    }
  }

  done(key: string | null): void {
    if (key !== null) localStorage.removeItem(key);
  }

  /** Forgets every journalled edit of a source (it is being removed). */
  drop(name: string): void {
    for (const [key, p] of this.entries()) if (p.name === name) localStorage.removeItem(key);
  }

  /**
   * The edits of `name` that dead tabs left unsaved, oldest first, handed to `save` one at a time (each removed from
   * the journal once `save` resolves).
   */
  async replay(name: string, save: (entry: LogEntry) => Promise<void>): Promise<number> {
    await this.ready;
    return navigator.locks.request(REPLAY_LOCK, async () => {
      const alive = new Set(((await navigator.locks.query()).held ?? []).map((l) => l.name));
      const orphans = this.entries()
        .filter(([key, p]) => p.name === name && !alive.has(`${TAB_LOCK}${tabOf(key)}`))
        .sort(([ka, a], [kb, b]) => a.at - b.at || (ka < kb ? -1 : ka > kb ? 1 : 0));
      for (const [key, p] of orphans) {
        await save(p.entry);
        localStorage.removeItem(key);
      }
      return orphans.length;
    });
  }

  private entries(): [string, Pending][] {
    const out: [string, Pending][] = [];
    const unreadable: string[] = [];
    for (let i = 0; i < localStorage.length; i++) {
      const key = localStorage.key(i);
      if (!key?.startsWith(PREFIX)) continue;
      try {
        out.push([key, JSON.parse(localStorage.getItem(key) ?? '') as Pending]);
      } catch {
        unreadable.push(key); // nothing to replay
      }
    }
    for (const key of unreadable) localStorage.removeItem(key);
    return out;
  }
}

/** `jammi:labels-pending:<tab>:<seq>` → tab. */
const tabOf = (key: string) => key.slice(PREFIX.length, key.lastIndexOf(':'));
