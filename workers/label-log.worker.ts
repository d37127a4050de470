import { expose } from 'comlink';
import { labelLogApi } from '../src/data/label-log-api';

expose(labelLogApi);
export type { LabelLogApi } from '../src/data/label-log-api';
