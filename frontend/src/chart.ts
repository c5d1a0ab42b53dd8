/**
 * Glucose over time with uPlot (canvas, built for fast time series): readings as dots coloured
 * by range, the target band, high/low lines, carbs and insulin markers. New data goes through
 * `setData` on the same canvas, so a live reading appends without a redraw flash.
 */
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { Sgv, Treatment } from './data';
import { type RangeClass, type Thresholds, rangeClass } from './stats';
import { type Units, scale } from './units';

const CLASSES: RangeClass[] = ['urgent-low', 'low', 'in-range', 'high', 'urgent-high'];

function css(name: string): string {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || '#888';
}

export interface ChartInput {
  sgvs: readonly Sgv[];
  treatments: readonly Treatment[];
  units: Units;
  thresholds: Thresholds;
  hours: number;
  now: number;
}

export class GlucoseChart {
  private plot: uPlot | null = null;
  private input: ChartInput | null = null;
  private readonly resize: ResizeObserver;

  constructor(private readonly el: HTMLElement) {
    this.resize = new ResizeObserver(() => this.fit());
    this.resize.observe(el);
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
    const height = Math.max(180, Math.min(420, Math.round(width * 0.55)));
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
    const max = inp.now / 1000 + 300;
    return { min: max - inp.hours * 3600 - 300, max };
  }

  private yRange(): [number, number] {
    const inp = this.input as ChartInput;
    let hi = Math.max(inp.thresholds.bgHigh + 20, 300);
    for (const s of inp.sgvs) if (s.mgdl > hi) hi = s.mgdl;
    return [scale(39, inp.units), scale(Math.min(hi + 10, 420), inp.units)];
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
        { stroke: axis, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid }, values: h24 ? '{HH}:{mm}' : undefined },
        { stroke: axis, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid }, size: 44 },
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
        draw: [(u: uPlot) => this.drawTreatments(u)],
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

  private drawTreatments(u: uPlot): void {
    const inp = this.input;
    if (!inp || inp.treatments.length === 0) return;
    const ctx = u.ctx;
    const { left, top, width, height } = u.bbox;
    const dpr = devicePixelRatio;
    ctx.save();
    ctx.font = `${11 * dpr}px system-ui, sans-serif`;
    ctx.textAlign = 'center';
    for (const t of inp.treatments) {
      const x = u.valToPos(t.mills / 1000, 'x', true);
      if (x < left || x > left + width) continue;
      if (t.carbs) {
        const y = top + 14 * dpr;
        ctx.fillStyle = css('--carbs');
        ctx.beginPath();
        ctx.arc(x, y, 5 * dpr, 0, Math.PI * 2);
        ctx.fill();
        ctx.fillText(`${t.carbs}g`, x, y - 8 * dpr);
      }
      if (t.insulin) {
        const y = top + height - 12 * dpr;
        ctx.fillStyle = css('--insulin');
        ctx.beginPath();
        ctx.moveTo(x, y + 6 * dpr);
        ctx.lineTo(x - 6 * dpr, y - 5 * dpr);
        ctx.lineTo(x + 6 * dpr, y - 5 * dpr);
        ctx.closePath();
        ctx.fill();
        ctx.fillText(`${t.insulin}U`, x, y - 9 * dpr);
      }
    }
    ctx.restore();
  }
}
