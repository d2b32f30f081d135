/**
 * The simulated lab (scripts/simulatedLab.ts: broker, processor on DuckDB, gateway, simulator)
 * with one user per role for the web app's screen tests, and a past night written to the store
 * for replay and history.
 */

import { type SimulatedLab, startSimulatedLab } from '../../scripts/simulatedLab.ts';
import type { StoredTelemetry } from '../../shared/storage/port.ts';
import { reading } from '../gateway/harness.ts';

export const PASSWORD = 'a long test password';
/** A vendor with lamps on the shipped route. */
export const VENDOR = 'nordlys';

export interface ScreensLab {
  lab: SimulatedLab;
  base: string;
  /** An API token per role (admin: the bootstrap admin's session). */
  tokens: Record<'admin' | 'operator' | 'viewer' | 'vendor', string>;
  api<T = unknown>(method: string, path: string, token: string, body?: unknown): Promise<T>;
  stop(): Promise<void>;
}

export async function startScreensLab(env: Record<string, string> = {}): Promise<ScreensLab> {
  const lab = await startSimulatedLab({
    admin: { username: 'admin', password: PASSWORD },
    // one connection per segment controller keeps the simulator light on a shared machine
    env: { SIMULATOR_MODE: 'segment', ...env },
  });
  const base = lab.base;
  const api = async <T>(method: string, path: string, token: string, body?: unknown) => {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`);
    return JSON.parse(text) as T;
  };
  const admin = lab.adminToken!;
  const tokens = { admin } as ScreensLab['tokens'];
  for (const [username, role, vendorId] of [
    ['operator', 'operator'],
    ['viewer', 'viewer'],
    ['vendor', 'vendor', VENDOR],
  ] as const) {
    await api('POST', '/api/users', admin, { username, password: PASSWORD, role, vendorId });
    const t = await api<{ token: string }>('POST', '/api/tokens', admin, {
      name: `${username} test`,
      username,
    });
    tokens[role] = t.token;
  }
  return { lab, base, tokens, api, stop: () => lab.stop() };
}

/**
 * Readings for every lamp over a night, every `stepMs`, written straight to the lab's store:
 * each lamp steps through the dimming curve's levels, so a replay visibly changes the map and a
 * vendor report has steady levels to draw a curve from.
 */
export async function writeNight(
  lab: SimulatedLab,
  from: number,
  to: number,
  stepMs = 10 * 60_000,
): Promise<number> {
  const { registry, store } = lab.gateway.context;
  if (!store) throw new Error('the lab has no store');
  let n = 0;
  let seq = 1_000_000;
  const batch: StoredTelemetry[] = [];
  const flush = async () => {
    if (batch.length === 0) return;
    await store.writeTelemetry(batch.splice(0));
  };
  for (const [j, lamp] of registry.lamps.entries()) {
    const model = registry.model(lamp.modelId);
    let energy = 50;
    for (let t = from, k = 0; t < to; t += stepMs, k++) {
      // each lamp holds one of the dimming curve's levels (0, 10 ... 100 %) for an hour, the
      // lamps changing at different steps: the vendor report sees steady levels, a replay
      // sees a sixth of the lamps change at every step
      const level = ((Math.floor((k + j) / 6) * 7 + j) % 11) * 10;
      const power = ((model?.ratedPowerW ?? 40) * level) / 100 + 0.6;
      energy += (power * stepMs) / 3_600_000 / 1000;
      batch.push({
        ...reading(lamp.id, {
          seq: seq++,
          ts: t,
          targetLevel: level,
          actualLevel: level,
          activePower: power,
          activeEnergy: energy,
          supplyCurrent: power / 230,
          operatingHours: 1000 + k,
        }),
        segmentId: lamp.segmentId,
        vendorId: model?.vendorId ?? 'unknown',
        modelId: lamp.modelId,
      });
      n++;
      if (batch.length >= 5000) await flush();
    }
  }
  await flush();
  return n;
}
