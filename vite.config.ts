import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

export default defineConfig({
  plugins: [react()],
  // Workers code-split (dynamic imports), which the default 'iife' format cannot do.
  worker: { format: 'es' },
  server: { port: 5173, strictPort: false },
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
