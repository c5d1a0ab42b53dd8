/** "n min ago" and the stale-data state (ALARM_TIMEAGO_WARN_MINS / _URGENT_MINS). */
import { t } from './i18n';

export type Staleness = 'fresh' | 'warn' | 'urgent';

export interface TimeAgoSettings {
  warn: boolean;
  warnMins: number;
  urgent: boolean;
  urgentMins: number;
}

export function minutesAgo(mills: number, now: number): number {
  return Math.max(0, Math.floor((now - mills) / 60_000));
}

export function timeAgoText(mills: number, now: number): string {
  const m = minutesAgo(mills, now);
  if (m < 1) return t('just now');
  if (m < 60) return t('%1 min ago', m);
  const h = Math.floor(m / 60);
  if (h < 48) return t('%1 h ago', h);
  return t('%1 days ago', Math.floor(h / 24));
}

export function staleness(mills: number, now: number, s: TimeAgoSettings): Staleness {
  const m = (now - mills) / 60_000;
  if (s.urgent && m >= s.urgentMins) return 'urgent';
  if (s.warn && m >= s.warnMins) return 'warn';
  return 'fresh';
}
