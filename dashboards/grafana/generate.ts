/**
 * Writes dashboards/grafana/dashboards/*.json from dashboards.ts (`npx tsx
 * dashboards/grafana/generate.ts`), formatted as Biome formats them; a test fails when the files
 * are stale.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { GRAFANA_DASHBOARDS } from './dashboards.ts';
import { dashboardJson } from './model.ts';

export const GRAFANA_DASHBOARD_DIR = fileURLToPath(new URL('./dashboards/', import.meta.url));

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  mkdirSync(GRAFANA_DASHBOARD_DIR, { recursive: true });
  for (const d of GRAFANA_DASHBOARDS) {
    writeFileSync(
      `${GRAFANA_DASHBOARD_DIR}${d.file}`,
      `${JSON.stringify(dashboardJson(d), null, 2)}\n`,
    );
    console.log(`wrote ${d.file}`);
  }
  // In the layout `npm run lint` expects (Biome folds short arrays onto one line).
  const biome = fileURLToPath(new URL('../../node_modules/.bin/biome', import.meta.url));
  execFileSync(biome, ['format', '--write', GRAFANA_DASHBOARD_DIR], { stdio: 'inherit' });
}
