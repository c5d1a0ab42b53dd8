/**
 * The looper parts of the dashboard: the pills from `/api/v2/properties` (fetched shortly after
 * each `dataUpdate`, and every minute so ages move), what the chart draws ahead of and under the
 * readings, the details of a tapped treatment marker, and announcements.
 */
import { fetchProperties } from './api';
import { type BasalStep, activeBasalProfile, basalSteps } from './basal';
import type { Credential } from './credentials';
import type { DataState, Treatment } from './data';
import { type ConePoint, type Curve, ar2Cone, predictionsFrom } from './forecast';
import { t } from './i18n';
import { type Marker, markerLabel } from './markers';
import { type Pill, pillsFrom, renderPills } from './pills';
import type { AlarmEvent } from './realtime';
import { type Units, unitsLabel } from './units';

export const PROPERTY_NAMES = ['iob', 'cob', 'basal', 'pump', 'loop', 'openaps', 'cage', 'sage', 'iage', 'bage', 'upbat'] as const;

/** What the chart needs from a looper's data over the visible range. */
export function looperChartParts(data: DataState, hours: number, now: number): { basal: BasalStep[]; curves: Curve[]; cone: ConePoint[] } {
  const profile = activeBasalProfile(data.profiles, data.treatments);
  return {
    basal: basalSteps(profile, data.treatments, now - hours * 3600_000, now),
    curves: predictionsFrom(data.devicestatus, now),
    cone: ar2Cone(data.sgvs, now),
  };
}

export class LooperView {
  private timer: number | undefined;
  private lastProps: unknown = null;
  pills: Pill[] = [];

  constructor(
    private readonly pillsEl: HTMLElement,
    private readonly credential: () => Credential | null,
  ) {
    // Ages and the loop's age move with the clock; levels the server computes need a fetch.
    window.setInterval(() => this.render(), 60_000);
    window.setInterval(() => this.refresh(0), 300_000);
  }

  /** Fetches the properties once the burst of updates is over (debounced). */
  refresh(delayMs = 800): void {
    window.clearTimeout(this.timer);
    this.timer = window.setTimeout(() => void this.load(), delayMs);
  }

  private async load(): Promise<void> {
    try {
      this.lastProps = await fetchProperties(this.credential(), PROPERTY_NAMES);
    } catch {
      return; // keep what is shown; the next update tries again
    }
    this.render();
  }

  render(): void {
    this.pills = pillsFrom(this.lastProps, Date.now());
    renderPills(this.pillsEl, this.pills);
  }
}

function describe(tr: Treatment, units: Units): string {
  const parts = [t(tr.eventType ?? 'Treatment')];
  if (tr.smb) parts.push('SMB');
  if (tr.insulin) parts.push(`${tr.insulin}U`);
  if (tr.carbs) parts.push(`${tr.carbs}g`);
  if (tr.glucose) parts.push(`${tr.glucose} ${unitsLabel(units)}`);
  if (tr.notes) parts.push(tr.notes);
  return parts.join(' · ');
}

/** Shows the tapped marker's treatments under the chart (or hides the box for null). */
export function showMarkerDetail(el: HTMLElement, m: Marker | null, units: Units, timeOf: (ms: number) => string): void {
  if (!m) {
    el.hidden = true;
    return;
  }
  const head = document.createElement('p');
  head.className = 'detail-head';
  head.textContent = `${markerLabel(m)} · ${timeOf(m.mills)}${m.until !== m.mills ? `–${timeOf(m.until)}` : ''}`;
  const list = document.createElement('ul');
  for (const tr of m.items) {
    const li = document.createElement('li');
    li.textContent = `${timeOf(tr.mills)} ${describe(tr, units)}`;
    list.append(li);
  }
  const close = document.createElement('button');
  close.type = 'button';
  close.textContent = t('Close');
  close.addEventListener('click', () => (el.hidden = true));
  el.replaceChildren(head, list, close);
  el.hidden = false;
}

/** The newest `Announcement` treatment of the last hour, as an alarm-shaped event. */
export function recentAnnouncement(treatments: readonly Treatment[], now: number): AlarmEvent | null {
  const a = [...treatments].reverse().find((x) => x.eventType === 'Announcement' && now - x.mills < 3600_000);
  return a ? { level: 0, title: 'Announcement', message: a.notes ?? '', group: 'Announcement' } : null;
}

const dismissed = new Set<string>();

/**
 * Shows an announcement (from the socket's `announcement` event or a recent treatment) until it is
 * dismissed; one dismissed stays hidden.
 */
export function showAnnouncement(el: HTMLElement, a: AlarmEvent | null): void {
  const text = el.querySelector('.announcement-text') as HTMLElement;
  const msg = a ? a.message || a.title : '';
  if (!a || !msg || dismissed.has(msg)) return;
  text.textContent = msg;
  el.hidden = false;
  const close = el.querySelector('button') as HTMLButtonElement;
  close.onclick = () => {
    dismissed.add(msg);
    el.hidden = true;
  };
}
