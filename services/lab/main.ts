/**
 * `npm start`: the whole lab in one process on embedded defaults. Each service keeps its own
 * config loader; the lab loads them all first so one message lists every bad variable.
 */
import { ConfigError } from '../../shared/config.ts';
import { createLogger } from '../../shared/log.ts';
import { loadRegistry } from '../../shared/registry/index.ts';
import { banner, type RunningService, stopOnSignal } from '../../shared/service.ts';
import { loadGatewayConfig } from '../gateway/config.ts';
import { startGateway } from '../gateway/server.ts';

function loadAll() {
  const problems: string[] = [];
  const attempt = <T>(load: () => T): T | undefined => {
    try {
      return load();
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      problems.push(...err.problems.map((p) => `${err.service}: ${p}`));
      return undefined;
    }
  };
  const gateway = attempt(loadGatewayConfig);
  if (problems.length > 0 || !gateway) throw new ConfigError('lab', problems);
  return { gateway };
}

const started: RunningService[] = [];
try {
  const config = loadAll();
  const log = createLogger('lab', config.gateway.LOG_LEVEL);
  const registry = loadRegistry(config.gateway.INVENTORY_PATH, config.gateway.CATALOG_PATH);
  started.push(
    await startGateway(config.gateway, {
      registry,
      log: createLogger('gateway', config.gateway.LOG_LEVEL),
    }),
  );
  const where = registry.approximate ? 'approximate route geometry' : registry.source;
  console.log(
    banner(
      `gadelys lab: ${registry.lamps.length} lamp posts in ${registry.segments.length} segments (${where})`,
      started,
    ),
  );
  process.exit(await stopOnSignal(started, log));
} catch (err) {
  console.error(err instanceof ConfigError ? err.message : err);
  for (const s of started.reverse()) await s.stop().catch(() => undefined);
  process.exit(1);
}
