/** The infer worker: its API exposed once with Comlink (thrown JammiErrors keep their code). */
import { expose, transferHandlers } from 'comlink';
import { keepErrorCodes } from '../src/errors';
import { inferApi } from '../src/infer/worker-api';

keepErrorCodes(transferHandlers as never);
expose(inferApi);
export type { InferApi } from '../src/infer/worker-api';
