/** Replay: every lamp's level, power and state at each step of a window, streamed as NDJSON. */
import { z } from 'zod';
import { ReplayLine, replayNdjson } from '../../../../shared/storage/replay.ts';
import { GatewayError } from '../../errors.ts';
import { WindowQuery, windowOf } from '../../http/query.ts';
import { operation, StreamAnswer } from '../operation.ts';
import { filterOf, storeOf } from './data.ts';

const DEFAULT_WINDOW_MS = 12 * 3_600_000;
export const NDJSON = 'application/x-ndjson';

export const ReplayQueryParams = WindowQuery.omit({ limit: true }).extend({
  /** Step between frames, ms: 10 s plays a night at 60x in 12 minutes. */
  stepMs: z.coerce.number().int().min(1_000).max(3_600_000).default(10_000),
});

export const REPLAY_OPERATIONS = [
  operation({
    id: 'replay',
    method: 'get',
    path: '/api/replay',
    summary:
      "Every lamp's level, power and state at each step of a window (default: the last 12 h at 10 s), " +
      'streamed as NDJSON, one ReplayLine a line (docs/storage.md); vendors get only their lamps',
    access: 'read',
    query: ReplayQueryParams,
    response: ReplayLine,
    contentType: NDJSON,
    status: 200,
    handler: ({ ctx, principal, query: q }) => {
      const filter = filterOf(ctx, principal, q);
      const { from, to } = windowOf(q, ctx.now(), DEFAULT_WINDOW_MS);
      if (to <= from)
        throw new GatewayError('invalid', 'from must be before to', [
          { path: 'from', message: 'after to' },
        ]);
      const query = { ...filter, from, to, stepMs: q.stepMs };
      return new StreamAnswer(NDJSON, replayNdjson(query, storeOf(ctx).replay(query)));
    },
  }),
];
