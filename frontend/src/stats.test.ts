import { describe, expect, it } from 'vitest';
import { computeStats, rangeClass } from './stats';
import { staleness, timeAgoText } from './timeago';

const t = { bgHigh: 260, bgTargetTop: 180, bgTargetBottom: 80, bgLow: 55 };

describe('stats', () => {
  it('computes TIR, mean, GMI and CV', () => {
    const s = computeStats([70, 100, 150, 200], t);
    expect(s?.count).toBe(4);
    expect(s?.below).toBe(25);
    expect(s?.inRange).toBe(50);
    expect(s?.above).toBe(25);
    expect(s?.mean).toBe(130);
    expect(s?.gmi).toBeCloseTo(3.31 + 0.02392 * 130, 10);
    // population sd of [70,100,150,200] = sqrt(2450) ≈ 49.50
    expect(s?.cv).toBeCloseTo((Math.sqrt(2450) / 130) * 100, 10);
  });
  it('counts the target bounds as in range and skips error codes', () => {
    expect(computeStats([80, 180, 5], t)?.inRange).toBe(100);
    expect(computeStats([], t)).toBeNull();
    expect(computeStats([10], t)).toBeNull();
  });
  it('classifies readings', () => {
    expect([40, 60, 120, 200, 300].map((x) => rangeClass(x, t))).toEqual(['urgent-low', 'low', 'in-range', 'high', 'urgent-high']);
  });
});

describe('time ago', () => {
  const now = 1_700_000_000_000;
  const s = { warn: true, warnMins: 15, urgent: true, urgentMins: 30 };
  it('counts minutes', () => {
    expect(timeAgoText(now - 30_000, now)).toBe('just now');
    expect(timeAgoText(now - 7 * 60_000, now)).toBe('7 min ago');
    expect(timeAgoText(now - 125 * 60_000, now)).toBe('2 h ago');
  });
  it('turns stale at the warn and urgent minutes', () => {
    expect(staleness(now - 14 * 60_000, now, s)).toBe('fresh');
    expect(staleness(now - 15 * 60_000, now, s)).toBe('warn');
    expect(staleness(now - 30 * 60_000, now, s)).toBe('urgent');
    expect(staleness(now - 30 * 60_000, now, { ...s, urgent: false })).toBe('warn');
  });
});
