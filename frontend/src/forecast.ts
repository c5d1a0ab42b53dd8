/**
 * What lies ahead of the last reading: the loop's predicted curves from the newest devicestatus
 * (OpenAPS/AAPS/Trio `predBGs` IOB/ZT/COB/UAM, Loop's `predicted.values`, 5 minutes apart) and
 * Nightscout's AR2 cone (`lib/plugins/ar2.js`: log-space AR(2) around 140 mg/dL, coefficients
 * [-0.723, 1.716], 13 five-minute steps widened by cone factor 2). Pure functions.
 */
import { bgMeans, type Reading } from './delta';

export interface Curve {
  /** `IOB`, `ZT`, `COB`, `UAM` (OpenAPS) or `Loop`. */
  name: string;
  points: [mills: number, mgdl: number][];
}

type Obj = Record<string, unknown>;
const obj = (x: unknown): Obj | null => (x && typeof x === 'object' && !Array.isArray(x) ? (x as Obj) : null);
const STEP = 5 * 60_000;
/** A prediction older than this says nothing about now. */
const MAX_AGE = 30 * 60_000;

function millsOf(x: unknown): number | undefined {
  const n = typeof x === 'number' ? x : typeof x === 'string' ? Date.parse(x) : NaN;
  return Number.isFinite(n) ? n : undefined;
}

function series(values: unknown, start: number, name: string): Curve | null {
  if (!Array.isArray(values)) return null;
  const points: [number, number][] = [];
  values.forEach((v, i) => {
    if (typeof v === 'number' && Number.isFinite(v)) points.push([start + i * STEP, v]);
  });
  return points.length ? { name, points } : null;
}

/** The newest devicestatus's predictions, or [] when none is younger than 30 minutes. */
export function predictionsFrom(devicestatus: readonly unknown[], now: number): Curve[] {
  let best: { at: number; curves: Curve[] } | null = null;
  for (const raw of devicestatus) {
    const d = obj(raw);
    if (!d) continue;
    const openaps = obj(d.openaps);
    for (const part of [obj(openaps?.suggested), obj(openaps?.enacted)]) {
      const pred = part?.predBGs;
      const at = millsOf(part?.timestamp) ?? millsOf(part?.deliverAt) ?? millsOf(d.mills) ?? millsOf(d.created_at);
      if (!pred || at === undefined || (best && best.at >= at)) continue;
      const p = obj(pred);
      const curves = Array.isArray(pred)
        ? [series(pred, at, 'IOB')]
        : ['IOB', 'ZT', 'COB', 'aCOB', 'UAM'].map((k) => series(p?.[k], at, k));
      const ok = curves.filter((c): c is Curve => c !== null);
      if (ok.length) best = { at, curves: ok };
    }
    const predicted = obj(obj(d.loop)?.predicted);
    const at = millsOf(predicted?.startDate);
    if (predicted && at !== undefined && !(best && best.at >= at)) {
      const c = series(predicted.values, at, 'Loop');
      if (c) best = { at, curves: [c] };
    }
  }
  if (!best || now - best.at > MAX_AGE) return [];
  return best.curves;
}

const BG_REF = 140;
const BG_MIN = 36;
const BG_MAX = 400;
const AR = [-0.723, 1.716] as const;
const CONE = [0.02, 0.041, 0.061, 0.081, 0.099, 0.116, 0.132, 0.146, 0.159, 0.171, 0.182, 0.192, 0.201];

export interface ConePoint {
  mills: number;
  low: number;
  high: number;
}

const clampBg = (x: number): number => Math.max(BG_MIN, Math.min(BG_MAX, Math.round(x)));

/** The AR2 cone after the newest reading (empty without two recent readings). */
export function ar2Cone(readings: readonly Reading[], now: number, coneFactor = 2): ConePoint[] {
  const m = bgMeans(readings, now);
  if (!m || m.mean < BG_MIN || !(m.mean5MinsAgo > 0)) return [];
  let prev = Math.log(m.mean5MinsAgo / BG_REF);
  let curr = Math.log(m.mean / BG_REF);
  let at = m.mills;
  const out: ConePoint[] = [];
  for (const step of CONE) {
    [prev, curr] = [curr, AR[0] * prev + AR[1] * curr];
    at += STEP;
    out.push({
      mills: at,
      low: clampBg(BG_REF * Math.exp(curr - coneFactor * step)),
      high: clampBg(BG_REF * Math.exp(curr + coneFactor * step)),
    });
  }
  return out;
}
