import { describe, expect, it } from 'vitest';
import { ar2Cone, predictionsFrom } from './forecast';

const now = Date.parse('2026-01-10T12:00:00Z');

describe('forecasts', () => {
  it("takes the newest devicestatus's predBGs (AAPS) and Loop's predicted values, 5 minutes apart", () => {
    const aaps = { _id: 'a', mills: now - 4 * 60_000, openaps: { suggested: { timestamp: new Date(now - 4 * 60_000).toISOString(), predBGs: { IOB: [120, 118, 115], ZT: [120, 110], UAM: [120, 125, 131] } } } };
    const older = { _id: 'o', mills: now - 9 * 60_000, openaps: { suggested: { timestamp: new Date(now - 9 * 60_000).toISOString(), predBGs: { IOB: [99] } } } };
    const curves = predictionsFrom([older, aaps], now);
    expect(curves.map((c) => c.name)).toEqual(['IOB', 'ZT', 'UAM']);
    expect(curves[0]?.points[2]).toEqual([now - 4 * 60_000 + 10 * 60_000, 115]);
    const loop = { _id: 'l', loop: { predicted: { startDate: new Date(now - 60_000).toISOString(), values: [140, 138] } } };
    expect(predictionsFrom([aaps, loop], now).map((c) => c.name)).toEqual(['Loop']);
    expect(predictionsFrom([{ ...aaps, openaps: { suggested: { ...aaps.openaps.suggested, timestamp: new Date(now - 40 * 60_000).toISOString() } } }], now)).toEqual([]);
  });

  it("computes Nightscout's AR2 cone from the last two readings", () => {
    const flat = ar2Cone([{ mills: now - 5 * 60_000, mgdl: 140 }, { mills: now, mgdl: 140 }], now);
    expect(flat).toHaveLength(13);
    // At the reference 140 mg/dL the centre stays 140; the first step widens by exp(±2·0.02).
    expect(flat[0]).toEqual({ mills: now + 5 * 60_000, low: Math.round(140 * Math.exp(-0.04)), high: Math.round(140 * Math.exp(0.04)) });
    const rising = ar2Cone([{ mills: now - 5 * 60_000, mgdl: 150 }, { mills: now, mgdl: 160 }], now);
    const c1 = Math.log(160 / 140) * 1.716 - 0.723 * Math.log(150 / 140);
    expect(rising[0]?.high).toBe(Math.round(140 * Math.exp(c1 + 0.04)));
    expect(rising.at(-1)!.high).toBeGreaterThan(rising[0]!.high);
    expect(ar2Cone([{ mills: now, mgdl: 140 }], now)).toEqual([]);
  });
});
