/**
 * Treatment markers that stay readable on a phone: insulin (boluses and the many small SMBs a loop
 * gives) and carbs are grouped into one marker per cluster closer than `gapMs` (the width of a
 * label at the chart's scale), carrying the total and the treatments for a details view.
 * Pure functions.
 */
import type { Treatment } from './data';

export interface Marker {
  kind: 'insulin' | 'carbs';
  /** Time of the first treatment in the cluster. */
  mills: number;
  /** Time of the last one. */
  until: number;
  total: number;
  items: Treatment[];
}

const round = (x: number, step: number): number => Math.round(x / step) * step;

function cluster(kind: Marker['kind'], list: readonly Treatment[], value: (t: Treatment) => number, gapMs: number): Marker[] {
  const out: Marker[] = [];
  for (const t of [...list].sort((a, b) => a.mills - b.mills)) {
    const last = out[out.length - 1];
    if (last && t.mills - last.mills < gapMs) {
      last.items.push(t);
      last.total += value(t);
      last.until = t.mills;
    } else {
      out.push({ kind, mills: t.mills, until: t.mills, total: value(t), items: [t] });
    }
  }
  for (const m of out) m.total = round(m.total, kind === 'insulin' ? 0.01 : 1);
  return out;
}

/** Insulin and carbs markers, clustered. */
export function markersFor(treatments: readonly Treatment[], gapMs: number): Marker[] {
  return [
    ...cluster('insulin', treatments.filter((t) => (t.insulin ?? 0) > 0), (t) => t.insulin ?? 0, gapMs),
    ...cluster('carbs', treatments.filter((t) => (t.carbs ?? 0) > 0), (t) => t.carbs ?? 0, gapMs),
  ];
}

/** The marker's label: `2.35U`, `3.1U ×6` for a cluster, `45g`. */
export function markerLabel(m: Marker): string {
  if (m.kind === 'carbs') return `${m.total}g`;
  const u = m.total < 10 ? m.total.toFixed(m.total < 1 ? 2 : 1) : String(Math.round(m.total));
  return m.items.length > 1 ? `${u}U ×${m.items.length}` : `${u}U`;
}
