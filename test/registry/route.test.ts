import { describe, expect, it } from 'vitest';
import { haversineM, lineLengthM, loadRegistry } from '../../shared/registry/index.ts';

const registry = loadRegistry();

describe('the shipped DOLL route', () => {
  it('is marked approximate', () => {
    expect(registry.approximate).toBe(true);
  });

  it('is 8 km long, within 2 %', () => {
    const length = registry.segments.reduce(
      (sum, s) => sum + lineLengthM(registry.segmentGeometry(s.id) ?? []),
      0,
    );
    expect(length).toBeGreaterThan(8000 * 0.98);
    expect(length).toBeLessThan(8000 * 1.02);
  });

  it('has about 280 lamp posts with unique ids', () => {
    expect(registry.lamps.length).toBeGreaterThanOrEqual(270);
    expect(registry.lamps.length).toBeLessThanOrEqual(290);
    expect(new Set(registry.lamps.map((l) => l.id)).size).toBe(registry.lamps.length);
  });

  it('has strictly increasing distance along the route', () => {
    for (let i = 1; i < registry.lamps.length; i++) {
      expect(registry.lamps[i]!.distanceM).toBeGreaterThan(registry.lamps[i - 1]!.distanceM);
    }
  });

  it('spaces posts like a street: 25-40 m on average, none closer than 20 m or further than 45 m', () => {
    const gaps = registry.lamps.slice(1).map((l, i) => l.distanceM - registry.lamps[i]!.distanceM);
    const mean = gaps.reduce((a, b) => a + b, 0) / gaps.length;
    expect(mean).toBeGreaterThanOrEqual(25);
    expect(mean).toBeLessThanOrEqual(40);
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(20);
    expect(Math.max(...gaps)).toBeLessThanOrEqual(45);
  });

  it('puts each post on its street: straight-line gap never longer than the distance along the route', () => {
    for (let i = 1; i < registry.lamps.length; i++) {
      const a = registry.lamps[i - 1]!;
      const b = registry.lamps[i]!;
      expect(haversineM([a.lon, a.lat], [b.lon, b.lat])).toBeLessThanOrEqual(
        b.distanceM - a.distanceM + 0.5,
      );
    }
  });

  it('lies in Hersted Industripark, Albertslund', () => {
    for (const l of registry.lamps) {
      expect(haversineM([l.lon, l.lat], [12.36, 55.68])).toBeLessThan(3000);
    }
  });

  it('has about 50 luminaire types from about 20 vendors, each on the route', () => {
    expect(registry.models.length).toBeGreaterThanOrEqual(45);
    expect(registry.vendors.length).toBeGreaterThanOrEqual(16);
    for (const m of registry.models)
      expect(registry.lampsOfModel(m.id).length, m.id).toBeGreaterThan(0);
    for (const v of registry.vendors)
      expect(registry.lampsOfVendor(v.id).length, v.id).toBeGreaterThan(0);
  });

  it('has realistic luminaire specs', () => {
    for (const m of registry.models) {
      expect(m.ratedPowerW).toBeGreaterThanOrEqual(20);
      expect(m.ratedPowerW).toBeLessThanOrEqual(150);
      expect(m.standbyPowerW).toBeLessThanOrEqual(1);
      expect(m.lumens / m.ratedPowerW).toBeCloseTo(m.efficacyLmPerW, -1);
      const effs = m.driverEfficiency.map((p) => p.efficiency);
      expect([...effs].sort((a, b) => a - b)).toEqual(effs); // efficiency rises with load
    }
  });

  it('looks lamps up by id, segment, vendor and model', () => {
    const lamp = registry.lamp('DOLL-0042')!;
    expect(lamp).toBeDefined();
    expect(registry.lampsInSegment(lamp.segmentId)).toContain(lamp);
    expect(registry.lampsOfModel(lamp.modelId)).toContain(lamp);
    const vendor = registry.vendorOf(lamp.id)!;
    expect(registry.model(lamp.modelId)!.vendorId).toBe(vendor.id);
    expect(registry.lampsOfVendor(vendor.id)).toContain(lamp);
    expect(registry.segment(lamp.segmentId)!.lampIds).toContain(lamp.id);
    expect(registry.lamp('nope')).toBeUndefined();
    expect(registry.lampsInSegment('nope')).toEqual([]);
  });

  it('covers every lamp with exactly one segment', () => {
    const total = registry.segments.reduce((n, s) => n + s.lampIds.length, 0);
    expect(total).toBe(registry.lamps.length);
  });
});
