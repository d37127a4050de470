import { expose, transferHandlers } from 'comlink';
import { keepErrorCodes } from '../src/errors';
import { suggestApi } from '../src/label/suggest-api';

keepErrorCodes(transferHandlers as never);
expose(suggestApi);
export type { SuggestApi } from '../src/label/suggest-api';
