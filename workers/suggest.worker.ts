import { expose } from 'comlink';
import { suggestApi } from '../src/label/suggest-api';

expose(suggestApi);
export type { SuggestApi } from '../src/label/suggest-api';
