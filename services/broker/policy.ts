/**
 * Who may connect as whom, publish where and subscribe to what. Pure functions over the registry:
 * the aedes hooks in hooks.ts call them, and the unit tests drive them with plain values.
 */

import {
  maySpeakFor,
  type SegmentOf,
  type Speaker,
  segmentLookup,
} from '../../shared/auth/deviceRule.ts';
import {
  DEFAULT_SERVICE_USERNAMES,
  roleOfUsername,
  type ServiceRole,
  type ServiceUsernames,
} from '../../shared/auth/serviceAccounts.ts';
import {
  maxBytesFor,
  type ParsedTopic,
  parseTopic,
  TOPIC_ROOT,
  topics,
} from '../../shared/contract/index.ts';
import type { Registry } from '../../shared/registry/index.ts';

export { SERVICE_ROLES, type ServiceRole } from '../../shared/auth/serviceAccounts.ts';

export type Identity =
  | { kind: 'lamp'; id: string }
  | { kind: 'controller'; id: string; segmentId: string }
  | { kind: 'service'; role: ServiceRole }
  /** Only with BROKER_ALLOW_ANONYMOUS (development): full rights, like an unconfigured Mosquitto. */
  | { kind: 'anonymous' };

/** Every reason the broker refuses something; stable, used as the metrics label. */
export const REFUSAL_REASONS = [
  'anonymous_refused',
  'unknown_user',
  'bad_credentials',
  'revoked',
  'client_id_mismatch',
  /** Too many failed logins from this address or for this account: refused unheard (CONNACK 5). */
  'auth_throttled',
  /** The capped scrypt queue (older credential files) was full: CONNACK 3, try again. */
  'auth_busy',
  'publish_not_allowed',
  'reserved_topic',
  'retain_not_allowed',
  'payload_too_large',
  /** A retained publish the contract does not decode (new subscribers would receive it). */
  'invalid_payload',
  'subscribe_not_allowed',
  'wildcard_not_allowed',
  'shared_subscription_unsupported',
  'rate_limited',
  'packet_too_large',
  'max_connections',
  /** Too many connections open from one address, or opened too fast. */
  'address_limit',
  'protocol_error',
] as const;
export type RefusalReason = (typeof REFUSAL_REASONS)[number];

export type Decision = { ok: true } | { ok: false; reason: RefusalReason; detail: string };
const ALLOW: Decision = { ok: true };
const refuse = (reason: RefusalReason, detail: string): Decision => ({ ok: false, reason, detail });

/** The devices the broker knows, indexed once from the registry, and the service accounts. */
export interface Directory {
  /** The role a username logs in as (`<ROLE>_MQTT_USERNAME`), undefined for a device. */
  serviceRole(username: string): ServiceRole | undefined;
  isLamp(id: string): boolean;
  controller(id: string): { segmentId: string } | undefined;
  isSegment(id: string): boolean;
  isDevice(id: string): boolean;
  /** The device rule's lookup (shared/auth/deviceRule.ts). */
  segmentOf: SegmentOf;
}

export function createDirectory(
  registry: Registry,
  usernames: ServiceUsernames = DEFAULT_SERVICE_USERNAMES,
): Directory {
  const controllers = new Map(registry.segments.map((s) => [s.controllerId, { segmentId: s.id }]));
  const segments = new Set(registry.segments.map((s) => s.id));
  return {
    serviceRole: (username) => roleOfUsername(usernames, username),
    isLamp: (id) => registry.lamp(id) !== undefined,
    controller: (id) => controllers.get(id),
    isSegment: (id) => segments.has(id),
    isDevice: (id) => registry.lamp(id) !== undefined || controllers.has(id),
    segmentOf: segmentLookup(registry),
  };
}

export interface ConnectAttempt {
  clientId: string;
  username: string | undefined;
  hasPassword: boolean;
}

/** MQTT 3.1.1 CONNACK return codes the broker uses [MQTT-3.2.2.3]. */
export const CONNACK = {
  identifierRejected: 2,
  serverUnavailable: 3,
  badCredentials: 4,
  notAuthorized: 5,
} as const;

export type Claim =
  | { ok: true; identity: Identity; account: string }
  | { ok: false; reason: RefusalReason; detail: string; returnCode: 2 | 3 | 4 | 5 };

/**
 * The identity a CONNECT claims, before its password is checked. `account` names the secret to
 * check: the device id, or `svc:<role>` for a service account (whatever its username).
 *
 * Nothing here may tell a stranger whether a device id exists: an unknown user gets the same
 * code as a wrong password (and the authenticator does the same work before answering), and
 * the client id is checked only after the password (clientIdProblem), so CONNACK 2 reaches only
 * someone who already holds the secret.
 */
export function claimIdentity(
  attempt: ConnectAttempt,
  directory: Directory,
  allowAnonymous: boolean,
): Claim {
  const { username } = attempt;
  if (username === undefined || username === '') {
    if (allowAnonymous) return { ok: true, identity: { kind: 'anonymous' }, account: '' };
    return { ok: false, reason: 'anonymous_refused', detail: 'no username', returnCode: 5 };
  }
  if (!attempt.hasPassword) {
    return { ok: false, reason: 'bad_credentials', detail: 'no password', returnCode: 4 };
  }
  const role = directory.serviceRole(username);
  if (role) return { ok: true, identity: { kind: 'service', role }, account: `svc:${role}` };
  if (!directory.isDevice(username)) {
    return {
      ok: false,
      reason: 'unknown_user',
      detail: `unknown user ${username.slice(0, 64)}`,
      returnCode: CONNACK.badCredentials,
    };
  }
  const ctl = directory.controller(username);
  const identity: Identity = ctl
    ? { kind: 'controller', id: username, segmentId: ctl.segmentId }
    : { kind: 'lamp', id: username };
  return { ok: true, identity, account: username };
}

/** After a good password: whether the client id may be used by this identity (CONNACK 2 if not). */
export function clientIdProblem(
  identity: Identity,
  clientId: string,
  directory: Directory,
): (Claim & { ok: false }) | undefined {
  const mismatch = (detail: string) => ({
    ok: false as const,
    reason: 'client_id_mismatch' as const,
    detail,
    returnCode: CONNACK.identifierRejected,
  });
  switch (identity.kind) {
    case 'service':
      // A service taking a device's client id would take over that device's session.
      return directory.isDevice(clientId)
        ? mismatch(`service ${identity.role} used device id ${clientId}`)
        : undefined;
    case 'lamp':
    case 'controller':
      return clientId === identity.id
        ? undefined
        : mismatch(`client id must equal username ${identity.id}`);
    case 'anonymous':
      return undefined;
  }
}

function speakerOfIdentity(identity: Identity & { kind: 'lamp' | 'controller' }): Speaker {
  return identity.kind === 'lamp'
    ? { kind: 'lamp', lampId: identity.id }
    : { kind: 'controller', segmentId: identity.segmentId };
}

export interface PublishRequest {
  topic: string;
  retain: boolean;
  payloadBytes: number;
}

const DEVICE_KINDS = new Set(['telemetry', 'status', 'event', 'ack']);
const CONTROLLER_KINDS = new Set(['status', 'event', 'ack']);

/** `parsed` may come from the caller's cache of parseTopic(req.topic): the hot path parses once. */
export function authorizePublish(
  identity: Identity,
  req: PublishRequest,
  directory: Directory,
  parsed: ParsedTopic | null = parseTopic(req.topic),
): Decision {
  const { topic } = req;
  if (topic.startsWith('$')) return refuse('reserved_topic', topic);
  if (parsed && req.payloadBytes > maxBytesFor(parsed.kind)) {
    return refuse('payload_too_large', `${req.payloadBytes} bytes on ${parsed.kind}`);
  }
  const isDevice = identity.kind === 'lamp' || identity.kind === 'controller';
  if (isDevice && req.retain && parsed?.kind !== 'status')
    return refuse('retain_not_allowed', topic);
  const denied = refuse('publish_not_allowed', topic);
  switch (identity.kind) {
    case 'anonymous':
      return ALLOW;
    case 'lamp':
    case 'controller': {
      // A device publishes on a topic only if the topic's device is itself, or, for a
      // controller's per-lamp topics, a lamp it may speak for.
      if (!parsed) return denied;
      const kinds = identity.kind === 'lamp' ? DEVICE_KINDS : CONTROLLER_KINDS;
      const self = speakerOfIdentity(identity);
      if (parsed.kind === 'batch')
        return self.kind === 'controller' && parsed.segmentId === self.segmentId ? ALLOW : denied;
      return 'lampId' in parsed &&
        kinds.has(parsed.kind) &&
        maySpeakFor(self, parsed.lampId, directory.segmentOf)
        ? ALLOW
        : denied;
    }
    case 'service':
      switch (identity.role) {
        case 'admin':
          return topic.startsWith(`${TOPIC_ROOT}/`) ? ALLOW : denied;
        case 'processor':
          return parsed?.kind === 'alarm' || parsed?.kind === 'deadletter' ? ALLOW : denied;
        case 'gateway':
          return parsed?.kind === 'cmd' && directory.isLamp(parsed.lampId) ? ALLOW : denied;
        case 'simulator':
          if (parsed?.kind === 'batch')
            return directory.isSegment(parsed.segmentId) ? ALLOW : denied;
          return parsed &&
            'lampId' in parsed &&
            DEVICE_KINDS.has(parsed.kind) &&
            directory.isLamp(parsed.lampId)
            ? ALLOW
            : denied;
      }
  }
}

const hasWildcard = (filter: string) => filter.includes('+') || filter.includes('#');

/** `options.sharedSubscriptions`: whether the broker implements `$share/` (aedes does not). */
export function authorizeSubscribe(
  identity: Identity,
  filter: string,
  directory: Directory,
  options: { sharedSubscriptions: boolean } = { sharedSubscriptions: false },
): Decision {
  if (filter.startsWith('$share/')) {
    if (!options.sharedSubscriptions) {
      return refuse(
        'shared_subscription_unsupported',
        `${filter}: this broker has no shared subscriptions`,
      );
    }
    if (identity.kind !== 'service' && identity.kind !== 'anonymous')
      return refuse('subscribe_not_allowed', filter);
    const inner = filter.split('/').slice(2).join('/');
    return authorizeSubscribe(identity, inner, directory, options);
  }
  switch (identity.kind) {
    case 'anonymous':
      return ALLOW;
    case 'lamp':
      if (filter === topics.command(identity.id)) return ALLOW;
      return hasWildcard(filter)
        ? refuse('wildcard_not_allowed', filter)
        : refuse('subscribe_not_allowed', filter);
    case 'controller': {
      if (hasWildcard(filter)) return refuse('wildcard_not_allowed', filter);
      const parsed = parseTopic(filter);
      return parsed?.kind === 'cmd' &&
        maySpeakFor(speakerOfIdentity(identity), parsed.lampId, directory.segmentOf)
        ? ALLOW
        : refuse('subscribe_not_allowed', filter);
    }
    case 'service': {
      if (identity.role === 'admin') return ALLOW;
      if (!filter.startsWith(`${TOPIC_ROOT}/`)) return refuse('subscribe_not_allowed', filter);
      if (identity.role !== 'simulator') return ALLOW;
      // The simulator acts for devices, which only ever receive commands.
      const levels = filter.split('/');
      const id = levels[3];
      const ok =
        levels.length === 5 &&
        levels[2] === 'lamp' &&
        levels[4] === 'cmd' &&
        id !== undefined &&
        (id === '+' || directory.isLamp(id));
      return ok ? ALLOW : refuse('subscribe_not_allowed', filter);
    }
  }
}

/** What a topic carries, for metrics labels. */
export function kindOfTopic(topic: string, parsed: ParsedTopic | null = parseTopic(topic)): string {
  if (parsed) return parsed.kind;
  return topic.startsWith('$SYS') ? 'sys' : 'other';
}
