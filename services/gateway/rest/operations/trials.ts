/**
 * Trials: a vendor's lamps under test against a control group. Vendors define and see only their
 * own; operators and admins see all. A trial's report holds group figures only.
 */
import { z } from 'zod';
import { Id } from '../../../../shared/contract/index.ts';
import { checkTrialDefinable, seesTrial, trialView } from '../../access.ts';
import type { Principal } from '../../auth/roles.ts';
import type { GatewayContext } from '../../context.ts';
import { GatewayError } from '../../errors.ts';
import { trialReportHtml } from '../../reports/html.ts';
import { loadTrialReport, type TrialReport } from '../../reports/loadTrialReport.ts';
import { REPORT_ALSO_ANSWERS, REPORT_FORMATS, reportAnswer } from '../../reports/outputs.ts';
import { csvText } from '../../reports/vendorReport.ts';
import { OkResponse, TrialReportResponse, TrialResponse, TrialsResponse } from '../../responses.ts';
import type { Trial } from '../../trials/trial.ts';
import { TrialInput } from '../../trials/trial.ts';
import { operation } from '../operation.ts';
import { storeOf } from './data.ts';

const TrialPath = z.object({ trialId: Id });

/** The trial, when it exists (404) and the caller may see it (403). */
function visibleTrial(ctx: GatewayContext, p: Principal, id: string): Trial {
  const t = ctx.trials.get(id);
  if (!t) throw new GatewayError('not_found', `no trial ${id}`);
  if (!seesTrial(p, t)) throw new GatewayError('forbidden', 'vendors see only their own trials');
  return t;
}

export const TRIAL_CSV_COLUMNS = [
  'trialId',
  'night',
  'testKWhPerLampNight',
  'controlKWhPerLampNight',
  'differenceKWh',
  'ci95LowKWh',
  'ci95HighKWh',
  'differencePct',
  'conclusion',
] as const;

/** The summary first (night `all`), then each night's group means. */
export function trialCsv(r: TrialReport): string {
  const c = r.comparison;
  return csvText(TRIAL_CSV_COLUMNS, [
    [
      r.trial.id,
      'all',
      c.test.kWhPerLampNight,
      c.control.kWhPerLampNight,
      c.differenceKWh,
      c.ci95KWh?.low ?? null,
      c.ci95KWh?.high ?? null,
      c.differencePct,
      c.conclusion,
    ],
    ...c.nights.map((n) => [
      r.trial.id,
      n.night,
      n.testKWhPerLamp,
      n.controlKWhPerLamp,
      null,
      null,
      null,
      null,
      null,
    ]),
  ]);
}

export const TRIAL_OPERATIONS = [
  operation({
    id: 'listTrials',
    method: 'get',
    path: '/api/trials',
    summary: 'Trials the caller may see (vendors: their own)',
    access: 'read',
    response: TrialsResponse,
    status: 200,
    handler: ({ ctx, principal }) => ({
      ok: true as const,
      trials: ctx.trials
        .list()
        .filter((t) => seesTrial(principal, t))
        .map((t) => trialView(principal, t, ctx.registry)),
    }),
  }),
  operation({
    id: 'createTrial',
    method: 'post',
    path: '/api/trials',
    summary: 'Define a trial: lamps or models under test, a control group and a period',
    access: 'trials.write',
    body: TrialInput,
    response: TrialResponse,
    status: 201,
    handler: async ({ ctx, principal, body }) => {
      checkTrialDefinable(principal, body, ctx.registry);
      const trial: Trial = { ...body, createdBy: principal.username, createdAt: ctx.now() };
      if (!(await ctx.trials.add(trial)))
        throw new GatewayError('conflict', `trial ${body.id} exists`);
      return { ok: true as const, trial: trialView(principal, trial, ctx.registry) };
    },
  }),
  operation({
    id: 'deleteTrial',
    method: 'delete',
    path: '/api/trials/{trialId}',
    summary: 'Delete a trial (vendors: their own)',
    access: 'trials.write',
    params: TrialPath,
    response: OkResponse,
    status: 200,
    handler: async ({ ctx, principal, params }) => {
      visibleTrial(ctx, principal, params.trialId);
      await ctx.trials.remove(params.trialId);
      return { ok: true as const };
    },
  }),
  operation({
    id: 'trialReport',
    method: 'get',
    path: '/api/trials/{trialId}/report',
    summary:
      'Test minus control energy per lamp-night at equal commanded levels, 95 % bootstrap interval (format=json|csv|html|pdf)',
    access: 'read',
    params: TrialPath,
    query: z.object({ format: z.enum(REPORT_FORMATS).default('json') }),
    response: TrialReportResponse,
    status: 200,
    alsoAnswers: REPORT_ALSO_ANSWERS,
    handler: async ({ ctx, principal, params, query }) => {
      const trial = visibleTrial(ctx, principal, params.trialId);
      const report = await loadTrialReport(
        { registry: ctx.registry, store: storeOf(ctx), now: ctx.now },
        trial,
        trialView(principal, trial, ctx.registry),
      );
      return reportAnswer(
        query.format,
        report,
        {
          csv: () => trialCsv(report),
          html: () => trialReportHtml(report),
          renderPdf: ctx.renderPdf,
        },
        `gadelys-trial-${trial.id}`,
      );
    },
  }),
];
