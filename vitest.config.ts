import { defineConfig } from 'vitest/config';

// Tests start real redis-server and influxd processes: give them time, and run at most two files at
// once on a 2-core machine.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    maxWorkers: 2,
    reporters: ['default'],
  },
});
