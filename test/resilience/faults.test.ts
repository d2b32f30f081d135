// biome-ignore-all lint/suspicious/noExplicitAny: JSON answers from the API under test are checked field by field
/**
 * Faults under load (issue #16): the simulator's lamps publish thousands of readings a second
 * into a lab of real processes (broker, processor, gateway, influxd 1.6.7) while each part fails
 * in turn: the processor SIGKILLed and restarted, the gateway SIGKILLed with dashboards open,
 * the broker restarted, InfluxDB stopped and later frozen (SIGSTOP), the spool's disk filled and
 * freed. Then every reading a lamp had acknowledged must be in InfluxDB exactly once, the lamps
 * back with spread-out retries, each dashboard reconnected and resubscribed, the alarms what the
 * faults say (one cleared, one raised), and no service's memory growing. Counts go to the
 * resilience report (test/resilience/report.ts).
 *
 * RESILIENCE_SCALE=full (`npm run test:resilience`) runs each fault for real lengths (InfluxDB
 * down 60 s, frozen 30 s); unset or `short` (the main test command) runs the same faults short.
 */
import { closeSync, openSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { loadServiceRegistry } from '../../shared/bootstrap/inventory.ts';
import { silentLogger } from '../../shared/log.ts';
import { loadSimulatorConfig } from '../../simulator/config.ts';
import { type RunningSimulator, startSimulator } from '../../simulator/simulator.ts';
import { eventually } from '../helpers/eventually.ts';
import { type FaultLab, isMounted, type ServiceName, startFaultLab } from './faultLab.ts';
import { installBrowserGlobals, type LiveClient, startLiveClient } from './liveClients.ts';
import { ReadingLedger, storedCount, storedTelemetry } from './loadCounts.ts';
import { recordCounts } from './report.ts';

const SCALES = {
  short: {
    intervalMs: 500,
    warmS: 2,
    settleS: 2,
    influxDownS: 3,
    influxFrozenS: 2,
    diskFullS: 2,
    tailS: 2,
    reconnectMs: 2_000,
    /** RSS of the last third may exceed the first third by this fraction (short runs warm up). */
    rssTolerance: 0.5,
  },
  full: {
    intervalMs: 100,
    warmS: 20,
    settleS: 15,
    influxDownS: 60,
    influxFrozenS: 30,
    diskFullS: 20,
    tailS: 30,
    reconnectMs: 5_000,
    rssTolerance: 0.25,
  },
} as const;
const SCALE_NAME = process.env.RESILIENCE_SCALE === 'full' ? 'full' : 'short';
const S = SCALES[SCALE_NAME];
const CLIENTS = 3;
const PASSWORD = 'faults under load password';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? 0 : s[Math.floor(s.length / 2)]!;
};

let lab: FaultLab;
let sim: RunningSimulator | undefined;
const clients: LiveClient[] = [];
const ledger = new ReadingLedger();
const phases: { name: string; startedAt: number; endedAt?: number }[] = [];
let adminToken = '';

/** Lamps the broker has connected now (its /metrics). */
async function brokerLampsConnected(): Promise<number> {
  const text = await (await fetch(`${lab.services.broker.urls.metrics}/metrics`)).text();
  return Number(/^gadelys_broker_lamps_connected(?:\{[^}]*\})? (\d+)/m.exec(text)?.[1] ?? -1);
}

/** The simulator's stop waits for in-flight publishes; a stalled broker must not hang the run. */
async function stopSimulator(): Promise<void> {
  const s = sim;
  sim = undefined;
  if (s) await Promise.race([s.stop(), sleep(15_000)]);
}

async function api(method: string, path: string, body?: unknown) {
  const res = await fetch(`${lab.gatewayBase}${path}`, {
    method,
    headers: {
      'content-type': 'application/json',
      ...(adminToken ? { authorization: `Bearer ${adminToken}` } : {}),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.status, json: (await res.json().catch(() => ({}))) as any };
}

const t0 = performance.now();
/** Progress on stderr, for a run that takes minutes (RESILIENCE_VERBOSE=1 adds a line a second). */
const say = (text: string) =>
  process.stderr.write(`[faults ${((performance.now() - t0) / 1000).toFixed(1)}s] ${text}\n`);

function phase(name: string) {
  say(name);
  const last = phases[phases.length - 1];
  if (last) last.endedAt = performance.now();
  phases.push({ name, startedAt: performance.now() });
  ledger.phase = phases.length - 1;
}

beforeAll(async () => {
  lab = await startFaultLab({ spoolMb: 192 });
  const secret = lab.services.gateway.proc.output().match(/"secret":"([^"]+)"/)?.[1];
  const boot = await api('POST', '/api/auth/bootstrap', {
    secret,
    username: 'admin',
    password: PASSWORD,
  });
  expect(boot.status).toBe(201);
  const login = async () =>
    (await api('POST', '/api/auth/login', { username: 'admin', password: PASSWORD })).json
      .token as string;
  adminToken = await login();
  installBrowserGlobals(lab.gatewayBase);
  for (let i = 0; i < CLIENTS; i++)
    clients.push(await startLiveClient(lab.gatewayBase, await login()));
}, 120_000);

afterAll(async () => {
  for (const c of clients) c.state.stop();
  const t = performance.now();
  await stopSimulator();
  const t1 = performance.now();
  await lab?.stop();
  process.stderr.write(
    `afterAll: simulator ${Math.round(t1 - t)} ms, lab ${Math.round(performance.now() - t1)} ms\n`,
  );
}, 120_000);

/** Fill the spool's disk: a ballast file written until ENOSPC. */
function fillDisk(dir: string): { path: string; bytes: number } {
  const path = join(dir, 'ballast');
  const fd = openSync(path, 'w');
  let bytes = 0;
  try {
    for (const size of [1 << 20, 1 << 12]) {
      const buf = Buffer.alloc(size, 0x61);
      for (;;) {
        try {
          bytes += writeSync(fd, buf);
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code === 'ENOSPC') break;
          throw err;
        }
      }
    }
  } finally {
    closeSync(fd);
  }
  return { path, bytes };
}

test(
  `faults under load (${SCALE_NAME}): nothing lost or duplicated, clients back, alarms consistent, memory flat`,
  async () => {
    const registry = loadServiceRegistry({ GATEWAY_DATA_DIR: join(lab.dir, 'gateway') });
    const [segA, segB] = registry.segments;
    const simConfig = loadSimulatorConfig({
      MQTT_URL: lab.mqttUrl,
      LAB_SECRET: lab.labSecret,
      SIMULATOR_INTERVAL_MS: String(S.intervalMs),
      SIMULATOR_RECONNECT_MS: String(S.reconnectMs),
    });
    sim = await startSimulator(simConfig, {
      registry,
      log: silentLogger,
      labSecret: lab.labSecret,
      onPublished: (out, acked) => {
        if (out.kind === 'telemetry') ledger.record(out.payload, acked);
      },
    });
    const lamps = registry.lamps.length;
    let lagAt = performance.now();
    const ticker = setInterval(() => {
      const lag = performance.now() - lagAt - 1000;
      lagAt = performance.now();
      if (process.env.RESILIENCE_VERBOSE && sim)
        say(
          `connected ${sim.stats().connected}, ${sim.stats().messagesPerSecond} msg/s, acked ${ledger.ackedTotal}, loop lag ${Math.round(lag)} ms`,
        );
    }, 1000);
    ticker.unref();
    const started = performance.now();
    const notes: Record<string, number | string> = {};
    const svc = (n: ServiceName) => lab.services[n];

    // 1. Load, and a segment's mains gone (its alarm must be raised, and later cleared).
    phase('warm-up');
    sim.injectFault(`supplyLoss:${segA!.id}`);
    await sleep(S.warmS * 1000);
    notes.msgPerS = sim.stats().messagesPerSecond;

    // 2. The processor SIGKILLed under load and started again on the same spool.
    phase('processor SIGKILL');
    await svc('processor').kill();
    await svc('processor').start();
    await sleep(S.settleS * 1000);

    // 3. The gateway SIGKILLed with dashboards open; they reconnect and resubscribe.
    phase('gateway SIGKILL');
    const gatewayKilledAt = performance.now();
    await svc('gateway').kill();
    await svc('gateway').start();
    await eventually(
      'every dashboard resubscribed after the gateway came back',
      () =>
        clients.every(
          (c) =>
            c.log.snapshots.some((t) => t > gatewayKilledAt) &&
            c.log.deltas.filter((t) => t > gatewayKilledAt).length >= 2,
        ),
      {
        timeoutMs: 40_000,
        intervalMs: 200,
        detail: () =>
          JSON.stringify(
            clients.map((c) => ({
              connection: c.state.connection.value,
              ended: c.sessionEnded,
              opens: c.log.opens.length,
              snapshots: c.log.snapshots.length,
              deltas: c.log.deltas.length,
            })),
          ) + svc('gateway').proc.output().slice(-1500),
      },
    );
    notes.dashboardReconnectS = Number(
      (
        (Math.max(...clients.map((c) => c.log.snapshots.find((t) => t > gatewayKilledAt)!)) -
          gatewayKilledAt) /
        1000
      ).toFixed(1),
    );
    await sleep(S.settleS * 1000);

    // 4. The broker restarted: lamps come back spread over their retry periods, not at once.
    phase('broker restart');
    // Counted by the broker: the simulator's own count waits for mqtt.js' 'connect', which
    // comes only after a lamp's whole backlog of unacknowledged publishes was sent again.
    const connected: { at: number; n: number }[] = [];
    await svc('broker').stop();
    const brokerDownAt = performance.now();
    await svc('broker').start();
    const brokerUpAt = performance.now();
    await eventually(
      'every lamp reconnected',
      async () => {
        const n = await brokerLampsConnected();
        connected.push({ at: performance.now(), n });
        return n === lamps;
      },
      {
        timeoutMs: 4 * S.reconnectMs + 30_000,
        intervalMs: 100,
        detail: () =>
          `${JSON.stringify(connected.filter((_, i) => i % 10 === 0).map((c) => c.n))}\n${svc('broker').proc.output().slice(-2000)}`,
      },
    );
    const firstBack = connected.find((c) => c.n >= lamps * 0.1)!;
    const mostBack = connected.find((c) => c.n >= lamps * 0.9)!;
    notes.brokerDownS = Number(((brokerUpAt - brokerDownAt) / 1000).toFixed(1));
    notes.lampsBack10to90S = Number(((mostBack.at - firstBack.at) / 1000).toFixed(1));
    sim.clearFault(segA!.id, 'supplyLoss');
    await sleep(S.settleS * 1000);

    // 5. InfluxDB stopped; the processor spools to disk and replays in order when it is back.
    phase('InfluxDB stopped');
    await lab.influxd.kill();
    await sleep(S.influxDownS * 1000);
    await lab.influxd.restart();
    sim.injectFault(`supplyLoss:${segB!.id}`);
    await sleep(S.settleS * 1000);

    // 6. InfluxDB frozen (SIGSTOP): writes hang rather than fail, then it thaws.
    phase('InfluxDB SIGSTOP');
    lab.influxd.signal('SIGSTOP');
    await sleep(S.influxFrozenS * 1000);
    lab.influxd.signal('SIGCONT');
    await sleep(S.settleS * 1000);

    // 7. The spool's disk full: the processor must not acknowledge what it cannot journal.
    phase('spool disk full');
    expect(lab.spoolDisk, 'the spool needs a tmpfs of its own to be filled safely').toBe('tmpfs');
    expect(isMounted(lab.spoolDir)).toBe(true);
    const before = svc('processor').proc.output().split('cannot journal').length - 1;
    const ballast = fillDisk(lab.spoolDir);
    notes.ballastMb = Math.round(ballast.bytes / (1 << 20));
    await sleep(S.diskFullS * 1000);
    notes.journalRefusals =
      svc('processor').proc.output().split('cannot journal').length - 1 - before;
    unlinkSync(ballast.path);

    // 8. Load on a whole lab again, then the lamps stop and everything must be stored.
    phase('tail');
    await sleep(S.tailS * 1000);
    phase('drain');
    const simStats = sim.stats();
    await stopSimulator();
    const runS = (performance.now() - started) / 1000;
    const acked = ledger.ackedTotal;
    const count = () =>
      storedCount(lab.influxd.url, lab.influxd.database, ledger.minTs, ledger.maxTs);
    const drainStart = performance.now();
    // Until all are there, or the count has not moved for 20 s (what is missing then stays so).
    let total = await count();
    let stillSince = performance.now();
    for (let i = 0; i < 300 && total < acked; i++) {
      await sleep(1_000);
      const now = await count();
      if (now !== total) [total, stillSince] = [now, performance.now()];
      else if (performance.now() - stillSince > 20_000) break;
    }
    // Redeliveries still on their way would show as duplicates only once written: wait a moment.
    await sleep(2_000);
    const stored = await storedTelemetry(
      lab.influxd.url,
      lab.influxd.database,
      ledger.minTs,
      ledger.maxTs,
    );
    notes.drainS = Number(((performance.now() - drainStart) / 1000).toFixed(1));
    const pc = svc('processor').proc.child;
    if (pc.exitCode !== null || pc.signalCode !== null) {
      notes.processorExited = String(pc.exitCode ?? pc.signalCode);
      say(`the processor exited:\n${svc('processor').proc.output().slice(-3000)}`);
    }
    const perPhase = ledger.compare(stored.byLamp, phases.length);
    // What the processor (its last start) says it turned away, and why.
    try {
      const text = await (await fetch(`${svc('processor').urls.metrics}/metrics`)).text();
      const rejected = [
        ...text.matchAll(/^gadelys_processor_rejected_total\{code="(\w+)"\} (\d+)/gm),
      ]
        .map((m) => `${m[1]}:${m[2]}`)
        .join(' ');
      notes.processorRejected = rejected || 'none';
    } catch (err) {
      notes.processorRejected = `unknown: ${(err as Error).message}`;
    }
    const missing = ledger.missing(stored.byLamp);
    if (missing.length > 0) {
      notes.missing = missing.join(' ');
      const at = (t: number) => Math.round(Date.now() - (performance.now() - t));
      say(
        `missing ${missing.join(', ')}; broker stopped at ${at(brokerDownAt)}, up at ${at(brokerUpAt)} (epoch ms)`,
      );
    }

    // Alarms: A's supply loss cleared, B's raised, and every dashboard agrees with the gateway.
    const active = await eventually(
      'the alarms settled',
      async () => {
        const r = await api('GET', '/api/alarms');
        const alarms = r.json.alarms as any[];
        const ids = new Set(alarms.map((a) => a.alarmId));
        return ids.has(`segmentSupplyLoss:${segB!.id}`) && !ids.has(`segmentSupplyLoss:${segA!.id}`)
          ? alarms
          : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 500 },
    ).catch(async () => (await api('GET', '/api/alarms')).json.alarms as any[]);
    const activeIds = active.map((a) => a.alarmId as string).sort();
    const history = await api(
      'GET',
      `/api/alarms/history?from=${Math.round(Date.now() - runS * 1000 - 600_000)}`,
    );
    const aHistory = ((history.json.alarms ?? history.json.history ?? []) as any[])
      .filter((a) => a.alarmId === `segmentSupplyLoss:${segA!.id}`)
      .map((a) => a.state);
    notes.segmentAHistory = aHistory.join(',') || '(none)';

    // Memory: each service's last instance, first third of its life against the last third.
    const memory: Record<string, { firstMb: number; lastMb: number }> = {};
    for (const name of ['broker', 'processor', 'gateway'] as const) {
      const inst = svc(name).instance;
      const samples = lab.rss.filter((r) => r.service === name && r.instance === inst);
      const third = Math.floor(samples.length / 3);
      memory[name] = {
        firstMb: Math.round(median(samples.slice(0, third).map((r) => r.rssMb))),
        lastMb: Math.round(median(samples.slice(-third).map((r) => r.rssMb))),
      };
    }

    const totals = perPhase.reduce(
      (t, p) => ({
        acked: t.acked + p.acked,
        notAcked: t.notAcked + p.notAcked,
        lost: t.lost + p.lost,
        duplicated: t.duplicated + p.duplicated,
        storedUnacked: t.storedUnacked + p.storedUnacked,
      }),
      { acked: 0, notAcked: 0, lost: 0, duplicated: 0, storedUnacked: 0 },
    );
    for (const [i, p] of phases.entries()) {
      const c = perPhase[i]!;
      if (p.name === 'drain' && c.acked === 0 && c.notAcked === 0) continue;
      await recordCounts(`faults under load (${SCALE_NAME}): ${p.name}`, {
        attempts: c.acked + c.notAcked,
        refused: c.notAcked,
        lost: c.lost,
        duplicated: c.duplicated,
        storedUnacked: c.storedUnacked,
        seconds: Number((((p.endedAt ?? performance.now()) - p.startedAt) / 1000).toFixed(1)),
      });
    }
    await recordCounts(`faults under load (${SCALE_NAME}): whole run`, {
      attempts: totals.acked + totals.notAcked,
      refused: totals.notAcked,
      lost: totals.lost,
      duplicated: totals.duplicated,
      storedUnacked: totals.storedUnacked,
      lamps,
      runS: Number(runS.toFixed(0)),
      offlineDrops: simStats.dropped,
      spoolDisk: lab.spoolDisk,
      activeAlarms: activeIds.join(' ') || 'none',
      rssMb: Object.entries(memory)
        .map(([k, v]) => `${k} ${v.firstMb}->${v.lastMb}`)
        .join(', '),
      dashboardReconnects: clients.map((c) => c.log.opens.length - 1).join('/'),
      ...notes,
    });

    // Everything the lamps were told was received is stored, once.
    expect({ lost: totals.lost, duplicated: totals.duplicated }).toEqual({
      lost: 0,
      duplicated: 0,
    });
    expect(totals.acked).toBeGreaterThan(lamps * 10);
    // Lamps came back spread over their retry periods (reconnect R..2R), not in one burst.
    expect(notes.lampsBack10to90S as number).toBeGreaterThanOrEqual((0.3 * S.reconnectMs) / 1000);
    // The full disk was hit, and refused rather than acknowledged.
    expect(notes.journalRefusals as number).toBeGreaterThan(0);
    // Dashboards reconnected on their own and none was sent to sign in again.
    for (const c of clients) {
      expect(c.sessionEnded).toBe(false);
      expect(c.log.opens.length).toBeGreaterThanOrEqual(2);
      expect(c.state.connection.value).toBe('live');
      const book = c.state.alarms
        .list()
        .map((a) => a.alarmId)
        .sort();
      expect(book).toEqual(activeIds);
    }
    expect(activeIds).toContain(`segmentSupplyLoss:${segB!.id}`);
    expect(activeIds).not.toContain(`segmentSupplyLoss:${segA!.id}`);
    // The window's bounds are whole milliseconds: a fractional `from` was refused with a 400 that
    // this check once read as an empty history.
    expect(history.status, JSON.stringify(history.json)).toBe(200);
    expect(aHistory).toContain('raised');
    expect(aHistory).toContain('cleared');
    for (const [name, m] of Object.entries(memory))
      expect(m.lastMb, `${name} RSS ${m.firstMb} -> ${m.lastMb} MB`).toBeLessThanOrEqual(
        m.firstMb * (1 + S.rssTolerance),
      );
  },
  SCALE_NAME === 'full' ? 900_000 : 240_000,
);
