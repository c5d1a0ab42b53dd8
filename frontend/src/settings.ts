/** The settings the dashboard needs, read from `status.json` (spec §1.8) with Nightscout's defaults. */
import type { Thresholds } from './stats';
import type { TimeAgoSettings } from './timeago';
import { type Units, parseUnits } from './units';

export interface Settings {
  title: string;
  units: Units;
  thresholds: Thresholds;
  timeago: TimeAgoSettings;
  alarmUrgentMins: number[];
  alarmWarnMins: number[];
  focusHours: number;
  timeFormat: 12 | 24;
  /** The server's `LANGUAGE` (a Nightscout language code). */
  language: string;
  /** `careportalEnabled`: false when the server has no careportal (`DISABLE`, no `API_SECRET`). */
  careportal: boolean;
}

export const DEFAULT_SETTINGS: Settings = {
  title: 'Nightscout',
  units: 'mg/dl',
  thresholds: { bgHigh: 260, bgTargetTop: 180, bgTargetBottom: 80, bgLow: 55 },
  timeago: { warn: true, warnMins: 15, urgent: true, urgentMins: 30 },
  alarmUrgentMins: [30, 60, 90, 120],
  alarmWarnMins: [30, 60, 90, 120],
  focusHours: 3,
  timeFormat: 12,
  language: 'en',
  careportal: true,
};

function n(x: unknown, d: number): number {
  const v = typeof x === 'string' ? Number(x) : x;
  return typeof v === 'number' && Number.isFinite(v) ? v : d;
}

function mins(x: unknown, d: number[]): number[] {
  return Array.isArray(x) && x.every((m) => typeof m === 'number' && m > 0) && x.length ? (x as number[]) : d;
}

export function settingsFromStatus(status: unknown): Settings {
  const s = ((status as Record<string, unknown> | null)?.settings ?? {}) as Record<string, unknown>;
  const t = (s.thresholds ?? {}) as Record<string, unknown>;
  const d = DEFAULT_SETTINGS;
  return {
    title: typeof s.customTitle === 'string' && s.customTitle ? s.customTitle : d.title,
    units: parseUnits(s.units),
    thresholds: {
      bgHigh: n(t.bgHigh, d.thresholds.bgHigh),
      bgTargetTop: n(t.bgTargetTop, d.thresholds.bgTargetTop),
      bgTargetBottom: n(t.bgTargetBottom, d.thresholds.bgTargetBottom),
      bgLow: n(t.bgLow, d.thresholds.bgLow),
    },
    timeago: {
      warn: s.alarmTimeagoWarn !== false,
      warnMins: n(s.alarmTimeagoWarnMins, d.timeago.warnMins),
      urgent: s.alarmTimeagoUrgent !== false,
      urgentMins: n(s.alarmTimeagoUrgentMins, d.timeago.urgentMins),
    },
    alarmUrgentMins: mins(s.alarmUrgentMins, d.alarmUrgentMins),
    alarmWarnMins: mins(s.alarmWarnMins, d.alarmWarnMins),
    focusHours: n(s.focusHours, d.focusHours),
    timeFormat: String(s.timeFormat) === '24' ? 24 : 12,
    language: typeof s.language === 'string' && s.language ? s.language : d.language,
    careportal: (status as Record<string, unknown> | null)?.careportalEnabled !== false,
  };
}
