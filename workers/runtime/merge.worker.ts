/** The merge worker: exposes the engine's API to the page through comlink. */
import * as Comlink from 'comlink';
import { registerAbortTransfer } from './abort-transfer.ts';
import { mergeApi } from './api.ts';

registerAbortTransfer();
Comlink.expose(mergeApi);
