import { describe, expect, it } from 'vitest';
import { calcDelta, fillBuckets } from './delta';

const MIN = 60_000;
const T = 1_700_000_000_000;
const r = (minsBefore: number, mgdl: number) => ({ mills: T - minsBefore * MIN, mgdl });

describe('Nightscout delta (bgnow)', () => {
  it('is the difference to the reading 5 minutes earlier', () => {
    const d = calcDelta([r(10, 100), r(5, 110), r(0, 118)], T, 'mg/dl');
    expect(d).toMatchObject({ mgdl: 8, scaled: 8, interpolated: false, display: '+8' });
  });
  it('shows negative and zero deltas with their sign', () => {
    expect(calcDelta([r(5, 120), r(0, 117)], T, 'mg/dl')?.display).toBe('-3');
    expect(calcDelta([r(5, 120), r(0, 120)], T, 'mg/dl')?.display).toBe('+0');
  });
  it('averages readings sharing a 5-minute bucket', () => {
    // 0 and -1 min share the newest bucket: mean 101; previous bucket 95.
    expect(calcDelta([r(5, 95), r(1, 100), r(0, 102)], T, 'mg/dl')?.mgdl).toBe(6);
  });
  it('interpolates to 5 minutes when the previous reading is more than 9 minutes back, marked *', () => {
    const d = calcDelta([r(15, 100), r(0, 130)], T, 'mg/dl');
    expect(d).toMatchObject({ mgdl: 10, interpolated: true, display: '+10*' });
  });
  it('ignores CGM error codes and gives none without an earlier reading', () => {
    expect(calcDelta([r(5, 10), r(0, 120)], T, 'mg/dl')).toBeNull();
    expect(calcDelta([r(0, 120)], T, 'mg/dl')).toBeNull();
    expect(calcDelta([r(30, 100), r(0, 120)], T, 'mg/dl')).toBeNull();
    expect(calcDelta([], T, 'mg/dl')).toBeNull();
  });
  it('in mmol is the difference of the rounded scaled means, to 0.1', () => {
    const d = calcDelta([r(5, 100), r(0, 104)], T, 'mmol');
    // 104 → 5.8, 100 → 5.6
    expect(d?.scaled).toBe(0.2);
    expect(d?.display).toBe('+0.2');
    expect(calcDelta([r(5, 104), r(0, 100)], T, 'mmol')?.display).toBe('-0.2');
    expect(calcDelta([r(5, 100), r(0, 100)], T, 'mmol')?.display).toBe('+0.0');
  });
  it('builds four buckets aligned on the newest reading', () => {
    const b = fillBuckets([r(0, 100)], T);
    expect(b).toHaveLength(4);
    expect(b[0]?.fromMills).toBe(T - 2.5 * MIN);
    expect(b[3]?.toMills).toBe(T - 12.5 * MIN);
  });
});
