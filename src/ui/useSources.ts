import { useEffect, useState } from 'react';
import type { Database, SourceInfo } from '../api/database';

/** The database's sources, kept current through its `change` events. */
export function useSources(db: Database): SourceInfo[] {
  const [sources, setSources] = useState<SourceInfo[]>([]);
  useEffect(() => {
    let live = true;
    const refresh = () => void db.listSources().then((s) => live && setSources(s));
    refresh();
    db.addEventListener('change', refresh);
    return () => {
      live = false;
      db.removeEventListener('change', refresh);
    };
  }, [db]);
  return sources;
}
