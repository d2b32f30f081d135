/**
 * A store that opens on first use and again after a failed open, so the processor starts (and
 * journals, and acknowledges) while the store is still down; the writer's retries open it later.
 */
import { type Store, StoreError } from '../storage/port.ts';
import { encodeLines, MEASUREMENTS, type PrefixCache } from '../storage/schema.ts';

export function deferredStore(kind: Store['kind'], open: () => Promise<Store>): Store {
  let opening: Promise<Store> | undefined;
  const store = (): Promise<Store> => {
    opening ??= open().catch((err) => {
      opening = undefined;
      throw err instanceof StoreError ? err : new StoreError(String(err), true, { cause: err });
    });
    return opening;
  };
  // InfluxDB's encoding (line protocol) needs no server, so it is offered before the store opens.
  const prefixes: PrefixCache = new Map();
  const encoded: Pick<Store, 'encode' | 'writeEncoded'> =
    kind === 'influxdb'
      ? {
          encode: (k, records) => encodeLines(MEASUREMENTS[k], records, prefixes),
          writeEncoded: async (k, parts) => {
            const s = await store();
            if (!s.writeEncoded) throw new StoreError(`${kind} store cannot write encoded`, false);
            return s.writeEncoded(k, parts);
          },
        }
      : {};
  return {
    kind,
    ...encoded,
    writeTelemetry: async (p) => (await store()).writeTelemetry(p),
    writeEvents: async (e) => (await store()).writeEvents(e),
    writeStatus: async (s) => (await store()).writeStatus(s),
    writeAcks: async (a) => (await store()).writeAcks(a),
    writeAlarms: async (a) => (await store()).writeAlarms(a),
    latest: async (f, w) => (await store()).latest(f, w),
    lastState: async (f) => (await store()).lastState(f),
    writeLastState: async (r) => (await store()).writeLastState(r),
    partials: async (q) => (await store()).partials(q),
    writeRollups: async (r, rows) => (await store()).writeRollups(r, rows),
    rollupState: async () => (await store()).rollupState(),
    writeRollupState: async (s) => (await store()).writeRollupState(s),
    // A store without the steady-state tier answers none: readers then compute it (steady.ts).
    steady: async (q) => (await store()).steady?.(q) ?? [],
    writeSteady: async (rows) => (await store()).writeSteady?.(rows),
    replay: (q) =>
      (async function* () {
        yield* (await store()).replay(q);
      })(),
    statusChanges: async (q) => (await store()).statusChanges(q),
    deleteBefore: async (s, c) => (await store()).deleteBefore(s, c),
    history: async (q) => (await store()).history(q),
    energy: async (q) => (await store()).energy(q),
    events: async (q) => (await store()).events(q),
    acks: async (q) => (await store()).acks(q),
    alarms: async (q) => (await store()).alarms(q),
    health: async () => {
      try {
        return await (await store()).health();
      } catch (err) {
        return { ok: false, detail: (err as Error).message };
      }
    },
    close: async () => {
      const current = opening;
      opening = undefined;
      if (current) await (await current.catch(() => undefined))?.close();
    },
  };
}
