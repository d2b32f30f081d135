/**
 * The policy wired into aedes' hooks. Every refusal is counted and logged once per client and
 * reason, so a lamp stuck in a reconnect loop with a bad topic cannot flood the log.
 */
import type { Aedes, AuthenticateError, Client, PublishPacket } from 'aedes';
import {
  decodeMessage,
  LampStatus,
  type ParsedTopic,
  parseTopic,
} from '../../shared/contract/index.ts';
import type { Logger } from '../../shared/log.ts';
import type { Authenticator } from './authenticator.ts';
import type { AuthThrottle } from './authThrottle.ts';
import type { BrokerMetrics } from './metrics.ts';
import { PacketTooLargeError } from './packetGuard.ts';
import {
  authorizePublish,
  authorizeSubscribe,
  type Decision,
  type Directory,
  type Identity,
  kindOfTopic,
  type RefusalReason,
} from './policy.ts';
import { createTokenBucket, type TokenBucket } from './rateLimit.ts';
import {
  oneStorePerSubscribe,
  refusedSubscriptions,
  type SubscriptionStore,
} from './subscribeBatch.ts';

export interface RateLimits {
  deviceRate: number;
  deviceBurst: number;
  serviceRate: number;
  serviceBurst: number;
  maxDelayMs: number;
}

export interface HookDeps {
  authenticate: Authenticator;
  directory: Directory;
  metrics: BrokerMetrics;
  log: Logger;
  limits: RateLimits;
  now: () => number;
  /** True for a connection accepted beyond BROKER_MAX_CONNECTIONS: it gets CONNACK 3. */
  overCapacity: (client: Client) => boolean;
  /** Failed-login backoff and lockout (authThrottle.ts). */
  throttle: AuthThrottle;
  /** The remote address a client connected from (the socket's, whatever the transport). */
  addressOf: (client: Client) => string;
}

export interface Session {
  readonly identity: Identity;
  readonly bucket: TokenBucket;
}

export interface PolicyState {
  /** Sessions past CONNACK (registered with aedes). */
  readonly connected: ReadonlySet<Session>;
  /** Latest status per lamp, from status messages (lamps and controllers publish them, wills too). */
  readonly lampState: ReadonlyMap<string, 'online' | 'offline'>;
  /** Count and log (once per client and reason) a refusal that happened outside the hooks. */
  refuse(clientId: string, reason: RefusalReason, detail: string): void;
  /** Entries held per structure keyed by what clients send, to show they stay bounded. */
  tracked(): Record<string, number>;
}

/** A hook's refusal; aedes re-emits it as a clientError, which must not count it twice. */
export class RefusedError extends Error {
  constructor(
    readonly reason: RefusalReason,
    detail: string,
  ) {
    super(`${reason}: ${detail}`);
    this.name = 'RefusedError';
  }
}

const LOGGED_CAP = 10_000;
const RETAIN_OK: Decision = { ok: true };
const TOPIC_CACHE_CAP = 50_000;

const payloadBytes = (p: PublishPacket) =>
  typeof p.payload === 'string' ? Buffer.byteLength(p.payload) : p.payload.length;

export function installPolicy(aedes: Aedes, deps: HookDeps): PolicyState {
  const { metrics, log, directory, limits } = deps;
  // Refused filters stay out of stored sessions, one node or a cluster (subscribeBatch.ts).
  // aedes' types omit the `persistence` it holds.
  oneStorePerSubscribe((aedes as unknown as { persistence: SubscriptionStore }).persistence);
  const sessions = new WeakMap<Client, Session>();
  const connected = new Set<Session>();
  const lampState = new Map<string, 'online' | 'offline'>();
  const logged = new Set<string>();
  // Topics repeat (280 lamps x 5 kinds): parse each once, not on every publish and delivery.
  const parsedTopics = new Map<string, { parsed: ParsedTopic | null; kind: string }>();

  const refuse = (clientId: string, reason: RefusalReason, detail: string) => {
    metrics.refusal(reason);
    const key = `${clientId}\n${reason}`;
    if (logged.has(key)) return;
    if (logged.size >= LOGGED_CAP) logged.clear();
    logged.add(key);
    log.warn({ clientId, reason, detail }, 'refused');
  };

  const topicInfo = (topic: string) => {
    let info = parsedTopics.get(topic);
    if (info === undefined) {
      const parsed = parseTopic(topic);
      info = { parsed, kind: kindOfTopic(topic, parsed) };
      if (parsedTopics.size >= TOPIC_CACHE_CAP) parsedTopics.clear();
      parsedTopics.set(topic, info);
    }
    return info;
  };

  const connackError = (returnCode: number, message: string) => {
    const err = new Error(message) as AuthenticateError;
    (err as { returnCode: number }).returnCode = returnCode;
    return err;
  };

  /**
   * Which service role last connected under each client id. A persistent session (the
   * processor's: its subscriptions and queued QoS1 messages) belongs to a client id, so another
   * role connecting with that id would take the session over and ack what it should store.
   * Bounded: the oldest ids are forgotten first.
   */
  const serviceIds = new Map<string, string>();
  const SERVICE_IDS_MAX = 10_000;

  // Refusals that say nothing about the password are not failed guesses.
  const notGuesses = new Set<RefusalReason>(['client_id_mismatch', 'auth_busy']);

  aedes.authenticate = (client, username, password, done) => {
    if (deps.overCapacity(client)) {
      refuse(client.id, 'max_connections', 'broker full');
      return done(connackError(3, 'server unavailable: connection limit'), false);
    }
    const started = deps.now();
    const address = deps.addressOf(client);
    const account = username || `client:${client.id}`;
    const locked = deps.throttle.locked(address, account, started);
    if (locked !== undefined) {
      // Logged once per address: a locked-out guesser rotating client ids must not flood the log.
      refuse(address, 'auth_throttled', `${locked}; client id ${client.id.slice(0, 64)}`);
      return done(connackError(5, 'not authorized'), false);
    }
    deps
      .authenticate({
        clientId: client.id,
        username,
        password,
        hasPassword: password !== undefined,
      })
      .then((claim) => {
        if (!claim.ok) {
          refuse(client.id, claim.reason, claim.detail);
          const answer = () => done(connackError(claim.returnCode, claim.detail), false);
          if (notGuesses.has(claim.reason)) return answer();
          // Backoff, counted from the CONNECT: an unknown id and a wrong password are answered
          // at the same moment, whatever their checks cost.
          const at = started + deps.throttle.fail(address, account, started);
          const wait = at - deps.now();
          if (wait <= 0) return answer();
          return void setTimeout(answer, wait).unref();
        }
        deps.throttle.succeed(address, account);
        if (claim.identity.kind === 'service') {
          const role = claim.identity.role;
          const owner = serviceIds.get(client.id);
          if (owner !== undefined && owner !== role) {
            const detail = `service ${role} used the client id of ${owner}: ${client.id}`;
            refuse(client.id, 'client_id_mismatch', detail);
            return done(connackError(2, detail), false);
          }
          serviceIds.delete(client.id);
          serviceIds.set(client.id, role);
          if (serviceIds.size > SERVICE_IDS_MAX) {
            const oldest = serviceIds.keys().next().value;
            if (oldest !== undefined) serviceIds.delete(oldest);
          }
        }
        const service = claim.identity.kind === 'service' || claim.identity.kind === 'anonymous';
        const bucket = service
          ? createTokenBucket(limits.serviceRate, limits.serviceBurst, deps.now())
          : createTokenBucket(limits.deviceRate, limits.deviceBurst, deps.now());
        sessions.set(client, { identity: claim.identity, bucket });
        done(null, true);
      })
      .catch((err: Error) => {
        log.error({ err, clientId: client.id }, 'authentication failed internally');
        done(connackError(3, 'server unavailable'), false);
      });
  };

  const denied = (client: Client, decision: Decision & { ok: false }) => {
    refuse(client.id, decision.reason, decision.detail);
    return new RefusedError(decision.reason, decision.detail);
  };

  /**
   * A retained message is handed to every future subscriber, so it must be one the contract
   * decodes (an empty payload clears it). Only retained publishes pay for this: the telemetry
   * hot path is not retained.
   */
  const retainedProblem = (packet: PublishPacket, bytes: number): Decision => {
    if (!packet.retain || bytes === 0) return RETAIN_OK;
    const decoded = decodeMessage(packet.topic, packet.payload);
    if (decoded.ok) return RETAIN_OK;
    const at = decoded.path === undefined ? '' : ` at ${decoded.path}`;
    return {
      ok: false,
      reason: 'invalid_payload',
      detail: `retained on ${packet.topic.slice(0, 200)}: ${decoded.code}${at}: ${decoded.reason}`,
    };
  };

  aedes.authorizePublish = (client, packet, callback) => {
    const info = topicInfo(packet.topic);
    const bytes = payloadBytes(packet);
    // A will persisted for a client that is gone; only valid status wills are ever accepted.
    if (!client) {
      const valid = info.kind === 'status' && retainedProblem(packet, bytes).ok;
      return callback(valid ? null : new Error('orphan will'));
    }
    const session = sessions.get(client);
    if (!session) return callback(new Error('no session'));
    const decision = authorizePublish(
      session.identity,
      { topic: packet.topic, retain: packet.retain, payloadBytes: bytes },
      directory,
      info.parsed,
    );
    if (!decision.ok) return callback(denied(client, decision));
    const retained = retainedProblem(packet, bytes);
    if (!retained.ok) return callback(denied(client, retained));
    metrics.messageIn(info.kind, bytes);
    // A last will is the broker speaking for a lost client: never throttle it.
    if (packet === (client as { will?: unknown }).will) return callback(null);
    const delay = session.bucket.take(deps.now());
    if (delay === 0) return callback(null);
    if (delay > limits.maxDelayMs) {
      return callback(
        denied(client, {
          ok: false,
          reason: 'rate_limited',
          detail: `${Math.round(delay)} ms behind`,
        }),
      );
    }
    setTimeout(() => callback(null), delay).unref();
  };

  aedes.authorizeSubscribe = (client, subscription, callback) => {
    const session = sessions.get(client);
    if (!session) return callback(new Error('no session'));
    const decision = authorizeSubscribe(session.identity, subscription.topic, directory);
    if (decision.ok) return callback(null, subscription);
    refuse(client.id, decision.reason, decision.detail);
    // Kept out of a persistent session's stored filters on a cluster node (subscribeBatch.ts).
    refusedSubscriptions.add(subscription);
    // [MQTT-3.9.3] SUBACK 0x80 for this filter; the client stays connected.
    callback(null, null);
  };

  aedes.authorizeForward = (_client, packet) => {
    metrics.messageOut(topicInfo(packet.topic).kind, payloadBytes(packet as PublishPacket));
    return packet;
  };

  aedes.on('client', (client) => {
    const session = sessions.get(client);
    if (session) connected.add(session);
  });
  aedes.on('clientDisconnect', (client) => {
    const session = sessions.get(client);
    if (session) connected.delete(session);
  });

  aedes.on('publish', (packet, _client) => {
    const { parsed } = topicInfo(packet.topic);
    // Only registry lamps: an admin publishing status for made-up ids must not grow this map.
    if (parsed?.kind !== 'status' || !directory.isLamp(parsed.lampId)) return;
    if (payloadBytes(packet) === 0) return void lampState.delete(parsed.lampId);
    try {
      const status = LampStatus.safeParse(JSON.parse(packet.payload.toString()));
      if (status.success) lampState.set(parsed.lampId, status.data.state);
    } catch {
      // Not JSON: the processor dead-letters it; the broker just does not count it.
    }
  });

  // Per-client failures (aedes disconnects that client only). Refusals from the hooks above and
  // CONNACK refusals (errorCode set by aedes) come back here too and are already counted.
  const onClientFailure = (client: Client, err: Error) => {
    if (err instanceof RefusedError || (err as { errorCode?: number }).errorCode !== undefined)
      return;
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ECONNRESET' || code === 'EPIPE' || err.message === 'connection closed') return;
    const reason: RefusalReason =
      err instanceof PacketTooLargeError ? 'packet_too_large' : 'protocol_error';
    refuse(client.id ?? '(connecting)', reason, err.message);
  };
  aedes.on('clientError', onClientFailure);
  aedes.on('connectionError', onClientFailure);

  const tracked = () => ({
    connected: connected.size,
    lampState: lampState.size,
    refusalsLogged: logged.size,
    parsedTopics: parsedTopics.size,
    serviceIds: serviceIds.size,
    ...Object.fromEntries(
      Object.entries(deps.throttle.size()).map(([k, v]) => [`authFailures.${k}`, v]),
    ),
  });

  return { connected, lampState, refuse, tracked };
}
