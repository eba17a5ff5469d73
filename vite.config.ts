import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

/**
 * Cross-origin isolation: SharedArrayBuffer, through which the merge worker shares the inputs
 * with its compute lanes (src/engine/merge-client.ts). Hub requests are CORS requests, which
 * require-corp allows. A host that serves the built studio should send the same two headers;
 * without them a merge runs on the merge worker alone.
 */
const ISOLATION = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

export default defineConfig({
  plugins: [react()],
  // Workers code-split (dynamic imports), which the default 'iife' format cannot do.
  worker: { format: 'es' },
  server: { port: 5173, strictPort: false, headers: ISOLATION },
  preview: { headers: ISOLATION },
  build: { target: 'es2022', sourcemap: true },
  optimizeDeps: {
    // Pre-bundle everything the pages and workers import at start-up: a dependency found later
    // makes the dev server reload the page, which breaks a test (or a merge) in progress.
    entries: ['index.html', 'e2e/**/*.html', 'workers/runtime/*.worker.ts', 'workers/**/*.worker.ts'],
    include: [
      'comlink',
      'yaml',
      '@huggingface/hub',
      'react',
      'react-dom',
      'react-dom/client',
      'zustand',
      '@tanstack/react-query',
      'd3',
    ],
  },
});
