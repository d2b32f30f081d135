import { defineConfig } from 'vitest/config';
import { ALL_TESTS, INTEGRATION_TESTS } from './test/projects.ts';

// Two projects (test/README.md): `unit` runs every test file not listed in test/projects.ts,
// with a guard that fails one that starts a server or a process; `integration` runs the listed
// ones, which start real servers (influxd, mosquitto, chromium). Keep the worker count at the
// machine's two cores so timings stay sane, and give servers room to start.
export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    maxWorkers: 2,
    reporters: ['default', './test/summaryReporter.ts'],
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ALL_TESTS,
          exclude: INTEGRATION_TESTS,
          setupFiles: ['./test/helpers/unitGuard.ts'],
        },
      },
      { extends: true, test: { name: 'integration', include: INTEGRATION_TESTS } },
    ],
  },
});
