/**
 * `npx tsx simulator/main.ts`: the route simulator on its own. Reads flags and env, connects every
 * simulated device, shows a live status line on a terminal, stops cleanly on SIGINT/SIGTERM.
 */
import { createInterface } from 'node:readline';
import { loadServiceRegistry } from '../shared/bootstrap/inventory.ts';
import { requireSecret } from '../shared/bootstrap/secrets.ts';
import { ConfigError } from '../shared/config.ts';
import { createLogger } from '../shared/log.ts';
import { stopOnSignal } from '../shared/service.ts';
import { HELP, parseCli, statusLine } from './cli.ts';
import { loadSimulatorConfig } from './config.ts';
import { type RunningSimulator, startSimulator } from './simulator.ts';

const cli = parseCli(process.argv.slice(2));
if ('error' in cli) {
  console.error(`${cli.error}\n\n${HELP}`);
  process.exit(2);
}
if (cli.help) {
  console.log(HELP);
  process.exit(0);
}

let sim: RunningSimulator | undefined;
try {
  const config = loadSimulatorConfig({ ...process.env, ...cli.env });
  // Each device's password derives from the lab secret; only the service account can do without.
  requireSecret('simulator', config.LAB_SECRET, {
    'SIMULATOR_CREDENTIALS=service with SIMULATOR_MQTT_PASSWORD':
      config.SIMULATOR_CREDENTIALS === 'service' && config.SIMULATOR_MQTT_PASSWORD,
  });
  const log = createLogger('simulator', config.LOG_LEVEL);
  const registry = loadServiceRegistry(config);
  sim = await startSimulator(config, { registry, log, labSecret: config.LAB_SECRET ?? '' });
  const running = sim;
  if (process.stderr.isTTY) {
    const timer = setInterval(
      () => process.stderr.write(`\r\x1b[2K${statusLine(running.stats())}`),
      1_000,
    );
    timer.unref();
    const rl = createInterface({ input: process.stdin });
    rl.on('line', (line) => {
      const [verb, arg, kind] = line.trim().split(/\s+/);
      try {
        if (verb === 'fault' && arg)
          console.error(`\nfault on ${running.injectFault(arg).length} lamps`);
        else if (verb === 'clear' && arg)
          console.error(`\ncleared on ${running.clearFault(arg, kind as never).length} lamps`);
        else if (verb === 'faults')
          console.error(
            `\n${
              running.simulation
                .activeFaults()
                .map((f) => `${f.kind}:${f.lampId}`)
                .join(' ') || 'none'
            }`,
          );
        else console.error('\ncommands: fault SPEC | clear TARGET [KIND] | faults');
      } catch (err) {
        console.error(`\n${(err as Error).message}`);
      }
    });
    process.once('SIGINT', () => rl.close());
    process.once('SIGTERM', () => rl.close());
  }
  process.exit(await stopOnSignal([running], log));
} catch (err) {
  console.error(err instanceof ConfigError ? err.message : err);
  await sim?.stop().catch(() => undefined);
  process.exit(1);
}
