import type { Logger } from '../../shared/log.ts';
import type { Registry } from '../../shared/registry/index.ts';
import type { Store } from '../../shared/storage/port.ts';
import type { AuditLog } from './audit/AuditLog.ts';
import type { Lockout } from './auth/lockout.ts';
import type { Limiter } from './auth/rateLimiter.ts';
import type { UserStore } from './auth/UserStore.ts';
import type { CommandBook } from './commands/CommandBook.ts';
import type { CommandService } from './commands/commandService.ts';
import type { LiveView } from './live/LiveView.ts';
import type { GatewayMetrics } from './metrics.ts';
import type { ProgramStore } from './programs/ProgramStore.ts';
import type { ReportScheduler } from './reports/ReportScheduler.ts';
import type { TrialStore } from './trials/TrialStore.ts';

/** Everything the HTTP and WebSocket handlers share. */
export interface GatewayContext {
  registry: Registry;
  log: Logger;
  now: () => number;
  /** When the gateway started, epoch ms. */
  startedAt: number;
  users: UserStore;
  audit: AuditLog;
  live: LiveView;
  /** Commands and acks: in memory, or shared in Redis by a cluster's gateways. */
  tracker: CommandBook;
  commands: CommandService;
  programs: ProgramStore;
  trials: TrialStore;
  /** Print a report page to PDF (headless Chromium). */
  renderPdf: (html: string) => Promise<Uint8Array>;
  /** Scheduled reports and the files they made (GATEWAY_DATA_DIR/reports). */
  reports: ReportScheduler;
  store?: Store;
  loginLimiter: Limiter;
  /** Wrong passwords per account, whatever the address. */
  lockout: Lockout;
  /** API tokens issued per user and minute, and how many one user may hold. */
  tokenLimiter: Limiter;
  tokensPerUser: number;
  /** GATEWAY_DATA_DIR: users, audit, programs, an imported inventory. */
  dataDir: string;
  /** What the MQTT link received and refused (forged: readings a device may not speak for). */
  mqttStats?: { received: number; rejected: number; forged: number; published: number };
  metrics: GatewayMetrics;
  /** GATEWAY_METRICS_TOKEN: the bearer token /metrics wants; without one, loopback callers only. */
  metricsToken?: string;
  /** The OpenAPI document of the operations table, built once at start. */
  apiDocument: Record<string, unknown>;
}

/** The bearer token of a request: `Authorization: Bearer <token>`. */
export function bearerOf(header: string | undefined): string | undefined {
  const m = /^Bearer ([A-Za-z0-9_.~+/=-]{10,200})$/.exec(header ?? '');
  return m?.[1];
}
