/**
 * A broker restart loses no reading (issue #16). Two halves:
 *
 * - At start, before any listener opens, the service accounts' durable sessions (the processor's
 *   fixed client id, clean session off) are put in aedes' persistence with the processor's
 *   subscriptions. aedes queues QoS1 messages for a persistent session that is offline, so what
 *   lamps publish before the processor has reconnected waits for it instead of going nowhere
 *   (the in-memory persistence forgets every session at exit).
 * - At stop, after the listeners closed, devices (without their wills) and clean sessions are
 *   disconnected (nothing new is PUBACKed), then the broker waits, bounded, until every connected durable session has
 *   acknowledged what the broker had accepted for it; what is still pending at the deadline is
 *   logged as dropped.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Aedes, Client } from 'aedes';
import { filters } from '../../shared/contract/topics.ts';
import type { Logger } from '../../shared/log.ts';

/** What the processor subscribes to (services/processor/processor.ts PROCESSOR_FILTERS; a test keeps them equal). */
export const DURABLE_FILTERS = [
  filters.allTelemetry,
  filters.allBatches,
  filters.allStatus,
  filters.allEvents,
  filters.allAcks,
  filters.allCommands,
] as const;

const POLL_MS = 20;

/** The aedes-persistence calls used here (aedes types it as `any`). */
interface Persistence {
  subscriptionsByClient(client: { id: string }): Promise<unknown[]>;
  addSubscriptions(client: { id: string }, subs: { topic: string; qos: 1 }[]): Promise<void>;
  outgoingStream(client: { id: string }): AsyncIterable<unknown>;
}
const persistenceOf = (aedes: Aedes) =>
  (aedes as unknown as { persistence: Persistence }).persistence;

/** Comma-separated client ids, as BROKER_DURABLE_SESSIONS holds them; `none`: no session. */
export const parseSessionIds = (text: string): string[] =>
  text.trim() === 'none'
    ? []
    : text
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);

/**
 * Give each id a persistent session with DURABLE_FILTERS at QoS 1, unless the persistence already
 * holds subscriptions for it (a shared persistence in a cluster, or a processor that chose others).
 */
export async function registerDurableSessions(
  aedes: Aedes,
  ids: readonly string[],
  log: Logger,
): Promise<void> {
  const persistence = persistenceOf(aedes);
  for (const id of ids) {
    const held = await persistence.subscriptionsByClient({ id });
    if (held.length > 0) continue;
    await persistence.addSubscriptions(
      { id },
      DURABLE_FILTERS.map((topic) => ({ topic, qos: 1 as const })),
    );
    log.info({ clientId: id, filters: DURABLE_FILTERS.length }, 'durable session registered');
  }
}

async function pendingFor(persistence: Persistence, id: string): Promise<number> {
  let n = 0;
  for await (const _ of persistence.outgoingStream({ id })) n++;
  return n;
}

export interface DrainResult {
  /** Durable sessions waited for. */
  sessions: string[];
  waitedMs: number;
  /** Messages still unacknowledged at the deadline, per client id (empty: none dropped). */
  dropped: Record<string, number>;
}

/**
 * Disconnect every client except connected persistent sessions of non-devices, then wait until
 * those have no unacknowledged message left, at most `timeoutMs`.
 */
export async function drainDurableSessions(
  aedes: Aedes,
  isDevice: (id: string) => boolean,
  timeoutMs: number,
  log: Logger,
): Promise<DrainResult> {
  const clients = () =>
    Object.values((aedes as unknown as { clients: Record<string, Client | undefined> }).clients);
  const durable = new Set<string>();
  for (const client of clients()) {
    if (!client) continue;
    if (client.clean === false && !isDevice(client.id)) {
      durable.add(client.id);
      continue;
    }
    // The broker ends the session, the lamp is not lost: its will ("offline") would tell the
    // processor that every lamp went dark at once (a supply-loss alarm for each segment). It
    // publishes "online" again when it reconnects.
    if (isDevice(client.id)) (client as unknown as { will: unknown }).will = null;
    client.close();
  }
  const persistence = persistenceOf(aedes);
  const started = performance.now();
  let pending: Record<string, number> = {};
  for (;;) {
    const connected = new Set(clients().map((c) => c?.id));
    pending = {};
    for (const id of durable) {
      if (!connected.has(id)) continue; // gone: its queue waits in the persistence, or is lost with it
      const n = await pendingFor(persistence, id);
      if (n > 0) pending[id] = n;
    }
    if (Object.keys(pending).length === 0 || performance.now() - started >= timeoutMs) break;
    await sleep(POLL_MS);
  }
  const result = {
    sessions: [...durable],
    waitedMs: Math.round(performance.now() - started),
    dropped: pending,
  };
  if (Object.keys(pending).length > 0)
    log.warn(result, 'stop: durable sessions still had unacknowledged messages; dropped');
  else log.info(result, 'stop: durable sessions acknowledged everything');
  return result;
}
