/**
 * The looper pills (IOB, COB, basal, loop, pump, device ages, uploader battery) from the server's
 * `/api/v2/properties` answer, in Nightscout's `sbx.properties` shapes (`lib/plugins/*.js`).
 * Pure: `pillsFrom` turns properties into label/value/level rows; absent properties give no pill.
 */
import { t } from './i18n';

/** Nightscout's levels (`lib/levels.js`). */
export const LEVEL = { URGENT: 2, WARN: 1, INFO: 0, NONE: -3 } as const;

export type PillLevel = 'urgent' | 'warn' | 'info' | 'none';

export interface Pill {
  id: string;
  label: string;
  value: string;
  level: PillLevel;
  /** Longer text for the tooltip and screen readers. */
  title: string;
}

type Obj = Record<string, unknown>;

const obj = (x: unknown): Obj | null => (x && typeof x === 'object' && !Array.isArray(x) ? (x as Obj) : null);
const num = (x: unknown): number | undefined => (typeof x === 'number' && Number.isFinite(x) ? x : undefined);
const str = (x: unknown): string | undefined => (typeof x === 'string' && x !== '' ? x : undefined);

/** A Nightscout level number (or a `status` class name) as a pill level. */
export function levelOf(x: unknown): PillLevel {
  if (x === 'urgent') return 'urgent';
  if (x === 'warn') return 'warn';
  const n = num(x);
  if (n === undefined) return 'none';
  if (n >= LEVEL.URGENT) return 'urgent';
  if (n >= LEVEL.WARN) return 'warn';
  if (n >= LEVEL.INFO) return 'info';
  return 'none';
}

const worst = (...ls: PillLevel[]): PillLevel =>
  (['urgent', 'warn', 'info', 'none'] as const).find((l) => ls.includes(l)) ?? 'none';

/** Minutes since an ISO time or epoch ms, or undefined. */
function minsSince(at: unknown, now: number): number | undefined {
  const ms = typeof at === 'number' ? at : typeof at === 'string' ? Date.parse(at) : NaN;
  return Number.isFinite(ms) ? Math.max(0, Math.round((now - ms) / 60_000)) : undefined;
}

export function agoShort(mins: number): string {
  if (mins < 1) return t('just now');
  if (mins < 60) return t('%1m ago', mins);
  if (mins < 48 * 60) return t('%1h ago', Math.floor(mins / 60));
  return t('%1d ago', Math.floor(mins / 1440));
}

export interface LoopLimits {
  warnMins: number;
  urgentMins: number;
}

export const DEFAULT_LOOP_LIMITS: LoopLimits = { warnMins: 30, urgentMins: 60 };

function ageLevel(mins: number | undefined, lim: LoopLimits): PillLevel {
  if (mins === undefined) return 'warn';
  if (mins >= lim.urgentMins) return 'urgent';
  if (mins >= lim.warnMins) return 'warn';
  return 'none';
}

function loopPill(props: Obj, now: number, lim: LoopLimits): Pill | null {
  const oa = obj(props.openaps);
  const status = obj(oa?.status);
  if (oa && status && str(oa.lastLoopMoment)) {
    const mins = minsSince(oa.lastLoopMoment, now);
    const code = str(status.code) ?? 'warning';
    const bad = code === 'notenacted' || code === 'warning';
    const level = worst(ageLevel(mins, lim), bad ? 'warn' : 'none');
    const value = `${str(status.symbol) ?? '⚠'} ${mins === undefined ? '' : agoShort(mins)}`.trim();
    return { id: 'loop', label: 'OpenAPS', value, level, title: `OpenAPS: ${t(str(status.label) ?? 'Warning')}` };
  }
  const lp = obj(props.loop);
  const display = obj(lp?.display);
  const last = obj(lp?.lastLoop);
  if (lp && display && last) {
    const mins = minsSince(last.moment ?? last.timestamp, now);
    const code = str(display.code) ?? 'warning';
    const level = worst(ageLevel(minsSince(lp.lastOkMoment ?? last.moment, now), lim), code === 'error' ? 'urgent' : code === 'warning' ? 'warn' : 'none');
    const value = `${str(display.symbol) ?? '⚠'} ${mins === undefined ? '' : agoShort(mins)}`.trim();
    const reason = str(last.failureReason);
    return { id: 'loop', label: str(last.name) ?? 'Loop', value, level, title: `Loop: ${t(str(display.label) ?? 'Warning')}${reason ? ` (${reason})` : ''}` };
  }
  return null;
}

function pumpPills(props: Obj): Pill[] {
  const data = obj(obj(props.pump)?.data);
  if (!data) return [];
  const out: Pill[] = [];
  const res = obj(data.reservoir);
  if (res && str(res.display)) {
    out.push({ id: 'reservoir', label: t('Reservoir'), value: str(res.display) as string, level: levelOf(res.level), title: str(res.message) ?? t('Pump reservoir') });
  }
  const bat = obj(data.battery);
  if (bat && str(bat.display)) {
    out.push({ id: 'pumpbattery', label: t('Pump battery'), value: str(bat.display) as string, level: levelOf(bat.level), title: str(bat.message) ?? t('Pump battery') });
  }
  const status = obj(data.status);
  const sv = str(status?.display);
  if (sv && sv !== 'normal') out.push({ id: 'pumpstatus', label: t('Pump'), value: t(sv), level: levelOf(status?.level), title: t(sv) });
  return out;
}

const AGES: [string, string][] = [
  ['sage', 'Sensor Age'],
  ['cage', 'Cannula Age'],
  ['iage', 'Insulin Age'],
  ['bage', 'Pump Battery Age'],
];

const SHORT: Record<string, string> = { sage: 'SAGE', cage: 'CAGE', iage: 'IAGE', bage: 'BAGE' };

/** All pills the properties allow, in Nightscout's order of importance. */
export function pillsFrom(propsRaw: unknown, now: number, lim: LoopLimits = DEFAULT_LOOP_LIMITS): Pill[] {
  const props = obj(propsRaw);
  if (!props) return [];
  const out: Pill[] = [];
  const iob = obj(props.iob);
  const iobDisplay = iob && (str(iob.display) ?? (num(iob.iob) !== undefined ? (iob.iob as number).toFixed(2) : undefined));
  if (iob && iobDisplay !== undefined) {
    out.push({ id: 'iob', label: t('IOB'), value: `${iobDisplay}U`, level: 'none', title: `${t('Insulin on Board')}${str(iob.source) ? ` (${iob.source})` : ''}` });
  }
  const cob = obj(props.cob);
  const cobValue = cob ? (num(cob.display) ?? num(cob.cob)) : undefined;
  if (cob && cobValue !== undefined) {
    out.push({ id: 'cob', label: t('COB'), value: `${Math.round(cobValue * 10) / 10}g`, level: 'none', title: `${t('Carbs on Board')}${str(cob.source) ? ` (${cob.source})` : ''}` });
  }
  const basal = obj(props.basal);
  if (basal && str(basal.display)) out.push({ id: 'basal', label: t('Basal'), value: str(basal.display) as string, level: 'none', title: t('Current basal') });
  const loop = loopPill(props, now, lim);
  if (loop) out.push(loop);
  out.push(...pumpPills(props));
  for (const [key, label] of AGES) {
    const a = obj(props[key]);
    if (!a || a.found !== true || !str(a.display)) continue;
    out.push({ id: key, label: SHORT[key] as string, value: str(a.display) as string, level: levelOf(a.level), title: `${t(label)}: ${a.display}` });
  }
  const up = obj(props.upbat);
  if (up && str(up.display) && up.display !== '?%') {
    out.push({ id: 'upbat', label: t('Uploader'), value: str(up.display) as string, level: levelOf(up.status), title: t('Uploader battery') });
  }
  return out;
}

/** Renders pills into `el`, reusing nodes by id so screen readers are not flooded. */
export function renderPills(el: HTMLElement, pills: readonly Pill[]): void {
  el.hidden = pills.length === 0;
  const nodes = pills.map((p) => {
    let n = el.querySelector<HTMLElement>(`[data-pill="${p.id}"]`);
    if (!n) {
      n = document.createElement('span');
      n.dataset.pill = p.id;
      n.innerHTML = '<span class="pill-label"></span> <span class="pill-value"></span>';
    }
    n.className = `pill minor level-${p.level}`;
    n.title = p.title;
    (n.firstElementChild as HTMLElement).textContent = p.label;
    (n.lastElementChild as HTMLElement).textContent = p.value;
    return n;
  });
  el.replaceChildren(...nodes);
}
