// A browser pool thread: see worker-main.ts.
import { workerMain, type WorkerInit } from './worker-main';

self.onmessage = (e: MessageEvent<WorkerInit>) => workerMain(e.data, (m) => postMessage(m));
