// biome-ignore-all lint/suspicious/noExplicitAny: JSON answers from the API under test are checked field by field
/** An admin imports a surveyed inventory: validated with line and field errors, saved, audited, and picked up at the next start. */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { loadRegistry, resolveInventoryPath } from '../../shared/registry/index.ts';
import { type Harness, startHarness } from './harness.ts';

let h: Harness;
let dataDir: string;
beforeAll(async () => {
  h = await startHarness();
  dataDir = h.gateway.context.dataDir;
});
afterAll(async () => {
  await h?.stop();
});

const header = 'id,lon,lat,segmentId,controllerId,modelId,distanceM,poleHeightM,segmentName';
function survey(rows: string[]) {
  return [header, ...rows].join('\n');
}

test('a bad file is refused with every problem named by line and field, and nothing is saved', async () => {
  const model = h.broker.registry.models[0]!.id;
  const content = survey([
    `S-1,12.3521,55.6803,north,ctl-n,${model},0,8,Herstedvang`,
    `S-2,east,55.6804,north,ctl-n,${model},30,8,Herstedvang`,
    `S-3,12.3529,55.6805,north,ctl-n,no-such-model,60,8,Herstedvang`,
  ]);
  const r = await h.api('POST', '/api/registry/inventory', {
    token: h.tokens.admin,
    body: { format: 'csv', content },
  });
  expect(r.status).toBe(400);
  expect(r.json.issues).toEqual([
    { path: 'line 3, field lon', message: 'expected a number, got "east"' },
    { path: 'line 4, field modelId', message: 'unknown luminaire model no-such-model' },
  ]);
  expect(r.json.error).toMatch(/^invalid inventory: 2 problem\(s\), first: line 3, field lon/);
  const fixed = content.replace(',east,', ',12.3525,');
  const r2 = await h.api('POST', '/api/registry/inventory', {
    token: h.tokens.admin,
    body: { format: 'csv', content: fixed },
  });
  expect(r2.status).toBe(400);
  expect(r2.json.issues).toEqual([
    { path: 'line 4, field modelId', message: 'unknown luminaire model no-such-model' },
  ]);
  const audit = await h.api('GET', '/api/audit?action=registry.imported', {
    token: h.tokens.admin,
  });
  expect(audit.json.entries.filter((e: any) => e.outcome === 'rejected').length).toBe(2);
});

test('a good file is saved, audited, and is what the lab loads at its next start', async () => {
  const model = h.broker.registry.models[1]!.id;
  const content = survey([
    `S-1,12.3521,55.6803,north,ctl-n,${model},0,8,Herstedvang`,
    `S-2,12.3525,55.6804,north,ctl-n,${model},30,8,Herstedvang`,
    `S-3,12.3529,55.6805,south,ctl-s,${model},60,10,Stensmosevej`,
  ]);
  const dry = await h.api('POST', '/api/registry/inventory', {
    token: h.tokens.admin,
    body: { format: 'csv', content, dryRun: true },
  });
  expect(dry.json).toEqual({ ok: true, dryRun: true, lamps: 3, segments: 2 });
  const r = await h.api('POST', '/api/registry/inventory', {
    token: h.tokens.admin,
    body: { format: 'csv', content },
  });
  expect(r.status, r.text).toBe(201);
  expect(r.json).toMatchObject({
    saved: 'inventory.csv',
    lamps: 3,
    segments: 2,
    appliesAt: 'next start',
  });
  const path = resolveInventoryPath(undefined, dataDir)!;
  expect(path).toBe(join(dataDir, 'inventory.csv'));
  expect(readFileSync(path, 'utf8')).toBe(content);
  expect(loadRegistry(path).lamps.map((l) => l.id)).toEqual(['S-1', 'S-2', 'S-3']);
  // INVENTORY_PATH, when set, still wins.
  expect(resolveInventoryPath('/elsewhere.csv', dataDir)).toBe('/elsewhere.csv');
  const audit = await h.api('GET', '/api/audit?action=registry.imported', {
    token: h.tokens.admin,
  });
  expect(audit.json.entries.some((e: any) => e.outcome === 'ok' && e.lampCount === 3)).toBe(true);
});

test('a GeoJSON import replaces a saved CSV', async () => {
  const model = h.broker.registry.models[2]!.id;
  const content = JSON.stringify({
    type: 'FeatureCollection',
    features: [
      {
        type: 'Feature',
        geometry: { type: 'Point', coordinates: [12.35, 55.68] },
        properties: { id: 'G-1', segmentId: 's', controllerId: 'c', modelId: model },
      },
    ],
  });
  const r = await h.api('POST', '/api/registry/inventory', {
    token: h.tokens.admin,
    body: { format: 'geojson', content },
  });
  expect(r.status, r.text).toBe(201);
  expect(existsSync(join(dataDir, 'inventory.csv'))).toBe(false);
  expect(resolveInventoryPath(undefined, dataDir)).toBe(join(dataDir, 'inventory.geojson'));
});

test('only admins may import', async () => {
  for (const role of ['viewer', 'vendor', 'operator'] as const) {
    const r = await h.api('POST', '/api/registry/inventory', {
      token: h.tokens[role],
      body: { format: 'csv', content: header, dryRun: true },
    });
    expect(r.status, role).toBe(403);
  }
});
