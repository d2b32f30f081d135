import { readFileSync } from 'node:fs';
import { Parser } from '@asyncapi/parser';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { buildAsyncApi } from '../../shared/contract/asyncapi.ts';
import { SCHEMAS } from '../../shared/contract/decode.ts';
import { EXAMPLES } from '../../shared/contract/examples.ts';
import { filters, type MessageKind, topics } from '../../shared/contract/topics.ts';

const path = new URL('../../docs/asyncapi.yaml', import.meta.url);
const text = readFileSync(path, 'utf8');
const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));

const KIND_OF_MESSAGE: Record<string, MessageKind> = {
  Telemetry: 'telemetry',
  SegmentBatch: 'batch',
  LampStatus: 'status',
  LampEvent: 'event',
  LampCommand: 'cmd',
  CommandAck: 'ack',
  Alarm: 'alarm',
  DeadLetter: 'deadletter',
};

describe('docs/asyncapi.yaml', () => {
  it('is what the generator makes from the code (run `npm run docs:asyncapi` after a change)', () => {
    expect(parse(text)).toEqual(JSON.parse(JSON.stringify(buildAsyncApi(pkg.version))));
  });

  it('parses as AsyncAPI 3 without errors, and every example passes the zod schema', async () => {
    const { document, diagnostics } = await new Parser().parse(text);
    const errors = diagnostics.filter((d) => d.severity === 0);
    expect(errors.map((e) => `${e.path.join('.')}: ${e.message}`)).toEqual([]);
    expect(document).toBeDefined();
    const messages = document!.components().messages().all();
    expect(messages.map((m) => m.id()).sort()).toEqual(Object.keys(KIND_OF_MESSAGE).sort());
    let checked = 0;
    for (const message of messages) {
      const kind = KIND_OF_MESSAGE[message.id()]!;
      const examples = message.examples().all();
      expect(examples.length, message.id()).toBeGreaterThan(0);
      for (const example of examples) {
        const result = SCHEMAS[kind].safeParse(example.payload());
        expect(
          result.success,
          `${message.id()} example ${example.name()}: ${result.error?.message}`,
        ).toBe(true);
        checked++;
      }
    }
    expect(checked).toBe(Object.values(EXAMPLES).flat().length);
  });

  it('describes every topic the code builds', async () => {
    const { document } = await new Parser().parse(text);
    const addresses = document!
      .channels()
      .all()
      .map((c) => c.address());
    const asFilter = (a: string | null | undefined) => a?.replace(/\{\w+\}/g, '+');
    const described = new Set(addresses.map(asFilter));
    for (const f of [
      filters.allTelemetry,
      filters.allBatches,
      filters.allStatus,
      filters.allEvents,
    ]) {
      expect(described.has(f), f).toBe(true);
    }
    for (const f of [
      filters.allCommands,
      filters.allAcks,
      filters.allAlarms,
      topics.deadLetter(),
    ]) {
      expect(described.has(f), f).toBe(true);
    }
  });
});
