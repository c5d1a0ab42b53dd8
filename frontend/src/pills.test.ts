import { describe, expect, it } from 'vitest';
import { levelOf, pillsFrom } from './pills';

const now = Date.parse('2026-01-10T12:00:00Z');
const iso = (minsAgo: number): string => new Date(now - minsAgo * 60_000).toISOString();

describe('looper pills', () => {
  it("maps Nightscout's levels: URGENT 2, WARN 1, INFO 0, NONE -3, and status classes", () => {
    expect([2, 1, 0, -3, undefined, 'urgent', 'warn'].map(levelOf)).toEqual(['urgent', 'warn', 'info', 'none', 'none', 'urgent', 'warn']);
  });

  it('shows IOB, COB, basal, OpenAPS status, pump reservoir and battery, ages and uploader battery with their levels', () => {
    const pills = pillsFrom({
      iob: { iob: 1.234, display: '1.23', source: 'OpenAPS' },
      cob: { cob: 23.46, display: 23.5, source: 'OpenAPS' },
      basal: { display: 'T: 0.850U' },
      openaps: { status: { symbol: '⌁', code: 'enacted', label: 'Enacted' }, lastLoopMoment: iso(3) },
      pump: { data: { level: 1, reservoir: { value: 8, display: '8.00U', level: 1, message: 'Warning, Pump Reservoir Low' }, battery: { value: 1.38, display: '1.38v', level: -3 }, status: { value: 'normal', display: 'normal' } } },
      cage: { found: true, age: 50, display: '50h', level: 1 },
      sage: { found: true, age: 170, display: '7d2h', level: 2 },
      iage: { found: false, age: 0, display: 'n/a ', level: -3 },
      upbat: { display: '64%', level: 64, status: undefined },
    }, now);
    expect(pills.map((p) => [p.id, p.value, p.level])).toEqual([
      ['iob', '1.23U', 'none'],
      ['cob', '23.5g', 'none'],
      ['basal', 'T: 0.850U', 'none'],
      ['loop', '⌁ 3m ago', 'none'],
      ['reservoir', '8.00U', 'warn'],
      ['pumpbattery', '1.38v', 'none'],
      ['sage', '7d2h', 'urgent'],
      ['cage', '50h', 'warn'],
      ['upbat', '64%', 'none'],
    ]);
  });

  it('hides pills whose property is absent, and shows nothing for an empty answer', () => {
    expect(pillsFrom({}, now)).toEqual([]);
    expect(pillsFrom(null, now)).toEqual([]);
    expect(pillsFrom({ iob: { display: '0.00' } }, now).map((p) => p.id)).toEqual(['iob']);
  });

  it('colours a loop that has not run for 30 minutes as a warning and 60 as urgent', () => {
    const loop = (mins: number) =>
      pillsFrom({ loop: { display: { symbol: '↻', code: 'looping', label: 'Looping' }, lastLoop: { moment: iso(mins) }, lastOkMoment: iso(mins) } }, now)[0];
    expect(loop(5)?.level).toBe('none');
    expect(loop(35)?.level).toBe('warn');
    expect(loop(65)?.level).toBe('urgent');
    expect(loop(65)?.value).toBe('↻ 1h ago');
    const failed = pillsFrom({ loop: { display: { symbol: 'x', code: 'error', label: 'Error' }, lastLoop: { moment: iso(2), failureReason: 'pump comms' } } }, now)[0];
    expect(failed?.level).toBe('urgent');
    expect(failed?.title).toMatch(/pump comms/);
  });
});
