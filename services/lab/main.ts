/**
 * `npm start`: the whole lab in one process on embedded defaults: broker, processor (DuckDB),
 * gateway with the dashboard, and the route simulator. Each service keeps its own config loader;
 * the lab loads them all first so that one message lists every bad variable.
 */
import { ConfigError } from '../../shared/config.ts';
import type { RunningService } from '../../shared/service.ts';
import { banner, stopOnSignal } from '../../shared/service.ts';
import { startLab } from './lab.ts';

const started: RunningService[] = [];
try {
  const lab = await startLab(process.env);
  started.push(...lab.services);
  console.log(banner(lab.title, lab.services));
  process.exit(await stopOnSignal(lab.services, lab.log));
} catch (err) {
  console.error(err instanceof ConfigError ? err.message : err);
  for (const s of started.reverse()) await s.stop().catch(() => undefined);
  process.exit(1);
}
