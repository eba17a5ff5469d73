/** The body of a Node compute lane: the same API as the browser's compute worker, over parentPort. */
import { parentPort } from 'node:worker_threads';
import * as Comlink from 'comlink';
import { nodeEndpoint } from './endpoint.ts';
import { nodeLaneFiles } from '../../io/node/fs-lane-file.ts';
import { computeLaneApi } from '../compute-api.ts';

if (!parentPort) throw new Error('compute-lane.ts runs as a worker thread');
Comlink.expose(computeLaneApi(nodeLaneFiles), nodeEndpoint(parentPort));
