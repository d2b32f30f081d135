import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { segmentLookup } from '../../shared/auth/deviceRule.ts';
import { mqttPasswordOf } from '../../shared/auth/serviceAccounts.ts';
import type { LampCommand } from '../../shared/contract/index.ts';
import type { Logger } from '../../shared/log.ts';
import type { Registry } from '../../shared/registry/index.ts';
import type { RunningService } from '../../shared/service.ts';
import type { Store } from '../../shared/storage/port.ts';
import { withReadTimeout } from '../../shared/storage/readTimeout.ts';
import type { CommandSummary } from './api.ts';
import { createApp } from './app.ts';
import { AuditLog } from './audit/AuditLog.ts';
import { AccountLockout } from './auth/lockout.ts';
import { type Limiter, RateLimiter } from './auth/rateLimiter.ts';
import { UserStore } from './auth/UserStore.ts';
import { type CommandBook, LocalCommandBook } from './commands/CommandBook.ts';
import { CommandTracker } from './commands/CommandTracker.ts';
import { createCommandService, OUTCOME } from './commands/commandService.ts';
import { GATEWAY_DEFAULTS, type GatewayConfig } from './config.ts';
import type { GatewayContext } from './context.ts';
import { LiveView } from './live/LiveView.ts';
import { connectMqtt, type MqttLink } from './live/mqttLink.ts';
import { restoreAcknowledgements, seedFromStore } from './live/seed.ts';
import { createGatewayMetrics } from './metrics.ts';
import { ProgramStore } from './programs/ProgramStore.ts';
import { htmlToPdf } from './reports/pdf.ts';
import { ReportScheduler } from './reports/ReportScheduler.ts';
import { TrialStore } from './trials/TrialStore.ts';
import { attachWebSocket, WS_PATH } from './ws/wsServer.ts';

export interface GatewayDeps {
  registry: Registry;
  log: Logger;
  /** Lab secret; the gateway's MQTT password is derived from it unless GATEWAY_MQTT_PASSWORD is set. */
  labSecret?: string;
  /** Storage to read history from and to seed the live view; history endpoints answer 503 without it. */
  store?: Store;
  /** Injected clock, epoch ms. */
  now?: () => number;
  /** Where the one-time bootstrap secret is printed; stdout by default. */
  announce?: (text: string) => void;
}

export interface RunningGateway extends RunningService {
  /** The port actually bound (differs from the config when that was 0). */
  readonly port: number;
  /** Printed once at start while no admin exists; POST it to /api/auth/bootstrap. */
  readonly bootstrapSecret: string | undefined;
  readonly context: GatewayContext;
  readonly mqtt: MqttLink | undefined;
  readonly ws: ReturnType<typeof attachWebSocket>;
}

/** Start the gateway: REST, WebSocket and dashboard on one port, fed by MQTT. */
export async function startGateway(
  config: GatewayConfig,
  deps: GatewayDeps,
): Promise<RunningGateway> {
  const now = deps.now ?? Date.now;
  const { log, registry } = deps;
  const dataDir = config.GATEWAY_DATA_DIR;
  // Several gateways share their state in Redis; one loads no Redis code (imported only then).
  const cluster = config.GATEWAY_CLUSTER_REDIS_URL
    ? await import('./cluster/index.ts').then((m) =>
        m.joinGatewayCluster(config.GATEWAY_CLUSTER_REDIS_URL!, config.GATEWAY_NODE_ID),
      )
    : undefined;
  const users = await UserStore.open(dataDir, {
    now,
    sessionTtlMs: GATEWAY_DEFAULTS.sessionTtlMs,
    ...(cluster ? { shared: cluster.users } : {}),
  });
  const audit = await AuditLog.open(dataDir, now, {
    rotateBytes: config.GATEWAY_AUDIT_ROTATE_MB * 1024 * 1024,
    memoryEntries: config.GATEWAY_AUDIT_MEMORY_ENTRIES,
    ...(cluster ? { shared: cluster.audit(config.GATEWAY_AUDIT_MEMORY_ENTRIES) } : {}),
  });
  const limiter = (name: string, perMinute: number): Limiter =>
    cluster
      ? cluster.limiter(name, perMinute, perMinute, now)
      : new RateLimiter(perMinute, perMinute, now);
  const programs = await ProgramStore.open(dataDir, () => registry.lamps.map((l) => l.id));
  const trials = await TrialStore.open(dataDir);
  const renderPdf = (html: string) =>
    htmlToPdf(html, { chromiumPath: config.GATEWAY_CHROMIUM_PATH });
  const reports = await ReportScheduler.open({
    dataDir,
    registry,
    now,
    log,
    renderPdf,
    ...(deps.store ? { store: deps.store } : {}),
  });
  const live = new LiveView(registry);
  const metrics = createGatewayMetrics({
    wsClients: () => ws?.clientCount ?? 0,
    lampsByStatus: () => {
      const counts: Record<string, number> = { online: 0, offline: 0, unknown: 0 };
      for (const l of live.all()) counts[l.status] = (counts[l.status] ?? 0) + 1;
      return counts;
    },
    activeAlarms: () => live.activeAlarms().length,
    mqtt: () => mqtt?.stats,
  });
  let mqtt: MqttLink | undefined;
  let ws: ReturnType<typeof attachWebSocket> | undefined;
  const completed = (summary: CommandSummary) => {
    metrics.commands.inc({ status: summary.status });
    void audit
      .record({
        actor: summary.issuedBy,
        action: 'command.completed',
        subject: summary.commandId,
        lampCount: summary.lampCount,
        outcome: OUTCOME[summary.status],
        detail: { counts: summary.counts, rttMs: summary.rttMs },
      })
      .catch((err: unknown) => log.error({ err }, 'audit write failed'));
  };
  const send = (command: LampCommand, lampIds: readonly string[]) => mqtt?.send(command, lampIds);
  const tracker: CommandBook = cluster
    ? await cluster.commands({
        timeoutMs: config.GATEWAY_COMMAND_TIMEOUT_MS,
        retries: config.GATEWAY_COMMAND_RETRIES,
        now,
        log,
        send,
        onDone: completed,
        onUpdate: (summary) => ws?.commandUpdate(summary),
      })
    : new LocalCommandBook(
        new CommandTracker({
          timeoutMs: config.GATEWAY_COMMAND_TIMEOUT_MS,
          retries: config.GATEWAY_COMMAND_RETRIES,
          now,
          send,
          onChange: (summary, done) => {
            ws?.commandUpdate(summary);
            if (done) completed(summary);
          },
        }),
      );
  const commands = createCommandService({
    registry,
    tracker,
    audit,
    limiter: limiter('commands', config.GATEWAY_COMMANDS_PER_MINUTE),
    now,
  });
  const lockoutOptions = {
    maxFailures: config.GATEWAY_LOGIN_LOCKOUT_FAILURES,
    windowMs: config.GATEWAY_LOGIN_LOCKOUT_MINUTES * 60_000,
  };
  const ctx: GatewayContext = {
    registry,
    startedAt: now(),
    metrics,
    ...(config.GATEWAY_METRICS_TOKEN ? { metricsToken: config.GATEWAY_METRICS_TOKEN } : {}),
    apiDocument: {},
    dataDir,
    log,
    now,
    users,
    audit,
    live,
    tracker,
    commands,
    programs,
    trials,
    renderPdf,
    reports,
    loginLimiter: limiter('login', config.GATEWAY_LOGIN_PER_MINUTE),
    lockout: cluster
      ? cluster.lockout(lockoutOptions, now)
      : new AccountLockout(lockoutOptions, now),
    tokenLimiter: limiter('tokens', config.GATEWAY_TOKENS_PER_MINUTE),
    tokensPerUser: config.GATEWAY_TOKENS_PER_USER,
  };
  if (deps.store) {
    ctx.store = withReadTimeout(deps.store, config.GATEWAY_STORE_TIMEOUT_MS);
    await seedFromStore(deps.store, live, now(), log);
    restoreAcknowledgements(live, audit);
  }

  const password = mqttPasswordOf(
    'gateway',
    config.GATEWAY_MQTT_PASSWORD,
    deps.labSecret ?? config.LAB_SECRET,
  );
  if (password === undefined) {
    log.warn(
      'no LAB_SECRET or GATEWAY_MQTT_PASSWORD: running without MQTT (no live state, commands are not delivered)',
    );
  } else {
    mqtt = await connectMqtt(
      {
        url: config.MQTT_URL,
        username: config.GATEWAY_MQTT_USERNAME,
        password,
        log,
        now,
        segmentOf: segmentLookup(registry),
      },
      { live, tracker: () => tracker },
    );
    ctx.mqttStats = mqtt.stats;
  }
  const tick = setInterval(
    () => tracker.tick(),
    Math.max(10, Math.min(100, config.GATEWAY_COMMAND_TIMEOUT_MS / 10)),
  );
  tick.unref();
  // Scheduled reports: what is due is made once per period, whenever this runs.
  const reportTick = setInterval(() => void reports.tick(), 60_000);
  reportTick.unref();

  const server = createServer(createApp(ctx, config.GATEWAY_TRUST_PROXY));
  ws = attachWebSocket(server, ctx, {
    minIntervalMs: config.GATEWAY_WS_MIN_INTERVAL_MS,
    maxBufferedBytes: config.GATEWAY_WS_MAX_BUFFERED_BYTES,
    maxSocketsPerUser: config.GATEWAY_WS_MAX_SOCKETS_PER_USER,
    framesPerSecond: config.GATEWAY_WS_FRAMES_PER_SECOND,
    allowedOrigins: config.GATEWAY_WS_ORIGINS,
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.PORT, config.HOST, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const base = `http://${config.HOST}:${port}`;
  const bootstrapSecret = users.pendingBootstrapSecret;
  if (bootstrapSecret) {
    // Printed, not logged at a level someone might ship: this is the only way to the first admin.
    // The secret rides in the fragment, which browsers never send to a server or a Referer.
    (deps.announce ?? console.log)(
      `gateway: no admin yet. Open this one-time link to create one:\n  ${base}/dashboard/#/first-run?secret=${bootstrapSecret}\n  or: curl -X POST ${base}/api/auth/bootstrap -H 'content-type: application/json' -d '{"secret":"${bootstrapSecret}","username":"admin","password":"<12+ chars>"}'`,
    );
  }
  log.info(
    {
      port,
      mqtt: mqtt !== undefined,
      store: deps.store?.kind ?? null,
      cluster: cluster?.nodeId ?? null,
    },
    'gateway listening',
  );
  const liveWs = ws;
  return {
    name: 'gateway',
    port,
    bootstrapSecret,
    context: ctx,
    mqtt,
    ws: liveWs,
    endpoints: [
      { label: 'dashboard', url: `${base}/dashboard/` },
      { label: 'REST API', url: `${base}/api/` },
      { label: 'OpenAPI', url: `${base}/openapi.json` },
      { label: 'WebSocket', url: `ws://${config.HOST}:${port}${WS_PATH}` },
    ],
    stop: async () => {
      clearInterval(tick);
      clearInterval(reportTick);
      await reports.idle();
      await liveWs.close();
      await new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      });
      await mqtt?.close();
      await Promise.all([users.flush(), audit.flush()]);
      await cluster?.close();
    },
  };
}
