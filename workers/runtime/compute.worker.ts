/**
 * A compute lane: merges parts of large tensors for a merge worker (workers/engine/parallel).
 * The page creates it and hands one end of a MessageChannel to it and the other to the merge
 * worker, which then talks to it directly through comlink.
 */
import * as Comlink from 'comlink';
import { browserLaneFiles } from '../io/browser/opfs-lane-file.ts';
import { computeLaneApi } from './compute-api.ts';

self.addEventListener(
  'message',
  (e: MessageEvent<{ lanePort?: MessagePort }>) => {
    if (e.data.lanePort) Comlink.expose(computeLaneApi(browserLaneFiles), e.data.lanePort);
  },
  { once: true },
);
