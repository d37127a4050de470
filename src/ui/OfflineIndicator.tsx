/// <reference types="vite-plugin-pwa/react" />
import { useEffect, useRef, useState } from 'react';
import { useRegisterSW } from 'virtual:pwa-register/react';
import type { Database } from '../api/database';

type Stored = 'unsupported' | 'dev' | 'storing' | 'ready' | 'failed';

/** Whether an `infer` or fine-tune is running (an update must not reload the page under it). */
function useBusy(db: Database): boolean {
  const [busy, setBusy] = useState(db.busy);
  useEffect(() => {
    const update = () => setBusy(db.busy);
    db.addEventListener('busy', update);
    db.addEventListener('change', update);
    return () => {
      db.removeEventListener('busy', update);
      db.removeEventListener('change', update);
    };
  }, [db]);
  return busy;
}

function useOnline(): boolean {
  const [online, setOnline] = useState(navigator.onLine);
  useEffect(() => {
    const update = () => setOnline(navigator.onLine);
    addEventListener('online', update);
    addEventListener('offline', update);
    return () => {
      removeEventListener('online', update);
      removeEventListener('offline', update);
    };
  }, []);
  return online;
}

/**
 * "Offline ready" once the service worker holds the whole app (first visit: after it has stored everything);
 * "Offline" when the network is gone; and, when a new version has been stored, a Reload button that waits
 * until no classification or training is running.
 */
export function OfflineIndicator({ db }: { db: Database }) {
  // `npm run dev` has no service worker (vite-plugin-pwa builds it for production only).
  const supported = 'serviceWorker' in navigator && !import.meta.env.DEV;
  const [stored, setStored] = useState<Stored>(import.meta.env.DEV ? 'dev' : supported ? 'storing' : 'unsupported');
  const clicked = useRef(false);
  const reloading = useRef(false);
  const [takenOver, setTakenOver] = useState(false);
  const {
    offlineReady: [offlineReady],
    needRefresh: [needRefresh],
    updateServiceWorker,
  } = useRegisterSW({
    // The new version has taken control. Reload at once only if this tab asked for it; when another tab did, this
    // one may be mid-run (or holding results on screen): it says so and reloads on its own click.
    // NOTE: vite-plugin-pwa adds its 'controlling' listener each time it shows the prompt, so this can be called more
    // than once for one update: reload once, or a second reload interrupts the first page load.
    onNeedReload: () => {
      if (!clicked.current) return setTakenOver(true);
      if (reloading.current) return;
      reloading.current = true;
      location.reload();
    },
    onRegisterError: (e) => {
      console.warn('jammi: the offline app could not be installed', e);
      setStored('failed');
    },
  });
  const busy = useBusy(db);
  const online = useOnline();

  useEffect(() => {
    if (!supported) return;
    let live = true;
    // `ready` resolves once a service worker is active for this page, i.e. its precache is complete. Then ask that
    // the stored app, models, sources and adapters not be evicted under storage pressure (the browser may decline).
    void navigator.serviceWorker.ready.then(() => {
      if (live) setStored('ready');
      void navigator.storage?.persist?.().catch(() => false);
    });
    return () => {
      live = false;
    };
  }, [supported]);

  const apply = () => {
    if (db.busy) return;
    clicked.current = true;
    if (takenOver) location.reload();
    else void updateServiceWorker(true);
  };

  const state: Stored = offlineReady ? 'ready' : stored;
  const text = {
    unsupported: 'Needs the network (this browser cannot store the app)',
    dev: 'Needs the network (the offline app is in production builds only)',
    storing: 'Storing the app for offline use…',
    ready: online ? 'Offline ready' : 'Offline: running from this browser',
    failed: 'Needs the network (the app could not be stored)',
  }[state];
  const title =
    state === 'ready'
      ? 'The app, its workers and its WebAssembly are stored in this browser; models are kept once used. It works with no network.'
      : undefined;

  return (
    <div className="offline-indicator" role="status" aria-live="polite">
      <span className={`offline-state ${state}${online ? '' : ' no-network'}`} data-testid="offline-status" data-state={state} title={title}>
        {text}
      </span>
      {(needRefresh || takenOver) && (
        <span className="update" data-testid="update-available">
          {takenOver ? 'A new version was applied in another tab.' : 'A new version is ready.'}{' '}
          <button type="button" disabled={busy} onClick={apply}>
            Reload to update
          </button>
          {busy && <span className="hint"> (after the current run finishes)</span>}
        </span>
      )}
    </div>
  );
}
