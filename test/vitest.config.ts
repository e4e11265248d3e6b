import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 180_000,
    // The tests start real servers; on 2 cores, one file at a time keeps them from starving each other.
    fileParallelism: false,
    pool: 'forks',
  },
});
