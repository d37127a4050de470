/** The embed worker (the embedding suggester's frozen embeddings): its API exposed once with Comlink. */
import { expose, transferHandlers } from 'comlink';
import { keepErrorCodes } from '../src/errors';
import { embedApi } from '../src/train/embed-api';

keepErrorCodes(transferHandlers as never);
expose(embedApi);
export type { EmbedApi } from '../src/train/embed-api';
