import { describe, expect, it } from 'vitest';
import { activeBasalProfile, basalSteps, scheduledRate } from './basal';
import type { Treatment } from './data';

const profile = {
  _id: 'p', mills: Date.parse('2026-01-01T00:00:00Z'), defaultProfile: 'Default',
  store: {
    Default: { timezone: 'UTC', basal: [{ time: '00:00', value: 0.8, timeAsSeconds: 0 }, { time: '06:00', value: 1.2, timeAsSeconds: 21600 }, { time: '22:00', value: 0.7 }] },
    Sport: { timezone: 'UTC', basal: [{ time: '00:00', value: 0.4 }] },
  },
};
const at = (hhmm: string): number => Date.parse(`2026-01-10T${hhmm}:00Z`);

describe('basal series', () => {
  it("follows the profile's schedule in its time zone", () => {
    const p = activeBasalProfile([profile], []);
    expect(p && scheduledRate(p, at('05:59'))).toBe(0.8);
    expect(p && scheduledRate(p, at('06:00'))).toBe(1.2);
    expect(p && scheduledRate(p, at('23:00'))).toBe(0.7);
    const berlin = activeBasalProfile([{ ...profile, store: { Default: { ...profile.store.Default, timezone: 'Europe/Berlin' } } }], []);
    expect(berlin && scheduledRate(berlin, at('05:30'))).toBe(1.2); // 06:30 in Berlin (CET)
  });

  it('switches profile with a Profile Switch and scales by its percentage', () => {
    const sw: Treatment[] = [{ _id: 's', mills: at('01:00'), eventType: 'Profile Switch', profile: 'Sport', percentage: 150 }];
    const p = activeBasalProfile([profile], sw);
    expect(p && scheduledRate(p, at('12:00'))).toBeCloseTo(0.6, 6);
  });

  it('draws temp basals (absolute and percent) over the scheduled rate; a temp ends at the next one or its duration', () => {
    const p = activeBasalProfile([profile], []);
    const temps: Treatment[] = [
      { _id: 'a', mills: at('05:00'), eventType: 'Temp Basal', absolute: 0, duration: 30 },
      { _id: 'b', mills: at('05:10'), eventType: 'Temp Basal', percent: 50, duration: 30 },
      { _id: 'c', mills: at('06:20'), eventType: 'Temp Basal', absolute: 2, duration: 10 },
    ];
    const steps = basalSteps(p, temps, at('04:50'), at('06:40'));
    expect(steps.map((s) => [new Date(s.from).toISOString().slice(11, 16), s.rate, s.temp])).toEqual([
      ['04:50', 0.8, false],
      ['05:00', 0, true],
      ['05:10', 1.2, true], // 50 % above 0.8
      ['05:40', 0.8, false],
      ['06:00', 1.2, false],
      ['06:20', 2, true],
      ['06:30', 1.2, false],
    ]);
    expect(steps.at(-1)?.to).toBe(at('06:40'));
  });

  it('without a profile, only absolute temp basals are drawn', () => {
    expect(basalSteps(null, [{ _id: 'p', mills: at('05:00'), eventType: 'Temp Basal', percent: 20, duration: 30 }], at('04:00'), at('06:00'))).toEqual([]);
    expect(basalSteps(null, [{ _id: 'a', mills: at('05:00'), eventType: 'Temp Basal', absolute: 1.5, duration: 30 }], at('04:00'), at('06:00'))).toEqual([
      { from: at('05:00'), to: at('05:30'), rate: 1.5, scheduled: undefined, temp: true },
    ]);
  });
});
