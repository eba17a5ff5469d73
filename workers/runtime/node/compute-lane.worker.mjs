// A compute lane as a Node worker thread (./compute-lanes.ts): its TypeScript loads through
// tsx, as the command-line tool's does. A bundled build points at its own lane script instead.
import { register } from 'tsx/esm/api';

register();
await import('./compute-lane.ts');
