/**
 * What the glucose chart draws on its canvas besides the readings: the basal lane under the
 * glucose area, the loop's predicted curves, the AR2 cone and the clustered treatment markers.
 * Each function draws in canvas pixels on uPlot's context, inside its draw hook.
 */
import type uPlot from 'uplot';
import type { BasalStep } from './basal';
import type { ConePoint, Curve } from './forecast';
import { type Marker, markerLabel } from './markers';
import { type Units, scale } from './units';

export function css(name: string): string {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || '#888';
}

/** The bottom of the glucose area, mg/dL: the basal lane lies below it. */
export const LANE_TOP_MGDL = 39;

/** Fills the basal lane: delivered rate as an area, the scheduled rate as a dashed line. */
export function drawBasal(u: uPlot, steps: readonly BasalStep[], units: Units): void {
  if (!steps.length) return;
  const { left, width, top, height } = u.bbox;
  const laneTop = u.valToPos(scale(LANE_TOP_MGDL, units), 'y', true);
  const laneBottom = top + height;
  const laneH = laneBottom - laneTop - 2 * devicePixelRatio;
  if (laneH <= 4) return;
  const max = Math.max(0.5, ...steps.map((s) => Math.max(s.rate, s.scheduled ?? 0))) * 1.15;
  const y = (rate: number): number => laneBottom - (rate / max) * laneH;
  const x = (ms: number): number => Math.min(left + width, Math.max(left, u.valToPos(ms / 1000, 'x', true)));
  const ctx = u.ctx;
  ctx.save();
  ctx.beginPath();
  ctx.rect(left, laneTop, width, laneBottom - laneTop);
  ctx.clip();
  for (const s of steps) {
    ctx.fillStyle = s.temp ? css('--basal-temp') : css('--basal');
    ctx.fillRect(x(s.from), y(s.rate), x(s.to) - x(s.from), laneBottom - y(s.rate));
  }
  ctx.strokeStyle = css('--insulin');
  ctx.lineWidth = devicePixelRatio;
  ctx.setLineDash([4 * devicePixelRatio, 3 * devicePixelRatio]);
  ctx.beginPath();
  let prevX: number | null = null;
  for (const s of steps) {
    if (s.scheduled === undefined) {
      prevX = null;
      continue;
    }
    const yy = y(s.scheduled);
    if (prevX === null) ctx.moveTo(x(s.from), yy);
    else ctx.lineTo(x(s.from), yy);
    ctx.lineTo(x(s.to), yy);
    prevX = x(s.to);
  }
  ctx.stroke();
  ctx.setLineDash([]);
  ctx.strokeStyle = css('--grid');
  ctx.beginPath();
  ctx.moveTo(left, laneTop);
  ctx.lineTo(left + width, laneTop);
  ctx.stroke();
  const rateNow = steps[steps.length - 1] as BasalStep;
  ctx.fillStyle = css('--muted');
  ctx.font = `${10 * devicePixelRatio}px system-ui, sans-serif`;
  ctx.textAlign = 'left';
  ctx.fillText(`${rateNow.rate.toFixed(2)} U/h`, left + 4 * devicePixelRatio, laneTop + 11 * devicePixelRatio);
  ctx.restore();
}

const CURVE_COLOURS: Record<string, string> = { IOB: '--pred-iob', ZT: '--pred-zt', COB: '--pred-cob', aCOB: '--pred-cob', UAM: '--pred-uam', Loop: '--pred-loop' };

/** The loop's predictions as small dots, one colour per curve. */
export function drawCurves(u: uPlot, curves: readonly Curve[], units: Units): void {
  const ctx = u.ctx;
  const { left, width, top } = u.bbox;
  const laneTop = u.valToPos(scale(LANE_TOP_MGDL, units), 'y', true);
  const r = 2 * devicePixelRatio;
  ctx.save();
  for (const c of curves) {
    ctx.fillStyle = css(CURVE_COLOURS[c.name] ?? '--pred-loop');
    for (const [ms, mgdl] of c.points) {
      const x = u.valToPos(ms / 1000, 'x', true);
      const y = u.valToPos(scale(mgdl, units), 'y', true);
      if (x < left || x > left + width || y < top || y > laneTop) continue;
      ctx.beginPath();
      ctx.arc(x, y, r, 0, Math.PI * 2);
      ctx.fill();
    }
  }
  ctx.restore();
}

/** The AR2 cone as a translucent band. */
export function drawCone(u: uPlot, cone: readonly ConePoint[], units: Units): void {
  if (cone.length < 2) return;
  const ctx = u.ctx;
  const px = (ms: number, mgdl: number): [number, number] => [u.valToPos(ms / 1000, 'x', true), u.valToPos(scale(mgdl, units), 'y', true)];
  const { left, top, width, height } = u.bbox;
  ctx.save();
  ctx.beginPath();
  ctx.rect(left, top, width, height);
  ctx.clip();
  ctx.fillStyle = css('--cone');
  ctx.beginPath();
  cone.forEach((p, i) => {
    const [x, y] = px(p.mills, p.high);
    if (i === 0) ctx.moveTo(x, y);
    else ctx.lineTo(x, y);
  });
  for (const p of [...cone].reverse()) ctx.lineTo(...px(p.mills, p.low));
  ctx.closePath();
  ctx.fill();
  ctx.restore();
}

export interface PlacedMarker {
  marker: Marker;
  /** CSS pixels relative to the plot area (uPlot's `over`). */
  x: number;
  y: number;
}

/** Draws markers (carbs near the top, insulin just above the basal lane) and says where they are. */
export function drawMarkers(u: uPlot, markers: readonly Marker[], units: Units): PlacedMarker[] {
  const ctx = u.ctx;
  const dpr = devicePixelRatio;
  const { left, top, width } = u.bbox;
  const laneTop = u.valToPos(scale(LANE_TOP_MGDL, units), 'y', true);
  const placed: PlacedMarker[] = [];
  ctx.save();
  ctx.font = `${11 * dpr}px system-ui, sans-serif`;
  ctx.textAlign = 'center';
  // A label near an edge moves inwards instead of running over the axis.
  const text = (label: string, x: number, y: number): void => {
    const half = ctx.measureText(label).width / 2 + 2 * dpr;
    ctx.fillText(label, Math.min(left + width - half, Math.max(left + half, x)), y);
  };
  for (const m of markers) {
    const x = u.valToPos(m.mills / 1000, 'x', true);
    if (x < left || x > left + width) continue;
    const label = markerLabel(m);
    if (m.kind === 'carbs') {
      const y = top + 24 * dpr;
      ctx.fillStyle = css('--carbs');
      ctx.beginPath();
      ctx.arc(x, y, 5 * dpr, 0, Math.PI * 2);
      ctx.fill();
      text(label, x, y - 8 * dpr);
      placed.push({ marker: m, x: (x - left) / dpr, y: (y - top) / dpr });
    } else {
      const y = laneTop - 10 * dpr;
      const s = m.items.length > 1 ? 7 : 6;
      ctx.fillStyle = css('--insulin');
      ctx.beginPath();
      ctx.moveTo(x, y + s * dpr);
      ctx.lineTo(x - s * dpr, y - 5 * dpr);
      ctx.lineTo(x + s * dpr, y - 5 * dpr);
      ctx.closePath();
      ctx.fill();
      text(label, x, y - 9 * dpr);
      placed.push({ marker: m, x: (x - left) / dpr, y: (y - top) / dpr });
    }
  }
  ctx.restore();
  return placed;
}
