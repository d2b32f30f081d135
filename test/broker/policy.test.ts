import { describe, expect, it } from 'vitest';
import {
  authorizePublish,
  authorizeSubscribe,
  claimIdentity,
  clientIdProblem,
  createDirectory,
  type Identity,
  kindOfTopic,
} from '../../services/broker/policy.ts';
import { loadRegistry } from '../../shared/registry/index.ts';

const registry = loadRegistry();
const directory = createDirectory(registry);
const seg = registry.segments[0]!;
const other = registry.segments[1]!;
const own = seg.lampIds[0]!;
const neighbour = seg.lampIds[1]!;
const foreign = other.lampIds[0]!;

const lamp: Identity = { kind: 'lamp', id: own };
const ctl: Identity = {
  kind: 'controller',
  id: seg.controllerId,
  segmentId: seg.id,
};
const svc = (role: 'processor' | 'gateway' | 'simulator' | 'admin'): Identity => ({
  kind: 'service',
  role,
});
const pub = (topic: string, retain = false, payloadBytes = 100) => ({
  topic,
  retain,
  payloadBytes,
});
const t = (id: string, kind: string) => `gadelys/v1/lamp/${id}/${kind}`;

describe('claimIdentity', () => {
  const attempt = (clientId: string, username?: string, hasPassword = true) => ({
    clientId,
    username,
    hasPassword,
  });
  it.each([
    ['lamp', attempt(own, own), 'lamp'],
    ['controller', attempt(seg.controllerId, seg.controllerId), 'controller'],
    ['service with free client id', attempt('processor-1', 'processor'), 'service'],
  ])('accepts a %s', (_n, a, kind) => {
    const claim = claimIdentity(a, directory, false);
    expect(claim.ok && claim.identity.kind).toBe(kind);
  });

  it.each([
    ['no username', attempt(own), 'anonymous_refused', 5],
    ['no password', attempt(own, own, false), 'bad_credentials', 4],
    ['unknown user', attempt('DOLL-9999', 'DOLL-9999'), 'unknown_user', 4],
  ])('refuses %s', (_n, a, reason, code) => {
    const claim = claimIdentity(a, directory, false);
    expect(claim).toMatchObject({ ok: false, reason, returnCode: code });
  });

  // Checked only after the password: CONNACK 2 before it would tell a stranger the id exists.
  it.each([
    ['lamp under another client id', attempt(neighbour, own)],
    ['service taking a lamp id', attempt(own, 'gateway')],
  ])('refuses a %s with code 2 once the password is known good', (_n, a) => {
    const claim = claimIdentity(a, directory, false);
    expect(claim.ok).toBe(true);
    if (!claim.ok) return;
    expect(clientIdProblem(claim.identity, a.clientId, directory)).toMatchObject({
      ok: false,
      reason: 'client_id_mismatch',
      returnCode: 2,
    });
  });

  it('lets anonymous in only with the development switch', () => {
    expect(claimIdentity(attempt('x'), directory, true)).toMatchObject({
      ok: true,
      identity: { kind: 'anonymous' },
    });
  });
});

describe('authorizePublish', () => {
  it.each([
    [lamp, t(own, 'telemetry'), true],
    [lamp, t(own, 'status'), true],
    [lamp, t(own, 'event'), true],
    [lamp, t(own, 'ack'), true],
    [lamp, t(own, 'cmd'), false],
    [lamp, t(neighbour, 'telemetry'), false],
    [lamp, `gadelys/v1/segment/${seg.id}/telemetry`, false],
    [lamp, 'gadelys/v1/alarm/x', false],
    [lamp, 'elsewhere', false],
    [ctl, `gadelys/v1/segment/${seg.id}/telemetry`, true],
    [ctl, `gadelys/v1/segment/${other.id}/telemetry`, false],
    [ctl, t(neighbour, 'status'), true],
    [ctl, t(neighbour, 'ack'), true],
    [ctl, t(foreign, 'status'), false],
    [ctl, t(neighbour, 'cmd'), false],
    [svc('processor'), 'gadelys/v1/alarm/lampFailure', true],
    [svc('processor'), 'gadelys/v1/deadletter', true],
    [svc('processor'), t(own, 'cmd'), false],
    [svc('gateway'), t(own, 'cmd'), true],
    [svc('gateway'), t('DOLL-9999', 'cmd'), false],
    [svc('gateway'), t(own, 'telemetry'), false],
    [svc('simulator'), t(foreign, 'telemetry'), true],
    [svc('simulator'), `gadelys/v1/segment/${other.id}/telemetry`, true],
    [svc('simulator'), t('DOLL-9999', 'telemetry'), false],
    [svc('simulator'), t(own, 'cmd'), false],
    [svc('admin'), t(own, 'cmd'), true],
    [svc('admin'), 'other/root', false],
  ])('%o on %s: %s', (identity, topic, ok) => {
    expect(authorizePublish(identity, pub(topic), directory).ok).toBe(ok);
  });

  it('names the reason', () => {
    expect(authorizePublish(lamp, pub(t(neighbour, 'telemetry')), directory)).toMatchObject({
      reason: 'publish_not_allowed',
    });
    expect(authorizePublish(svc('admin'), pub('$SYS/x'), directory)).toMatchObject({
      reason: 'reserved_topic',
    });
    expect(authorizePublish(lamp, pub(t(own, 'telemetry'), false, 5000), directory)).toMatchObject({
      reason: 'payload_too_large',
    });
    expect(authorizePublish(lamp, pub(t(own, 'telemetry'), true), directory)).toMatchObject({
      reason: 'retain_not_allowed',
    });
  });

  it('lets devices retain their status (the birth message) and nothing else', () => {
    expect(authorizePublish(lamp, pub(t(own, 'status'), true), directory).ok).toBe(true);
    expect(authorizePublish(ctl, pub(t(neighbour, 'status'), true), directory).ok).toBe(true);
    expect(authorizePublish(ctl, pub(t(neighbour, 'event'), true), directory).ok).toBe(false);
  });

  it('allows a segment batch up to the batch limit', () => {
    const topic = `gadelys/v1/segment/${seg.id}/telemetry`;
    expect(authorizePublish(ctl, pub(topic, false, 200_000), directory).ok).toBe(true);
    expect(authorizePublish(ctl, pub(topic, false, 300_000), directory).ok).toBe(false);
  });
});

describe('authorizeSubscribe', () => {
  it.each([
    [lamp, t(own, 'cmd'), true, undefined],
    [lamp, t(neighbour, 'cmd'), false, 'subscribe_not_allowed'],
    [lamp, '#', false, 'wildcard_not_allowed'],
    [lamp, 'gadelys/v1/lamp/+/cmd', false, 'wildcard_not_allowed'],
    [lamp, t(own, 'telemetry'), false, 'subscribe_not_allowed'],
    [ctl, t(neighbour, 'cmd'), true, undefined],
    [ctl, t(foreign, 'cmd'), false, 'subscribe_not_allowed'],
    [ctl, 'gadelys/v1/lamp/+/cmd', false, 'wildcard_not_allowed'],
    [svc('processor'), 'gadelys/v1/#', true, undefined],
    [svc('processor'), 'gadelys/v1/lamp/+/telemetry', true, undefined],
    [svc('processor'), '#', false, 'subscribe_not_allowed'],
    [svc('processor'), '$share/proc/gadelys/v1/#', false, 'shared_subscription_unsupported'],
    [svc('gateway'), 'gadelys/v1/lamp/+/ack', true, undefined],
    [svc('simulator'), 'gadelys/v1/lamp/+/cmd', true, undefined],
    [svc('simulator'), t(own, 'cmd'), true, undefined],
    [svc('simulator'), 'gadelys/v1/#', false, 'subscribe_not_allowed'],
    [svc('admin'), '#', true, undefined],
  ])('%o to %s: %s', (identity, filter, ok, reason) => {
    const d = authorizeSubscribe(identity, filter, directory);
    expect(d.ok).toBe(ok);
    if (!d.ok) expect(d.reason).toBe(reason);
  });

  it('checks the inner filter of a shared subscription where the broker has them', () => {
    const opts = { sharedSubscriptions: true };
    expect(authorizeSubscribe(svc('processor'), '$share/p/gadelys/v1/#', directory, opts).ok).toBe(
      true,
    );
    expect(authorizeSubscribe(svc('processor'), '$share/p/#', directory, opts).ok).toBe(false);
    expect(authorizeSubscribe(lamp, `$share/p/${t(own, 'cmd')}`, directory, opts).ok).toBe(false);
  });
});

describe('kindOfTopic', () => {
  it.each([
    [t(own, 'telemetry'), 'telemetry'],
    [`gadelys/v1/segment/${seg.id}/telemetry`, 'batch'],
    ['gadelys/v1/alarm/x', 'alarm'],
    ['$SYS/abc/heartbeat', 'sys'],
    ['foo', 'other'],
  ])('%s is %s', (topic, kind) => expect(kindOfTopic(topic)).toBe(kind));
});
