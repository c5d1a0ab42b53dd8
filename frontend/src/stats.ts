/** Summary statistics of a range of readings: time in range, mean, GMI, CV. */
export interface Thresholds {
  bgHigh: number;
  bgTargetTop: number;
  bgTargetBottom: number;
  bgLow: number;
}

export interface Stats {
  count: number;
  /** Percentages of valid readings below, within and above the target range (inclusive bounds). */
  below: number;
  inRange: number;
  above: number;
  /** Mean glucose in mg/dL. */
  mean: number;
  /** Glucose Management Indicator, % (Bergenstal 2018: 3.31 + 0.02392 × mean mg/dL). */
  gmi: number;
  /** Coefficient of variation, % (population standard deviation / mean). */
  cv: number;
}

/** `values` in mg/dL; CGM error codes (< 39) are ignored. Null when there is nothing to summarise. */
export function computeStats(values: readonly number[], t: Thresholds): Stats | null {
  const v = values.filter((x) => Number.isFinite(x) && x >= 39);
  if (v.length === 0) return null;
  const n = v.length;
  const mean = v.reduce((s, x) => s + x, 0) / n;
  const variance = v.reduce((s, x) => s + (x - mean) ** 2, 0) / n;
  const below = v.filter((x) => x < t.bgTargetBottom).length;
  const above = v.filter((x) => x > t.bgTargetTop).length;
  const pct = (k: number): number => (k / n) * 100;
  return {
    count: n,
    below: pct(below),
    inRange: pct(n - below - above),
    above: pct(above),
    mean,
    gmi: 3.31 + 0.02392 * mean,
    cv: mean > 0 ? (Math.sqrt(variance) / mean) * 100 : 0,
  };
}

export type RangeClass = 'urgent-low' | 'low' | 'in-range' | 'high' | 'urgent-high';

/** Which band a reading falls in, for colouring. */
export function rangeClass(mgdl: number, t: Thresholds): RangeClass {
  if (mgdl < t.bgLow) return 'urgent-low';
  if (mgdl < t.bgTargetBottom) return 'low';
  if (mgdl > t.bgHigh) return 'urgent-high';
  if (mgdl > t.bgTargetTop) return 'high';
  return 'in-range';
}
