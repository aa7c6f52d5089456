/**
 * Loss curves: the same SVG chart `slm plot` draws (src/plot, browser-safe), from each run's
 * metrics.jsonl text, redrawn as lines arrive.
 */
import { lossChartSvg, parseMetrics, type RunCurves, type XAxis } from 'slmkit';
import { h } from '../dom.js';

export interface CurveSource {
  name: string;
  text: string;
  counted: boolean;
}

/** Parses what can be drawn (a run with no step yet is left out); null when nothing can. */
export function curvesOf(sources: readonly CurveSource[]): RunCurves[] {
  const out: RunCurves[] = [];
  for (const s of sources) {
    try {
      out.push(parseMetrics(s.text.endsWith('\n') || s.text === '' ? s.text : `${s.text}\n`, s.name, s.counted));
    } catch {
      // no steps yet, or a line being written: drawn once it is complete
    }
  }
  return out;
}

export function lossChart(curves: readonly RunCurves[], o: { x?: XAxis; logX?: boolean; title?: string; width?: number; height?: number } = {}): HTMLElement {
  const box = h('div', { class: 'chart', 'data-points': curves.reduce((n, c) => n + c.train.length + c.test.length, 0) });
  if (curves.length === 0) {
    box.textContent = 'no curve yet: a run shows here once it has trained a step';
    return box;
  }
  box.innerHTML = lossChartSvg(curves, { x: o.x, logX: o.logX, title: o.title, width: o.width ?? 900, height: o.height ?? 420 });
  return box;
}
