import { defineConfig } from 'vitest/config';

/**
 * The cluster's load runs (`*.load.ts`), outside the unit and integration projects because they
 * take minutes and are not yet green (docs/cluster.md, "Kill under load"):
 *   npx vitest run --config test/cluster/load.config.ts
 * CLUSTER_KILL_SECONDS sets the load's length, CLUSTER_KILL_FAULTS=none runs the control.
 */
export default defineConfig({
  test: {
    include: ['test/cluster/*.load.ts'],
    testTimeout: 600_000,
    hookTimeout: 300_000,
    pool: 'forks',
    maxWorkers: 1,
  },
});
