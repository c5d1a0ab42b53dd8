/** The current reading (value, arrow, delta, age, staleness) and the visible range's figures. */
import type { DataState } from './data';
import { calcDelta } from './delta';
import { directionOf } from './direction';
import { errorCode, errorMeaning, isCgmError } from './errorcodes';
import { t } from './i18n';
import type { Settings } from './settings';
import { computeStats, rangeClass } from './stats';
import { minutesAgo, staleness, timeAgoText } from './timeago';
import { type Units, formatBg, unitsLabel } from './units';

const $ = (id: string): HTMLElement => document.getElementById(id) as HTMLElement;

let lastAnnounced = 0;

export function renderNow(data: DataState, settings: Settings, units: Units, now = Date.now()): void {
  const section = $('now');
  const last = data.sgvs[data.sgvs.length - 1];
  const classes = ['now'];
  if (!last) {
    section.className = 'now';
    return;
  }
  const bgEl = $('bg');
  const arrowEl = $('arrow');
  const dir = directionOf(last.direction, last.mgdl);
  const label = t(dir.label);
  if (isCgmError(last.mgdl)) {
    bgEl.textContent = errorCode(last.mgdl);
    bgEl.title = t('CGM error: %1', t(errorMeaning(last.mgdl)));
    classes.push('cgm-error');
  } else {
    bgEl.textContent = formatBg(last.mgdl, units);
    bgEl.title = unitsLabel(units);
    classes.push(rangeClass(last.mgdl, settings.thresholds));
  }
  arrowEl.textContent = dir.arrow;
  arrowEl.setAttribute('aria-label', label);
  const delta = isCgmError(last.mgdl) ? null : calcDelta(data.sgvs, now, units);
  $('delta').textContent = delta ? `${delta.display} ${unitsLabel(units)}` : `– ${unitsLabel(units)}`;
  $('delta').title = delta?.interpolated ? t('interpolated: the previous reading is more than 9 minutes old') : '';
  const ago = timeAgoText(last.mills, now);
  $('ago').textContent = ago;
  const st = staleness(last.mills, now, settings.timeago);
  if (st !== 'fresh') classes.push(`stale-${st}`);
  const stale = $('stale');
  stale.hidden = st === 'fresh';
  const mins = minutesAgo(last.mills, now);
  stale.textContent =
    st === 'urgent' ? t('No data for %1 minutes: check the sensor and uploader', mins) : t('Data is %1 minutes old', mins);
  section.className = classes.join(' ');
  const value = isCgmError(last.mgdl) ? t('CGM error: %1', t(errorMeaning(last.mgdl))) : `${bgEl.textContent} ${unitsLabel(units)}`;
  document.title = `${bgEl.textContent} ${dir.arrow} ${delta?.display ?? ''} · ${settings.title}`;
  if (last.mills !== lastAnnounced) {
    lastAnnounced = last.mills;
    $('announce').textContent = `${value}, ${label}${delta ? `, ${t('change %1', delta.display)}` : ''}, ${ago}`;
  }
}

export function renderStats(data: DataState, settings: Settings, units: Units, hours: number): void {
  const from = Date.now() - hours * 3600_000;
  const s = computeStats(
    data.sgvs.filter((x) => x.mills >= from).map((x) => x.mgdl),
    settings.thresholds,
  );
  const pct = (x: number): string => `${Math.round(x)}%`;
  $('stat-tir').textContent = s ? pct(s.inRange) : '–';
  $('stat-out').textContent = s ? `${pct(s.below)} / ${pct(s.above)}` : '–';
  $('stat-mean').textContent = s ? `${formatBg(s.mean, units)} ${unitsLabel(units)}` : '–';
  $('stat-gmi').textContent = s ? `${s.gmi.toFixed(1)}%` : '–';
  $('stat-cv').textContent = s ? `${Math.round(s.cv)}%` : '–';
}
