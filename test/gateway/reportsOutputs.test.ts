// biome-ignore-all lint/suspicious/noExplicitAny: JSON answers from the API under test are checked field by field
/**
 * Trials over the REST API and every output of the vendor and trial reports (JSON, CSV, HTML,
 * PDF) as a vendor gets them: only their own vendor, models and lamps, with the route's other
 * lamps as group figures only. The PDF, printed by Debian's Chromium, is read back with
 * Debian's poppler-utils (pdftotext for its figures, pdftoppm for its drawing).
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { figure } from '../../services/gateway/reports/html.ts';
import { type Harness, startHarness, VENDOR_A } from './harness.ts';
import { nightReadings } from './reportData.ts';

const run = promisify(execFile);
let h: Harness;
let dir = '';
const NIGHTS = ['2026-11-16', '2026-11-17', '2026-11-18', '2026-11-19'];
const LAST = NIGHTS.at(-1)!;

/** The vendor's first model with lamps. */
function ownModel() {
  return h.broker.registry.lampsOfVendor(VENDOR_A)[0]!.modelId;
}

/** Half of that model's lamps, under test: they draw 8 % less than the others of the model. */
function testLamps() {
  const lamps = h.broker.registry.lampsOfModel(ownModel()).map((l) => l.id);
  return lamps.slice(0, Math.ceil(lamps.length / 2));
}

beforeAll(async () => {
  h = await startHarness({ store: 'memory' });
  dir = await mkdtemp(join(tmpdir(), 'gadelys-pdf-test-'));
  const own = new Set(testLamps());
  await h.store!.writeTelemetry(
    nightReadings(h.broker.registry, NIGHTS, { powerFactor: (id) => (own.has(id) ? 0.92 : 1) }),
  );
}, 60_000);
afterAll(async () => {
  await h?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const trialBody = (id: string, over: Record<string, unknown> = {}) => ({
  id,
  name: `Trial ${id}`,
  vendorId: VENDOR_A,
  test: { modelIds: [ownModel()] },
  control: { kind: 'sameStreets' },
  fromNight: NIGHTS[0],
  toNight: LAST,
  ...over,
});

describe('trials', () => {
  test('a vendor defines trials of its own lamps only; a viewer defines none', async () => {
    const ok = await h.api('POST', '/api/trials', {
      token: h.tokens.vendor,
      body: trialBody('own', {
        test: { lampIds: testLamps() },
        control: { kind: 'model', modelId: ownModel() },
      }),
    });
    expect(ok.status, ok.text).toBe(201);
    expect(ok.json.trial.createdBy).toBe('vendor');
    const other = h.broker.registry.vendors.find((v) => v.id !== VENDOR_A)!;
    const foreign = await h.api('POST', '/api/trials', {
      token: h.tokens.vendor,
      body: trialBody('foreign', { vendorId: other.id }),
    });
    expect(foreign.status).toBe(403);
    const otherLamp = h.broker.registry.lampsOfVendor(other.id)[0]!.id;
    const stolen = await h.api('POST', '/api/trials', {
      token: h.tokens.vendor,
      body: trialBody('stolen', { test: { lampIds: [otherLamp] } }),
    });
    expect(stolen.status).toBe(400);
    expect(stolen.json.issues[0].path).toBe('test.lampIds');
    const refModel = h.broker.registry.models.find((m) => m.vendorId === other.id)!.id;
    const reference = await h.api('POST', '/api/trials', {
      token: h.tokens.vendor,
      body: trialBody('ref', { control: { kind: 'model', modelId: refModel } }),
    });
    expect(reference.status).toBe(400);
    const viewer = await h.api('POST', '/api/trials', {
      token: h.tokens.viewer,
      body: trialBody('viewer'),
    });
    expect(viewer.status).toBe(403);
    expect(
      (await h.api('POST', '/api/trials', { token: h.tokens.vendor, body: trialBody('own') }))
        .status,
    ).toBe(409);
  });

  test("operators see every trial; a vendor sees its own, without another vendor's model", async () => {
    const other = h.broker.registry.vendors.find(
      (v) => v.id !== VENDOR_A && h.broker.registry.lampsOfVendor(v.id).length > 0,
    )!;
    const otherModel = h.broker.registry.lampsOfVendor(other.id)[0]!.modelId;
    const theirs = await h.api('POST', '/api/trials', {
      token: h.tokens.operator,
      body: trialBody('theirs', { vendorId: other.id, test: { modelIds: [otherModel] } }),
    });
    expect(theirs.status, theirs.text).toBe(201);
    const forUs = await h.api('POST', '/api/trials', {
      token: h.tokens.operator,
      body: trialBody('for-us', { control: { kind: 'model', modelId: otherModel } }),
    });
    expect(forUs.status, forUs.text).toBe(201);
    const all = await h.api('GET', '/api/trials', { token: h.tokens.operator });
    expect(all.json.trials.map((t: any) => t.id).sort()).toEqual(['for-us', 'own', 'theirs']);
    const mine = await h.api('GET', '/api/trials', { token: h.tokens.vendor });
    expect(mine.json.trials.map((t: any) => t.id).sort()).toEqual(['for-us', 'own']);
    expect(mine.text).not.toContain(otherModel);
    expect(mine.text).not.toContain('operator');
    expect(
      (await h.api('GET', '/api/trials/theirs/report', { token: h.tokens.vendor })).status,
    ).toBe(403);
    expect((await h.api('DELETE', '/api/trials/theirs', { token: h.tokens.vendor })).status).toBe(
      403,
    );
  });

  test('the trial report finds the lamps under test 8 % lower than the rest of their model', async () => {
    const r = await h.api('GET', '/api/trials/own/report', { token: h.tokens.vendor });
    expect(r.status, r.text).toBe(200);
    const c = r.json.comparison;
    expect(r.json.nights).toEqual(NIGHTS);
    expect(c.conclusion).toBe('test uses less energy');
    expect(c.differencePct).toBeCloseTo(-8, 0);
    expect(c.ci95Pct.low).toBeLessThanOrEqual(-7.5);
    expect(c.ci95Pct.high).toBeGreaterThanOrEqual(-8.5);
    expect(c.control.lamps).toBeGreaterThan(0);
    expect(r.json.method).toMatch(/bootstrap/);
  });
});

/** Every vendor but ours: ids, names, model ids and lamp ids that must never reach our vendor. */
function forbidden(): { ids: RegExp[]; names: string[] } {
  const reg = h.broker.registry;
  const others = reg.vendors.filter((v) => v.id !== VENDOR_A);
  const word = (s: string) => new RegExp(`\\b${s.replace(/[-]/g, '\\-')}\\b`);
  return {
    ids: [
      ...others.map((v) => word(v.id)),
      ...reg.models.filter((m) => m.vendorId !== VENDOR_A).map((m) => word(m.id)),
      ...others.flatMap((v) => reg.lampsOfVendor(v.id).map((l) => word(l.id))),
    ],
    names: others.map((v) => v.name.toLowerCase()),
  };
}

function expectIsolated(text: string, what: string) {
  const f = forbidden();
  for (const re of f.ids) expect(re.test(text), `${what} names ${re}`).toBe(false);
  const lower = text.toLowerCase();
  for (const name of f.names) expect(lower.includes(name), `${what} names ${name}`).toBe(false);
}

async function pdfText(bytes: ArrayBuffer, name: string): Promise<string> {
  const file = join(dir, `${name}.pdf`);
  await writeFile(file, Buffer.from(bytes));
  const { stdout } = await run('pdftotext', ['-layout', file, '-']);
  return stdout;
}

/** Share of dark pixels on the PDF's first page (pdftoppm, greyscale PGM). */
async function inkOfFirstPage(name: string): Promise<number> {
  const prefix = join(dir, `${name}-page`);
  await run('pdftoppm', [
    '-gray',
    '-r',
    '40',
    '-f',
    '1',
    '-l',
    '1',
    join(dir, `${name}.pdf`),
    prefix,
  ]);
  const files = (await import('node:fs'))
    .readdirSync(dir)
    .filter((f) => f.startsWith(`${name}-page`));
  const pgm = await readFile(join(dir, files[0]!));
  // P5 header: magic, width, height, maxval, then one byte per pixel.
  const header = pgm.subarray(0, 20).toString('latin1').split(/\s+/);
  const [w, hgt] = [Number(header[1]), Number(header[2])];
  const pixels = pgm.subarray(pgm.length - w * hgt);
  let dark = 0;
  for (const p of pixels) if (p < 128) dark++;
  return dark / pixels.length;
}

const get = (path: string) =>
  fetch(`${h.base}${path}`, { headers: { authorization: `Bearer ${h.tokens.vendor}` } });

describe('every output, as the vendor gets it', () => {
  const reportPath = `/api/reports/vendor/${VENDOR_A}?night=${LAST}&nights=4`;

  test('vendor report: JSON, CSV, HTML and PDF name only their own; the PDF has the JSON’s figures', async () => {
    const json = await (await get(reportPath)).json();
    expect(json.models.length).toBeGreaterThan(0);
    expectIsolated(JSON.stringify(json), 'JSON');
    const csv = await get(`${reportPath}&format=csv`);
    expect(csv.headers.get('content-type')).toMatch(/^text\/csv/);
    expectIsolated(await csv.text(), 'CSV');
    const html = await get(`${reportPath}&format=html`);
    expect(html.headers.get('content-type')).toMatch(/^text\/html/);
    const page = await html.text();
    expect(page).toContain('<svg');
    expect(page).not.toMatch(/<script/i);
    expectIsolated(page, 'HTML');
    const pdf = await get(`${reportPath}&format=pdf`);
    expect(pdf.status).toBe(200);
    expect(pdf.headers.get('content-type')).toBe('application/pdf');
    const text = await pdfText(await pdf.arrayBuffer(), 'vendor');
    expectIsolated(text, 'PDF');
    expect(text).toContain('Route:');
    expect(text).toContain('Method');
    expect(text).toContain('Caveats');
    for (const m of json.models) {
      expect(text).toContain(m.modelName);
      expect(text).toContain(`${figure(m.kWhPerLampPerNight)} (${m.energyBasis})`);
      expect(text).toContain(figure(m.availabilityPct, ' %'));
      expect(text).toContain(figure(m.routeMedianKWhPerLampPerNight));
      for (const c of m.dimmingCurve.filter((p: any) => p.powerW !== null))
        expect(text).toContain(String(c.powerW));
    }
    expect(await inkOfFirstPage('vendor')).toBeGreaterThan(0.005);
  });

  test('trial report: JSON, CSV, HTML and PDF show group figures only; the PDF has the JSON’s figures', async () => {
    const json = await (await get('/api/trials/for-us/report')).json();
    expect(json.trial.control).toEqual({ kind: 'model', modelId: 'withheld' });
    expectIsolated(JSON.stringify(json), 'JSON');
    for (const format of ['csv', 'html'])
      expectIsolated(
        await (await get(`/api/trials/for-us/report?format=${format}`)).text(),
        format,
      );
    const own = await (await get('/api/trials/own/report')).json();
    const pdf = await get('/api/trials/own/report?format=pdf');
    expect(pdf.headers.get('content-type')).toBe('application/pdf');
    const text = await pdfText(await pdf.arrayBuffer(), 'trial');
    expectIsolated(text, 'PDF');
    const c = own.comparison;
    expect(text).toContain(c.conclusion);
    expect(text).toContain(String(c.differenceKWh));
    expect(text).toContain(`${c.ci95KWh.low} to ${c.ci95KWh.high}`);
    expect(text).toContain(`${c.ci95Pct.low} % to ${c.ci95Pct.high} %`);
    expect(text).toContain(`${c.control.lamps} lamps`);
    expect(text).toContain('Route:');
    expect(text).toContain(`nights ${NIGHTS[0]} to ${LAST}`);
    expect(await inkOfFirstPage('trial')).toBeGreaterThan(0.005);
  });
});
