import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../shared/config.ts';
import { durationMs, HELP, parseCli, statusLine } from '../../simulator/cli.ts';
import { loadSimulatorConfig } from '../../simulator/config.ts';

describe('simulator CLI', () => {
  it('maps flags onto the SIMULATOR_* config, flags winning over env', () => {
    const r = parseCli([
      '--mode',
      'segment',
      '--speed',
      '60',
      '--interval',
      '15m',
      '--lamps',
      '10000',
      '--fault',
      'supplyLoss:seg-03',
      '--fault',
      'garbage:DOLL-0001',
    ]);
    if (!('env' in r)) throw new Error('expected env');
    const c = loadSimulatorConfig({ SIMULATOR_MODE: 'lamp', SIMULATOR_SEED: '9', ...r.env });
    expect(c).toMatchObject({
      SIMULATOR_MODE: 'segment',
      SIMULATOR_SPEED: 60,
      SIMULATOR_INTERVAL_MS: 900_000,
      SIMULATOR_LAMPS: 10_000,
      SIMULATOR_SEED: 9,
      SIMULATOR_FAULTS: 'supplyLoss:seg-03;garbage:DOLL-0001',
    });
  });

  it.each([
    ['1500', '1500'],
    ['1s', '1000'],
    ['0.5s', '500'],
    ['15m', '900000'],
    ['2h', '7200000'],
    ['soon', 'soon'],
  ])('reads the duration %s as %s ms', (text, ms) => expect(durationMs(text)).toBe(ms));

  it('reports unknown flags, shows help, and lists every bad variable at once', () => {
    expect(parseCli(['--lamp', '3'])).toHaveProperty('error');
    expect(parseCli(['--help'])).toEqual({ help: true });
    expect(HELP).toContain('--fault');
    try {
      loadSimulatorConfig({
        SIMULATOR_MODE: 'bus',
        SIMULATOR_SPEED: '-1',
        SIMULATOR_START: 'yesterday',
        SIMULATOR_FAULTS: 'meltdown:x',
      });
      throw new Error('expected a ConfigError');
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      const vars = (err as ConfigError).problems.map((p) => p.split('=')[0]);
      expect(vars.sort()).toEqual([
        'SIMULATOR_FAULTS',
        'SIMULATOR_MODE',
        'SIMULATOR_SPEED',
        'SIMULATOR_START',
      ]);
    }
  });

  it('renders the status line', () => {
    const line = statusLine({
      lamps: 280,
      connections: 280,
      connected: 279,
      published: 10,
      dropped: 0,
      messagesPerSecond: 281,
      commands: 3,
      commandsRejected: 1,
      acks: 5,
      events: 0,
      garbage: 0,
      detections: 2,
      roadUsers: 4,
      faults: 1,
      simTime: Date.parse('2026-11-15T21:00:00Z'),
      speed: 60,
    });
    expect(line).toBe(
      '2026-11-15 21:00:00Z x60 | 279/280 connected, 280 lamps | 281 msg/s | cmds 3 (rejected 1) | faults 1 | road users 4',
    );
  });
});
