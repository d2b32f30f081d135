/** The gateway's access rules, table by table: pure, no server. */
import { describe, expect, test } from 'vitest';
import {
  alarmView,
  checkAccess,
  checkTrialDefinable,
  commandView,
  lampsMatching,
  scopeFilter,
  seesAlarm,
  seesCommand,
  seesLamp,
  seesTrial,
  seesVendor,
  trialView,
  visibleLamp,
  WITHHELD,
} from '../../services/gateway/access.ts';
import type { CommandSummary } from '../../services/gateway/api.ts';
import { type Principal, ROLES, type Role } from '../../services/gateway/auth/roles.ts';
import { GatewayError } from '../../services/gateway/errors.ts';
import type { Access } from '../../services/gateway/rest/operation.ts';
import { loadRegistry } from '../../shared/registry/index.ts';

const registry = loadRegistry();
const who = (role: Role, vendorId?: string): Principal => ({
  username: role,
  role,
  tokenId: `t-${role}`,
  ...(vendorId ? { vendorId } : {}),
});
const vendorA = registry.vendors.find((v) => registry.lampsOfVendor(v.id).length > 0)!.id;
const vendorB = registry.vendors.find(
  (v) => v.id !== vendorA && registry.lampsOfVendor(v.id).length > 0,
)!.id;
const lampA = registry.lampsOfVendor(vendorA)[0]!;
const lampB = registry.lampsOfVendor(vendorB)[0]!;
const vendor = who('vendor', vendorA);

const code = (f: () => unknown): string => {
  try {
    f();
    return 'ok';
  } catch (err) {
    if (err instanceof GatewayError) return err.code;
    throw err;
  }
};

describe('checkAccess', () => {
  const table: [Access, Record<Role | 'anonymous', string>][] = [
    ['public', { anonymous: 'ok', viewer: 'ok', vendor: 'ok', operator: 'ok', admin: 'ok' }],
    [
      'authenticated',
      { anonymous: 'unauthenticated', viewer: 'ok', vendor: 'ok', operator: 'ok', admin: 'ok' },
    ],
    [
      'read',
      { anonymous: 'unauthenticated', viewer: 'ok', vendor: 'ok', operator: 'ok', admin: 'ok' },
    ],
    [
      'commands.send',
      {
        anonymous: 'unauthenticated',
        viewer: 'forbidden',
        vendor: 'forbidden',
        operator: 'ok',
        admin: 'ok',
      },
    ],
    [
      'export',
      {
        anonymous: 'unauthenticated',
        viewer: 'ok',
        vendor: 'forbidden',
        operator: 'ok',
        admin: 'ok',
      },
    ],
    [
      'users.manage',
      {
        anonymous: 'unauthenticated',
        viewer: 'forbidden',
        vendor: 'forbidden',
        operator: 'forbidden',
        admin: 'ok',
      },
    ],
  ];
  for (const [access, expected] of table) {
    test(access, () => {
      expect(code(() => checkAccess(undefined, access))).toBe(expected.anonymous);
      for (const role of ROLES)
        expect(
          code(() => checkAccess(who(role, role === 'vendor' ? vendorA : undefined), access)),
          role,
        ).toBe(expected[role]);
    });
  }
});

describe('lamps and vendors', () => {
  const cases: [string, Principal, string, boolean][] = [
    ['a viewer sees any lamp', who('viewer'), lampB.id, true],
    ['an operator sees any lamp', who('operator'), lampB.id, true],
    ['a vendor sees its own lamp', vendor, lampA.id, true],
    ["a vendor does not see another vendor's lamp", vendor, lampB.id, false],
    ['a vendor without a vendor id sees nothing', who('vendor'), lampA.id, false],
  ];
  for (const [name, p, lampId, sees] of cases)
    test(name, () => expect(seesLamp(p, lampId, registry)).toBe(sees));

  test('seesVendor', () => {
    expect(seesVendor(vendor, vendorA)).toBe(true);
    expect(seesVendor(vendor, vendorB)).toBe(false);
    expect(seesVendor(vendor, undefined)).toBe(false);
    expect(seesVendor(who('admin'), undefined)).toBe(true);
  });

  test('visibleLamp: 404 for an unknown lamp before 403 for a foreign one', () => {
    expect(code(() => visibleLamp(vendor, 'NO-SUCH-LAMP', registry))).toBe('not_found');
    expect(code(() => visibleLamp(vendor, lampB.id, registry))).toBe('forbidden');
    expect(visibleLamp(vendor, lampA.id, registry).id).toBe(lampA.id);
  });
});

describe('scopeFilter', () => {
  const cases: [string, Principal, Parameters<typeof scopeFilter>[1], string | object][] = [
    ['others pass unchanged', who('viewer'), { segmentId: 'x' }, { segmentId: 'x' }],
    ['a vendor always carries its vendor', vendor, {}, { vendorId: vendorA }],
    ['a vendor asking for another vendor: 403', vendor, { vendorId: vendorB }, 'forbidden'],
    [
      "a vendor naming another vendor's lamp: 403",
      vendor,
      { lampIds: [lampA.id, lampB.id] },
      'forbidden',
    ],
    [
      "a vendor naming another vendor's model: 403",
      vendor,
      { modelId: lampB.modelId },
      'forbidden',
    ],
    [
      'a vendor naming its own model',
      vendor,
      { modelId: lampA.modelId },
      { modelId: lampA.modelId, vendorId: vendorA },
    ],
  ];
  for (const [name, p, filter, expected] of cases) {
    test(name, () => {
      if (typeof expected === 'string')
        expect(code(() => scopeFilter(p, filter, registry))).toBe(expected);
      else expect(scopeFilter(p, filter, registry)).toEqual(expected);
    });
  }

  test('lampsMatching covers what the store would', () => {
    const own = lampsMatching(registry, scopeFilter(vendor, {}, registry));
    expect(own.length).toBe(registry.lampsOfVendor(vendorA).length);
    const seg = lampsMatching(registry, { segmentId: lampA.segmentId, vendorId: vendorA });
    expect(seg.every((l) => l.segmentId === lampA.segmentId)).toBe(true);
    expect(seg.map((l) => l.id)).toContain(lampA.id);
  });
});

describe('alarms and commands', () => {
  test("a segment alarm (no lamp): vendors see it where they have lamps, without others' counts", () => {
    const mine = { lampId: undefined, segmentId: lampA.segmentId };
    const foreign = registry.segments.find(
      (seg) => !seg.lampIds.some((id) => registry.vendorOf(id)?.id === vendorA),
    );
    expect(seesAlarm(vendor, mine, registry)).toBe(true);
    if (foreign) expect(seesAlarm(vendor, { segmentId: foreign.id }, registry)).toBe(false);
    expect(seesAlarm(vendor, { lampId: undefined }, registry)).toBe(false);
    expect(seesAlarm(who('viewer'), mine, registry)).toBe(true);
    const alarm = {
      ...mine,
      type: 'segmentSupplyLoss' as const,
      detail: '11 of 22 lamps without supply',
    };
    expect(alarmView(vendor, alarm).detail).toBe(`segmentSupplyLoss on segment ${lampA.segmentId}`);
    expect(alarmView(who('viewer'), alarm).detail).toBe('11 of 22 lamps without supply');
    expect(seesAlarm(vendor, { lampId: lampA.id }, registry)).toBe(true);
    expect(seesAlarm(vendor, { lampId: lampB.id }, registry)).toBe(false);
  });

  test('a vendor sees a command only when every lamp is theirs, and never its sender', () => {
    expect(seesCommand(vendor, [lampA.id], registry)).toBe(true);
    expect(seesCommand(vendor, [lampA.id, lampB.id], registry)).toBe(false);
    expect(seesCommand(who('viewer'), [lampA.id, lampB.id], registry)).toBe(true);
    const c = { commandId: 'c1', issuedBy: 'alice' } as CommandSummary;
    expect(commandView(vendor, c).issuedBy).toBe(WITHHELD);
    expect(commandView(who('viewer'), c).issuedBy).toBe('alice');
  });
});

describe('trials', () => {
  const def = (over: Record<string, unknown> = {}) =>
    ({
      id: 't1',
      name: 'T',
      vendorId: vendorA,
      test: { lampIds: [lampA.id], modelIds: [] },
      control: { kind: 'sameStreets' },
      fromNight: '2026-11-01',
      toNight: '2026-11-07',
      ...over,
    }) as Parameters<typeof checkTrialDefinable>[1];

  test.each([
    ['vendor, own lamps', vendor, def(), 'ok'],
    ['vendor, another vendor', vendor, def({ vendorId: vendorB }), 'forbidden'],
    [
      'vendor, a lamp of another vendor',
      vendor,
      def({ test: { lampIds: [lampB.id], modelIds: [] } }),
      'invalid',
    ],
    [
      "vendor, another vendor's model as reference",
      vendor,
      def({ control: { kind: 'model', modelId: lampB.modelId } }),
      'invalid',
    ],
    [
      'operator, any reference model',
      who('operator'),
      def({ control: { kind: 'model', modelId: lampB.modelId } }),
      'ok',
    ],
    [
      'operator, an unknown segment',
      who('operator'),
      def({ control: { kind: 'segment', segmentId: 'nope' } }),
      'invalid',
    ],
  ])('%s: %s', (_what, p, t, expected) => {
    expect(code(() => checkTrialDefinable(p, t, registry))).toBe(expected);
  });

  test("a vendor sees its own trials, without another vendor's model or the operator who defined it", () => {
    const trial = {
      ...def({ control: { kind: 'model', modelId: lampB.modelId } }),
      createdBy: 'alice',
      createdAt: 0,
    };
    expect(seesTrial(vendor, trial)).toBe(true);
    expect(seesTrial(who('vendor', vendorB), trial)).toBe(false);
    expect(seesTrial(who('viewer'), trial)).toBe(true);
    const seen = trialView(vendor, trial as never, registry);
    expect(seen.control).toEqual({ kind: 'model', modelId: 'withheld' });
    expect(seen.createdBy).toBe(WITHHELD);
    expect(trialView(who('operator'), trial as never, registry)).toEqual(trial);
  });
});
