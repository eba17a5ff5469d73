/**
 * The output writer worker (./writer-api.ts). Like a compute lane, it is started by the page
 * and talks to the merge worker over the MessagePort it is sent.
 */
import * as Comlink from 'comlink';
import { writerApi } from './writer-api.ts';

self.addEventListener(
  'message',
  (e: MessageEvent<{ writerPort?: MessagePort }>) => {
    if (e.data.writerPort) Comlink.expose(writerApi, e.data.writerPort);
  },
  { once: true },
);
