import { expose } from 'comlink';
import { inferApi } from '../src/infer/worker-api';

expose(inferApi);
export type { InferApi } from '../src/infer/worker-api';
