import { expose, transferHandlers } from 'comlink';
import { keepErrorCodes } from '../src/errors';
import { labelLogApi } from '../src/data/label-log-api';

keepErrorCodes(transferHandlers as never);
expose(labelLogApi);
export type { LabelLogApi } from '../src/data/label-log-api';
