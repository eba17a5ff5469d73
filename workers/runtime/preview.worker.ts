/** The preview worker: analysis, evaluation, sweeps, soups and generation, exposed to the page through comlink. */
import * as Comlink from 'comlink';
import { registerAbortTransfer } from './abort-transfer.ts';
import { previewApi } from './preview-api.ts';

registerAbortTransfer();
Comlink.expose(previewApi);
