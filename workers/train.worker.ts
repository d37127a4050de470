import { expose } from 'comlink';
import { trainApi } from '../src/train/worker-api';

expose(trainApi);
export type { TrainApi } from '../src/train/worker-api';
