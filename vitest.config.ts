import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: [
      'workers/**/*.test.ts',
      'src/**/*.test.{ts,tsx}',
      'cli/**/*.test.ts',
      'server/**/*.test.ts',
      'scripts/**/*.test.ts',
    ],
    environment: 'node',
    testTimeout: 60_000,
    pool: 'forks',
  },
});
