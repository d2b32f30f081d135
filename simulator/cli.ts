/**
 * Command line of the simulator: flags map onto the SIMULATOR_* variables (flags win), so the CLI
 * and the environment share one validated config. Pure.
 */
import { parseArgs } from 'node:util';
import { FAULT_KINDS } from './faults.ts';
import type { SimulatorStats } from './simulator.ts';

export const HELP = `gadelys route simulator: the DOLL route's lamp posts over MQTT

usage: npm run simulator -- [options]      (or: npx tsx simulator/main.ts [options])

  --mode lamp|segment   lamp: one MQTT connection per lamp (own credentials, birth, last will)
                        segment: one connection per segment controller publishing batches
  --lamps N             lamps to simulate; more than the route replicates it (r2-DOLL-0001...)
  --interval D          reporting interval per lamp/controller: 1000, 1s, 15m (default 1s)
  --jitter F            interval varies by up to this fraction (default 0.1)
  --speed N             device time runs N times faster (a night in minutes at 60)
  --start ISO           device time at start (default: now; sped up: before last night's sunset,
                        so device time never runs ahead of the wall clock)
  --seed N              same seed, same lab: lamp histories, voltages, traffic, jitter
  --program NAME        on-device default program: danish | slagelse | adaptive (presence)
  --traffic N           road users per hour at the busiest hour (presence sensors)
  --fault SPEC          kind:target[:k=v,...], repeatable; target is a lamp, a segment or *
                        kinds: ${FAULT_KINDS.join(', ')}
                        e.g. --fault supplyLoss:seg-03 --fault cycling:DOLL-0007:onS=30,offS=10
  --url URL             broker (default MQTT_URL or mqtt://127.0.0.1:1883)
  --help                this text

Environment: LAB_SECRET (device passwords derive from it), MQTT_URL, SIMULATOR_* (see
.env.example). On a terminal, type "fault SPEC", "clear TARGET [KIND]" or "faults" while it runs.`;

const FLAG_TO_ENV = {
  mode: 'SIMULATOR_MODE',
  lamps: 'SIMULATOR_LAMPS',
  interval: 'SIMULATOR_INTERVAL_MS',
  jitter: 'SIMULATOR_JITTER',
  speed: 'SIMULATOR_SPEED',
  start: 'SIMULATOR_START',
  seed: 'SIMULATOR_SEED',
  program: 'SIMULATOR_PROGRAM',
  traffic: 'SIMULATOR_TRAFFIC_PER_HOUR',
  url: 'MQTT_URL',
} as const;

/** `1500`, `1.5s`, `15m`, `1h` to milliseconds; anything else is passed through for config to reject. */
export function durationMs(text: string): string {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  if (!m) return text;
  const unit = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 }[m[2] ?? 'ms'] ?? 1;
  return String(Math.round(Number(m[1]) * unit));
}

export type CliResult =
  | { help: true }
  | { help: false; env: Record<string, string> }
  | { error: string };

/** Parse argv into env overrides. */
export function parseCli(argv: readonly string[]): CliResult {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (err) {
    return { error: (err as Error).message };
  }
  const v = parsed.values;
  if (v.help) return { help: true };
  const env: Record<string, string> = {};
  for (const [flag, name] of Object.entries(FLAG_TO_ENV)) {
    const value = v[flag as keyof typeof FLAG_TO_ENV];
    if (typeof value === 'string') env[name] = flag === 'interval' ? durationMs(value) : value;
  }
  if (v.fault && v.fault.length > 0) env.SIMULATOR_FAULTS = v.fault.join(';');
  return { help: false, env };
}

function parse(argv: readonly string[]) {
  return parseArgs({
    args: [...argv],
    strict: true,
    allowPositionals: false,
    options: {
      help: { type: 'boolean', short: 'h' },
      fault: { type: 'string', multiple: true },
      ...Object.fromEntries(Object.keys(FLAG_TO_ENV).map((k) => [k, { type: 'string' as const }])),
    } as {
      help: { type: 'boolean'; short: 'h' };
      fault: { type: 'string'; multiple: true };
    } & Record<keyof typeof FLAG_TO_ENV, { type: 'string' }>,
  });
}

/** The live status line. */
export function statusLine(s: SimulatorStats): string {
  const t = new Date(s.simTime).toISOString().replace('T', ' ').slice(0, 19);
  const speed = s.speed === 1 ? '' : ` x${s.speed}`;
  return (
    `${t}Z${speed} | ${s.connected}/${s.connections} connected, ${s.lamps} lamps | ` +
    `${s.messagesPerSecond} msg/s | cmds ${s.commands} (rejected ${s.commandsRejected}) | ` +
    `faults ${s.faults} | road users ${s.roadUsers}${s.dropped > 0 ? ` | dropped ${s.dropped}` : ''}`
  );
}
