/** The reference backend: the method's own kernel, on the calling thread. */
import type { MergeBackend } from '../types.ts';

export const cpuBackend: MergeBackend = {
  name: 'cpu',
  run: (method, args) => {
    method.kernel(args);
    return Promise.resolve();
  },
  dispose: () => undefined,
};
