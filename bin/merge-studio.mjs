#!/usr/bin/env node
// The command-line tool runs the same TypeScript engine as the browser, loaded through tsx.
import { register } from 'tsx/esm/api';

register();
await import('../cli/main.ts');
