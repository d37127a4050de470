/** The ingest worker: its API exposed once with Comlink (thrown JammiErrors keep their code). */
import { expose, transferHandlers } from 'comlink';
import { keepErrorCodes } from '../src/errors';
import { ingestApi } from '../src/data/ingest-api';

keepErrorCodes(transferHandlers as never);
expose(ingestApi);
export type { IngestApi } from '../src/data/ingest-api';
