import { expose } from 'comlink';
import { ingestApi } from '../src/data/ingest-api';

expose(ingestApi);
export type { IngestApi } from '../src/data/ingest-api';
