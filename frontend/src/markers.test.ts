import { describe, expect, it } from 'vitest';
import type { Treatment } from './data';
import { markerLabel, markersFor } from './markers';

const t0 = 1_700_000_000_000;
const min = 60_000;

describe('treatment markers', () => {
  it('aggregates SMBs every 15 minutes into one marker per cluster at phone scale', () => {
    const smbs: Treatment[] = Array.from({ length: 12 }, (_, i) => ({ _id: `s${i}`, mills: t0 + i * 15 * min, insulin: 0.3, smb: true }));
    // 3 hours on ~300 px: 56 px are ~34 minutes, so pairs of SMBs 15 minutes apart share markers.
    const ms = markersFor(smbs, 34 * min);
    expect(ms.length).toBeLessThan(6);
    expect(ms.reduce((s, m) => s + m.items.length, 0)).toBe(12);
    expect(ms[0]?.total).toBeCloseTo(0.9, 5);
    expect(markerLabel(ms[0]!)).toBe('0.90U ×3');
  });

  it('keeps treatments apart when the chart is wide enough', () => {
    const ms = markersFor([
      { _id: 'a', mills: t0, insulin: 4.5, carbs: 45 },
      { _id: 'b', mills: t0 + 60 * min, insulin: 0.25, smb: true },
    ], 5 * min);
    expect(ms.map((m) => [m.kind, markerLabel(m)])).toEqual([['insulin', '4.5U'], ['insulin', '0.25U'], ['carbs', '45g']]);
  });
});
