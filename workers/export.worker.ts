import { expose } from 'comlink';
import { exportApi } from '../src/train/export-api';

expose(exportApi);
export type { ExportApi } from '../src/train/export-api';
