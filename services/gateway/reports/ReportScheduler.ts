import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../../../shared/log.ts';
import type { Registry } from '../../../shared/registry/index.ts';
import type { Store } from '../../../shared/storage/port.ts';
import { readJson, writeJsonAtomic } from '../jsonFiles.ts';
import { vendorReportHtml } from './html.ts';
import { loadVendorReport } from './loadVendorReport.ts';
import { DAY_MS } from './nights.ts';
import { CONTENT_TYPES, type ReportFormat, renderReport } from './outputs.ts';
import {
  dueReport,
  FILE_NAME,
  type ReportFile,
  type Schedule,
  type ScheduleInput,
} from './schedule.ts';
import { reportCsv } from './vendorReport.ts';

interface State {
  schedules: Schedule[];
  files: ReportFile[];
}

export interface SchedulerDeps {
  dataDir: string;
  registry: Registry;
  store?: Store;
  now: () => number;
  log: Logger;
  renderPdf: (html: string) => Promise<Uint8Array>;
}

/**
 * Scheduled vendor reports: schedules and the index of files made kept as JSON under
 * GATEWAY_DATA_DIR, the files under GATEWAY_DATA_DIR/reports. `tick()` makes what is due at the
 * injected clock's time (the gateway calls it every minute; a test calls it with any time), so a
 * report is made once per period however often it runs, and after a restart only what is missing.
 */
export class ReportScheduler {
  private state: State = { schedules: [], files: [] };
  private running: Promise<ReportFile[]> = Promise.resolve([]);

  private constructor(private readonly deps: SchedulerDeps) {}

  static async open(deps: SchedulerDeps): Promise<ReportScheduler> {
    const s = new ReportScheduler(deps);
    s.state = await readJson<State>(s.indexPath, { schedules: [], files: [] });
    return s;
  }

  private get indexPath() {
    return join(this.deps.dataDir, 'report-schedules.json');
  }

  get dir() {
    return join(this.deps.dataDir, 'reports');
  }

  schedules(): Schedule[] {
    return this.state.schedules;
  }

  files(): ReportFile[] {
    return this.state.files;
  }

  async add(input: ScheduleInput, createdBy: string): Promise<Schedule | undefined> {
    if (this.state.schedules.some((s) => s.id === input.id)) return undefined;
    const schedule: Schedule = { ...input, createdBy, createdAt: this.deps.now() };
    this.state.schedules.push(schedule);
    await this.save();
    return schedule;
  }

  async remove(id: string): Promise<boolean> {
    const before = this.state.schedules.length;
    this.state.schedules = this.state.schedules.filter((s) => s.id !== id);
    if (before === this.state.schedules.length) return false;
    await this.save();
    return true;
  }

  /** The bytes of a listed file, or undefined. */
  async read(
    name: string,
  ): Promise<{ file: ReportFile; body: Buffer; contentType: string } | undefined> {
    const file = this.state.files.find((f) => f.name === name);
    if (!file || !FILE_NAME.test(name)) return undefined;
    return {
      file,
      body: await readFile(join(this.dir, name)),
      contentType: CONTENT_TYPES[file.format],
    };
  }

  /** Make every report that is due now; one run at a time. Returns the files made. */
  tick(): Promise<ReportFile[]> {
    this.running = this.running.catch(() => []).then(() => this.runDue());
    return this.running;
  }

  /** Resolves when a run under way has finished. */
  idle(): Promise<void> {
    return this.running.then(
      () => undefined,
      () => undefined,
    );
  }

  private async runDue(): Promise<ReportFile[]> {
    const { store, registry } = this.deps;
    if (!store) return [];
    const now = this.deps.now();
    const made: ReportFile[] = [];
    for (const s of this.state.schedules) {
      const due = dueReport(s, now);
      if (s.lastNight !== undefined && s.lastNight >= due.lastNight) continue;
      const vendor = registry.vendor(s.vendorId);
      if (!vendor) continue;
      try {
        const report = await loadVendorReport({ registry, store, now: this.deps.now }, vendor, {
          night: due.lastNight,
          nights: due.nights,
        });
        await mkdir(this.dir, { recursive: true, mode: 0o700 });
        for (const format of s.formats) {
          const body =
            format === 'json'
              ? JSON.stringify(report)
              : await renderReport(format, {
                  csv: () => reportCsv(vendor.id, report.models),
                  html: () => vendorReportHtml(report, registry.source),
                  renderPdf: this.deps.renderPdf,
                });
          const name = `${s.id}-${due.lastNight}.${format}`;
          await writeFile(join(this.dir, name), body, { mode: 0o600 });
          const file: ReportFile = {
            name,
            scheduleId: s.id,
            vendorId: vendor.id,
            format: format as ReportFormat,
            firstNight: new Date(
              Date.parse(`${due.lastNight}T00:00:00Z`) - (due.nights - 1) * DAY_MS,
            )
              .toISOString()
              .slice(0, 10),
            lastNight: due.lastNight,
            bytes: (await stat(join(this.dir, name))).size,
            createdAt: now,
          };
          this.state.files = [...this.state.files.filter((f) => f.name !== name), file];
          made.push(file);
        }
        s.lastNight = due.lastNight;
        await this.save();
      } catch (err) {
        // One schedule failing (a store read, Chromium) leaves the others and is tried again.
        this.deps.log.error({ err, schedule: s.id }, 'scheduled report failed');
      }
    }
    return made;
  }

  private save(): Promise<void> {
    return writeJsonAtomic(this.indexPath, this.state);
  }
}
