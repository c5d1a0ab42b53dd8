/**
 * The basal drawn under the glucose chart: the active profile's schedule (Nightscout's
 * `lib/profilefunctions.js` semantics: the newest profile document, its `defaultProfile` unless a
 * `Profile Switch` names another, in the profile's time zone) and the temp basals from treatments
 * (`absolute`/`rate` in U/h, else `percent` of the scheduled rate; a temp lasts `duration` minutes
 * or until the next one; duration 0 cancels). Pure functions.
 */
import type { Treatment } from './data';

export interface BasalStep {
  from: number;
  to: number;
  /** The rate delivered (temp if one runs, else scheduled), U/h. */
  rate: number;
  /** The scheduled rate, U/h (undefined without a profile). */
  scheduled?: number;
  temp: boolean;
}

interface ScheduleItem {
  secs: number;
  value: number;
}

export interface BasalProfile {
  schedule: ScheduleItem[];
  timezone?: string;
}

type Obj = Record<string, unknown>;
const obj = (x: unknown): Obj | null => (x && typeof x === 'object' && !Array.isArray(x) ? (x as Obj) : null);
const num = (x: unknown): number | undefined => {
  const n = typeof x === 'string' ? Number(x) : x;
  return typeof n === 'number' && Number.isFinite(n) ? n : undefined;
};

function schedule(store: Obj | null, percentage = 100): BasalProfile | null {
  const basal = store?.basal;
  if (!Array.isArray(basal)) return null;
  const items: ScheduleItem[] = [];
  for (const b of basal) {
    const o = obj(b);
    const value = num(o?.value);
    let secs = num(o?.timeAsSeconds);
    if (secs === undefined && typeof o?.time === 'string') {
      const [h, m] = o.time.split(':').map(Number);
      secs = (h ?? 0) * 3600 + (m ?? 0) * 60;
    }
    if (value !== undefined && secs !== undefined && Number.isFinite(secs)) items.push({ secs, value: (value * percentage) / 100 });
  }
  if (!items.length) return null;
  items.sort((a, b) => a.secs - b.secs);
  const tz = typeof store?.timezone === 'string' && store.timezone ? store.timezone : undefined;
  return { schedule: items, timezone: tz };
}

/** The basal profile in force: the newest profile document, switched by the last `Profile Switch`. */
export function activeBasalProfile(profiles: readonly unknown[], treatments: readonly Treatment[]): BasalProfile | null {
  const docs = profiles.map(obj).filter((p): p is Obj => p !== null);
  const newest = docs.reduce<Obj | null>((a, b) => ((num(b.mills) ?? 0) >= (num(a?.mills) ?? -Infinity) ? b : a), null);
  const store = obj(newest?.store);
  const sw = [...treatments].reverse().find((t) => t.eventType === 'Profile Switch');
  const pct = num(sw?.percentage) ?? 100;
  if (sw?.profileJson) {
    try {
      const p = schedule(obj(JSON.parse(sw.profileJson)), pct);
      if (p) return p;
    } catch {
      /* fall back to the store */
    }
  }
  const name = sw?.profile && store && obj(store[sw.profile]) ? sw.profile : (newest?.defaultProfile as string | undefined);
  return schedule(obj(name !== undefined ? store?.[name] : undefined) ?? (store ? obj(Object.values(store)[0]) : null), pct);
}

const offsets = new Map<string, number>();

/** The zone's UTC offset at `ms` (ms to add to UTC to get wall time), cached per hour. */
export function tzOffset(ms: number, tz: string | undefined): number {
  if (!tz) return -new Date(ms).getTimezoneOffset() * 60_000;
  const key = `${tz}|${Math.floor(ms / 3600_000)}`;
  const hit = offsets.get(key);
  if (hit !== undefined) return hit;
  let off = 0;
  try {
    const parts = new Intl.DateTimeFormat('en-US', {
      timeZone: tz, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric',
    }).formatToParts(new Date(ms));
    const v = (k: string): number => Number(parts.find((p) => p.type === k)?.value);
    off = Date.UTC(v('year'), v('month') - 1, v('day'), v('hour'), v('minute'), v('second')) - Math.floor(ms / 1000) * 1000;
  } catch {
    off = -new Date(ms).getTimezoneOffset() * 60_000;
  }
  if (offsets.size > 500) offsets.clear();
  offsets.set(key, off);
  return off;
}

/** The scheduled rate at `ms`. */
export function scheduledRate(p: BasalProfile, ms: number): number {
  const wall = ms + tzOffset(ms, p.timezone);
  const secs = (((wall % 86_400_000) + 86_400_000) % 86_400_000) / 1000;
  let rate = (p.schedule[0] as ScheduleItem).value;
  for (const s of p.schedule) if (s.secs <= secs) rate = s.value;
  return rate;
}

/** Times in (from, to) where the schedule changes. */
function scheduleChanges(p: BasalProfile, from: number, to: number): number[] {
  const out: number[] = [];
  for (let day = from - 86_400_000; day < to + 86_400_000; day += 86_400_000) {
    const off = tzOffset(day, p.timezone);
    const midnight = Math.floor((day + off) / 86_400_000) * 86_400_000 - off;
    for (const s of p.schedule) {
      const at = midnight + s.secs * 1000;
      if (at > from && at < to) out.push(at);
    }
  }
  return out;
}

interface Temp {
  from: number;
  to: number;
  absolute?: number;
  percent?: number;
}

function temps(treatments: readonly Treatment[]): Temp[] {
  const list = treatments.filter((t) => t.eventType === 'Temp Basal').sort((a, b) => a.mills - b.mills);
  const out: Temp[] = [];
  list.forEach((t, i) => {
    const next = list[i + 1]?.mills ?? Infinity;
    const end = Math.min(next, t.mills + (t.duration ?? 0) * 60_000);
    if (end <= t.mills) return;
    out.push({ from: t.mills, to: end, absolute: t.absolute, percent: t.percent });
  });
  return out;
}

/** Basal steps over [from, to]; empty when there is neither a profile nor an absolute temp. */
export function basalSteps(profile: BasalProfile | null, treatments: readonly Treatment[], from: number, to: number): BasalStep[] {
  const tb = temps(treatments).filter((x) => x.to > from && x.from < to);
  if (!profile && !tb.some((x) => x.absolute !== undefined)) return [];
  const cuts = new Set<number>([from, to]);
  if (profile) for (const c of scheduleChanges(profile, from, to)) cuts.add(c);
  for (const x of tb) {
    if (x.from > from) cuts.add(x.from);
    if (x.to < to) cuts.add(x.to);
  }
  const times = [...cuts].sort((a, b) => a - b);
  const out: BasalStep[] = [];
  for (let i = 0; i + 1 < times.length; i++) {
    const a = times[i] as number;
    const b = times[i + 1] as number;
    const mid = (a + b) / 2;
    const scheduled = profile ? scheduledRate(profile, mid) : undefined;
    const temp = tb.find((x) => x.from <= mid && x.to > mid);
    let rate = scheduled;
    if (temp?.absolute !== undefined) rate = temp.absolute;
    else if (temp?.percent !== undefined && scheduled !== undefined) rate = (scheduled * (100 + temp.percent)) / 100;
    if (rate === undefined) continue;
    const isTemp = temp !== undefined;
    const prev = out[out.length - 1];
    if (prev && prev.to === a && prev.rate === rate && prev.temp === isTemp && prev.scheduled === scheduled) prev.to = b;
    else out.push({ from: a, to: b, rate: Math.max(0, rate), scheduled, temp: isTemp });
  }
  return out;
}
