/** The train worker: its API exposed once with Comlink (thrown JammiErrors keep their code). */
import { expose, transferHandlers } from 'comlink';
import { keepErrorCodes } from '../src/errors';
import { trainApi } from '../src/train/worker-api';

keepErrorCodes(transferHandlers as never);
expose(trainApi);
export type { TrainApi } from '../src/train/worker-api';
