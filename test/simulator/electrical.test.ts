import { describe, expect, it } from 'vitest';
import { loadCatalog } from '../../shared/registry/index.ts';
import {
  activePower,
  CLO_LIFE_HOURS,
  effectiveLevel,
  efficiencyAt,
  energyKWh,
  gearTemperatureStep,
  mainsVoltage,
  powerFactor,
  supplyCurrent,
} from '../../simulator/electrical.ts';

const catalog = loadCatalog();
const model = (id: string) => catalog.models.find((m) => m.id === id)!;

describe('electrical model', () => {
  // Worked by hand from the catalog: LED power at full = (75 - 0.97) W x 0.938, divided by the
  // driver efficiency at the load, plus 0.97 W standby.
  it.each([
    [0, 0.97],
    [10, 11.2574],
    [25, 22.7517],
    [50, 39.9375],
    [75, 57.0908],
    [100, 75],
  ])('nordlys-arc-75 at %i %% draws %f W', (level, watts) => {
    expect(activePower(model('nordlys-arc-75'), level)).toBeCloseTo(watts, 3);
  });

  it.each(catalog.models.map((m) => [m.id, m] as const))(
    '%s stays within its catalog spec at every level',
    (_, m) => {
      const hours = m.constantLightOutput ? CLO_LIFE_HOURS : 0;
      let previous = activePower(m, 0, hours);
      expect(previous).toBe(m.standbyPowerW);
      expect(activePower(m, 100, hours)).toBeCloseTo(m.ratedPowerW, 6);
      for (let level = 1; level <= 100; level++) {
        const p = activePower(m, level, hours);
        const eff = effectiveLevel(m, level);
        // Never above rated, never below the light's share of rated (efficiency falls at low load).
        expect(p).toBeLessThanOrEqual(m.ratedPowerW + 1e-9);
        expect(p).toBeGreaterThanOrEqual(
          m.standbyPowerW + (eff / 100) * (m.ratedPowerW - m.standbyPowerW) * 0.999,
        );
        expect(p).toBeGreaterThanOrEqual(previous - 1e-9);
        previous = p;
      }
    },
  );

  it('clamps levels below the dimming range to its minimum, but 0 stays off', () => {
    const m = model('nordlys-arc-75'); // 10-100 %
    expect(effectiveLevel(m, 0)).toBe(0);
    expect(effectiveLevel(m, 3)).toBe(10);
    expect(activePower(m, 3)).toBe(activePower(m, 10));
  });

  it('interpolates the driver efficiency curve linearly and flat outside it', () => {
    const curve = model('nordlys-arc-75').driverEfficiency;
    expect(efficiencyAt(curve, 0.05)).toBe(0.675);
    expect(efficiencyAt(curve, 0.375)).toBeCloseTo((0.797 + 0.891) / 2, 9);
    expect(efficiencyAt(curve, 1.2)).toBe(0.938);
  });

  it('power factor falls at low load and is the catalog figure at full load', () => {
    const m = model('nordlys-arc-75');
    expect(powerFactor(m, 100)).toBeCloseTo(m.powerFactor, 9);
    expect(powerFactor(m, 50)).toBeLessThan(powerFactor(m, 100));
    expect(powerFactor(m, 10)).toBeLessThan(powerFactor(m, 50));
    expect(powerFactor(m, 0)).toBeLessThan(powerFactor(m, 10));
  });

  it('constant light output draws more power as the LEDs age', () => {
    const m = model('nordlys-kappa-60');
    expect(m.constantLightOutput).toBe(true);
    const young = activePower(m, 100, 0);
    const old = activePower(m, 100, 50_000);
    expect(young).toBeLessThan(old);
    expect(old).toBeLessThan(activePower(m, 100, CLO_LIFE_HOURS));
  });

  it('current, energy, voltage and gear temperature follow their physics', () => {
    expect(supplyCurrent(230, 230, 1)).toBe(1);
    expect(supplyCurrent(115, 230, 0.5)).toBe(1);
    expect(supplyCurrent(50, 0, 0.9)).toBe(0);
    expect(energyKWh(100, 3_600_000)).toBeCloseTo(0.1, 12);
    expect(mainsVoltage(230, 18.5, 0)).toBeCloseTo(227, 0);
    expect(mainsVoltage(230, 3.5, 0)).toBeCloseTo(232, 0);
    const m = model('nordlys-arc-75');
    const hot = gearTemperatureStep(m, 5, 5, 75, 24 * 3_600_000);
    expect(hot).toBeCloseTo(5 + 28, 3);
    const halfway = gearTemperatureStep(m, 5, 5, 75, 12 * 60_000);
    expect(halfway).toBeGreaterThan(5 + 28 * 0.6);
    expect(halfway).toBeLessThan(5 + 28 * 0.66);
  });
});
