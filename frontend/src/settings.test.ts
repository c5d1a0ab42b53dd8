import { describe, expect, it } from 'vitest';
import { DEFAULT_SETTINGS, settingsFromStatus } from './settings';

describe('settings from status.json', () => {
  it('reads units, thresholds, stale-data minutes and snooze choices', () => {
    const s = settingsFromStatus({
      settings: {
        units: 'mmol', customTitle: 'Dante', timeFormat: 24, focusHours: 6,
        thresholds: { bgHigh: 252, bgTargetTop: 180, bgTargetBottom: 72, bgLow: 54 },
        alarmTimeagoWarn: true, alarmTimeagoWarnMins: 10, alarmTimeagoUrgent: false, alarmTimeagoUrgentMins: 20,
        alarmUrgentMins: [15, 30], alarmWarnMins: [60],
      },
    });
    expect(s.units).toBe('mmol');
    expect(s.title).toBe('Dante');
    expect(s.timeFormat).toBe(24);
    expect(s.focusHours).toBe(6);
    expect(s.thresholds).toEqual({ bgHigh: 252, bgTargetTop: 180, bgTargetBottom: 72, bgLow: 54 });
    expect(s.timeago).toEqual({ warn: true, warnMins: 10, urgent: false, urgentMins: 20 });
    expect(s.alarmUrgentMins).toEqual([15, 30]);
    expect(s.alarmWarnMins).toEqual([60]);
  });
  it('has the careportal unless status.json says careportalEnabled: false', () => {
    expect(settingsFromStatus({ careportalEnabled: true }).careportal).toBe(true);
    expect(settingsFromStatus({ careportalEnabled: false }).careportal).toBe(false);
  });
  it("falls back to Nightscout's defaults", () => {
    expect(settingsFromStatus({})).toEqual(DEFAULT_SETTINGS);
    expect(settingsFromStatus(null)).toEqual(DEFAULT_SETTINGS);
  });
});
