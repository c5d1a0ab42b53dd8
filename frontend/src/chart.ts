/**
 * Glucose over time with uPlot (canvas, built for fast time series): readings as dots coloured
 * by range, the target band, high/low lines; under them the basal lane, after the last reading the
 * loop's predictions and the AR2 cone, and clustered treatment markers (tap for details; see
 * `chart-overlays.ts`). New data goes through `setData` on the same canvas, so a live reading
 * appends without a redraw flash.
 */
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { BasalStep } from './basal';
import { LANE_TOP_MGDL, type PlacedMarker, css, drawBasal, drawCone, drawCurves, drawMarkers } from './chart-overlays';
import type { Sgv, Treatment } from './data';
import type { ConePoint, Curve } from './forecast';
import { type Marker, markersFor } from './markers';
import { type RangeClass, type Thresholds, rangeClass } from './stats';
import { type Units, scale } from './units';

const CLASSES: RangeClass[] = ['urgent-low', 'low', 'in-range', 'high', 'urgent-high'];

export interface ChartInput {
  sgvs: readonly Sgv[];
  treatments: readonly Treatment[];
  units: Units;
  thresholds: Thresholds;
  hours: number;
  now: number;
  basal: readonly BasalStep[];
  curves: readonly Curve[];
  cone: readonly ConePoint[];
}

/** Markers closer than this many CSS pixels share one marker. */
const MARKER_GAP_PX = 64;

export class GlucoseChart {
  private plot: uPlot | null = null;
  private input: ChartInput | null = null;
  private readonly resize: ResizeObserver;
  private placed: PlacedMarker[] = [];

  /** `onMarker` gets the tapped marker (null for a tap elsewhere). */
  constructor(
    private readonly el: HTMLElement,
    private readonly onMarker: (m: Marker | null) => void = () => {},
  ) {
    this.resize = new ResizeObserver(() => this.fit());
    this.resize.observe(el);
    el.addEventListener('click', (e) => this.tap(e));
  }

  private tap(e: MouseEvent): void {
    const over = this.plot?.over;
    if (!over) return;
    const r = over.getBoundingClientRect();
    const x = e.clientX - r.left;
    const y = e.clientY - r.top;
    let best: PlacedMarker | null = null;
    let dist = 28;
    for (const p of this.placed) {
      const d = Math.hypot(p.x - x, p.y - y);
      if (d < dist) [best, dist] = [p, d];
    }
    this.onMarker(best?.marker ?? null);
  }

  update(input: ChartInput): void {
    const rebuild = !this.plot || this.input?.units !== input.units;
    this.input = input;
    if (rebuild) this.build();
    else this.apply();
  }

  /** Rebuilds with fresh colours (after a theme change). */
  restyle(): void {
    if (this.input) this.build();
  }

  private size(): { width: number; height: number } {
    const width = Math.max(200, this.el.clientWidth);
    // A phone gets a taller chart: the basal lane and the predictions need the room.
    const height = Math.max(180, Math.min(420, Math.round(width * (width < 500 ? 0.8 : 0.5))));
    return { width, height };
  }

  private fit(): void {
    if (!this.plot) return;
    const s = this.size();
    if (s.width !== this.plot.width || s.height !== this.plot.height) this.plot.setSize(s);
  }

  private data(): uPlot.AlignedData {
    const inp = this.input as ChartInput;
    const xs: number[] = [];
    const ys: (number | null)[][] = CLASSES.map(() => []);
    for (const s of inp.sgvs) {
      if (s.mgdl < 39) continue;
      xs.push(s.mills / 1000);
      const c = rangeClass(s.mgdl, inp.thresholds);
      CLASSES.forEach((k, i) => (ys[i] as (number | null)[]).push(k === c ? scale(s.mgdl, inp.units) : null));
    }
    return [xs, ...ys];
  }

  private xRange(): { min: number; max: number } {
    const inp = this.input as ChartInput;
    // Room after now for the loop's predictions (up to 2 h on the long views) or the 65-minute AR2 cone.
    const ahead = inp.curves.length ? (inp.hours <= 6 ? 3600 : 7200) : inp.cone.length ? 4200 : 300;
    const max = inp.now / 1000 + ahead;
    return { min: inp.now / 1000 - inp.hours * 3600, max };
  }

  private yRange(): [number, number] {
    const inp = this.input as ChartInput;
    let hi = Math.max(inp.thresholds.bgHigh + 20, 300);
    for (const s of inp.sgvs) if (s.mgdl > hi) hi = s.mgdl;
    const top = Math.min(hi + 10, 420);
    // With a basal lane, the bottom fifth of the plot lies below 39 mg/dL and holds it.
    const bottom = inp.basal.length ? LANE_TOP_MGDL - (top - LANE_TOP_MGDL) / 4.5 : LANE_TOP_MGDL;
    return [scale(bottom, inp.units), scale(top, inp.units)];
  }

  private apply(): void {
    const p = this.plot as uPlot;
    p.batch(() => {
      p.setData(this.data(), false);
      p.setScale('x', this.xRange());
      const [min, max] = this.yRange();
      p.setScale('y', { min, max });
    });
  }

  private build(): void {
    this.plot?.destroy();
    const inp = this.input as ChartInput;
    const axis = css('--muted');
    const grid = css('--grid');
    const colours: Record<RangeClass, string> = {
      'urgent-low': css('--urgent'),
      low: css('--warn'),
      'in-range': css('--ok'),
      high: css('--warn'),
      'urgent-high': css('--urgent'),
    };
    const h24 = document.documentElement.dataset.time24 === 'true';
    const opts: uPlot.Options = {
      ...this.size(),
      legend: { show: false },
      cursor: { points: { size: 10 }, drag: { x: false, y: false } },
      scales: {
        x: { time: true, range: () => { const r = this.xRange(); return [r.min, r.max]; } },
        y: { range: () => this.yRange() },
      },
      axes: [
        { stroke: axis, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid }, space: 80, values: h24 ? '{HH}:{mm}' : undefined },
        {
          stroke: axis,
          grid: { stroke: grid, width: 1 },
          ticks: { stroke: grid },
          size: 44,
          // No glucose ticks in the basal lane.
          filter: (_u: uPlot, splits: number[]) => splits.map((v) => (v >= scale(LANE_TOP_MGDL, inp.units) ? v : null)),
        },
      ],
      series: [
        {},
        ...CLASSES.map((k) => ({
          label: k,
          stroke: colours[k],
          paths: () => null,
          points: { show: true, size: 7, space: 0, fill: colours[k], stroke: colours[k], width: 0 },
        })),
      ],
      hooks: {
        drawClear: [(u: uPlot) => this.drawBand(u)],
        draw: [(u: uPlot) => this.drawOverlays(u)],
      },
    };
    this.plot = new uPlot(opts, this.data(), this.el);
    this.plot.root.setAttribute('aria-hidden', 'true');
  }

  private drawBand(u: uPlot): void {
    const inp = this.input;
    if (!inp) return;
    const t = inp.thresholds;
    const y = (mgdl: number): number => u.valToPos(scale(mgdl, inp.units), 'y', true);
    const { left, width } = u.bbox;
    const ctx = u.ctx;
    ctx.save();
    ctx.fillStyle = css('--band');
    const top = y(t.bgTargetTop);
    ctx.fillRect(left, top, width, y(t.bgTargetBottom) - top);
    ctx.setLineDash([6 * devicePixelRatio, 6 * devicePixelRatio]);
    ctx.lineWidth = devicePixelRatio;
    for (const [mgdl, colour] of [
      [t.bgHigh, css('--urgent')],
      [t.bgLow, css('--urgent')],
    ] as [number, string][]) {
      ctx.strokeStyle = colour;
      ctx.beginPath();
      ctx.moveTo(left, y(mgdl));
      ctx.lineTo(left + width, y(mgdl));
      ctx.stroke();
    }
    ctx.restore();
  }

  private drawOverlays(u: uPlot): void {
    const inp = this.input;
    if (!inp) return;
    drawBasal(u, inp.basal, inp.units);
    drawCone(u, inp.cone, inp.units);
    drawCurves(u, inp.curves, inp.units);
    const msPerPx = ((u.scales.x?.max ?? 0) - (u.scales.x?.min ?? 0)) * 1000 / Math.max(1, u.bbox.width / devicePixelRatio);
    this.placed = drawMarkers(u, markersFor(inp.treatments, MARKER_GAP_PX * msPerPx), inp.units);
    // What was drawn, for the end-to-end tests and for debugging on a real phone.
    this.el.dataset.drawn = JSON.stringify({
      basal: inp.basal.length,
      curves: inp.curves.map((c) => c.name),
      cone: inp.cone.length,
      markers: this.placed.map((p) => ({ kind: p.marker.kind, n: p.marker.items.length, total: p.marker.total, x: Math.round(p.x), y: Math.round(p.y) })),
    });
  }
}
