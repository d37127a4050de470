/** The export worker: its API exposed once with Comlink (thrown JammiErrors keep their code). */
import { expose, transferHandlers } from 'comlink';
import { keepErrorCodes } from '../src/errors';
import { exportApi } from '../src/train/export-api';

keepErrorCodes(transferHandlers as never);
expose(exportApi);
export type { ExportApi } from '../src/train/export-api';
