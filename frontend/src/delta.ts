/** Nightscout's delta rule (spec §9, `lib/plugins/bgnow.js`). */
import { type Units, mgdlToMmol } from './units';

export interface Reading {
  mills: number;
  mgdl: number;
}

export interface Bucket {
  fromMills: number;
  toMills: number;
  readings: Reading[];
  /** Mean of valid (> 39) readings, or undefined when it has none. */
  mean?: number;
  /** Time of the newest reading in the bucket. */
  mills?: number;
}

export interface Delta {
  mgdl: number;
  /** In display units: whole mg/dL or mmol/L to 0.1. */
  scaled: number;
  /** True when the previous bucket is more than 9 minutes back (shown with `*`). */
  interpolated: boolean;
  /** `+3`, `-0.2`, `+0.0`, with `*` when interpolated. */
  display: string;
}

const MIN = 60_000;
const OFFSET = 2.5 * MIN;

/** Four 5-minute buckets aligned on the newest reading, newest first. `readings` ascend by time. */
export function fillBuckets(readings: readonly Reading[], now: number, count = 4, mins = 5): Bucket[] {
  const last = readings[readings.length - 1];
  if (!last) return [];
  const buckets: Bucket[] = [];
  for (let i = 0; i < count; i++) {
    const fromMills = last.mills - OFFSET - i * mins * MIN;
    buckets.push({ fromMills, toMills: fromMills + mins * MIN, readings: [] });
  }
  // takeRightWhile: from the newest back, stop at the first reading outside every bucket.
  for (let i = readings.length - 1; i >= 0; i--) {
    const r = readings[i] as Reading;
    if (r.mills > now) continue;
    const b = buckets.find((k) => r.mills >= k.fromMills && r.mills <= k.toMills);
    if (!b) break;
    b.readings.push(r);
  }
  for (const b of buckets) {
    const valid = b.readings.filter((r) => r.mgdl > 39);
    if (valid.length > 0) {
      b.mean = valid.reduce((s, r) => s + r.mgdl, 0) / valid.length;
      b.mills = Math.max(...valid.map((r) => r.mills));
    }
  }
  return buckets;
}

/** The newest bucket's mean and the mean 5 minutes before it (interpolated past a 9-minute gap). */
export function bgMeans(
  readings: readonly Reading[],
  now: number,
): { mean: number; mills: number; mean5MinsAgo: number; interpolated: boolean } | null {
  const buckets = fillBuckets(readings, now);
  const recent = buckets[0];
  const previous = buckets.slice(1).find((b) => b.mean !== undefined);
  if (!recent || recent.mean === undefined || recent.mills === undefined) return null;
  if (!previous || previous.mean === undefined || previous.mills === undefined) return null;
  const elapsedMins = (recent.mills - previous.mills) / MIN;
  const interpolated = elapsedMins > 9;
  const mean5MinsAgo = interpolated ? recent.mean - ((recent.mean - previous.mean) / elapsedMins) * 5 : previous.mean;
  return { mean: recent.mean, mills: recent.mills, mean5MinsAgo, interpolated };
}

/** The delta between the newest bucket and the first earlier bucket with readings. */
export function calcDelta(readings: readonly Reading[], now: number, units: Units): Delta | null {
  const m = bgMeans(readings, now);
  if (!m) return null;
  const { mean, mean5MinsAgo, interpolated } = m;
  const mgdl = Math.round(mean - mean5MinsAgo);
  const scaled = units === 'mmol' ? Math.round((mgdlToMmol(mean) - mgdlToMmol(mean5MinsAgo)) * 10) / 10 : mgdl;
  const text = units === 'mmol' ? scaled.toFixed(1) : String(scaled);
  const display = (scaled >= 0 && !text.startsWith('-') ? '+' : '') + text + (interpolated ? '*' : '');
  return { mgdl, scaled, interpolated, display };
}
