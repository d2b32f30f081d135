import { defineConfig } from 'vitest/config';

// Integration tests start real servers (influxd, mosquitto, chromium): give them room, and keep
// the worker count at the machine's two cores so timings stay sane.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    maxWorkers: 2,
    reporters: ['default', './test/summaryReporter.ts'],
  },
});
