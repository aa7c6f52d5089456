/** Charts as SVG text (browser-safe): loss curves from metrics.jsonl text, scales and ticks. */
export { lossChartSvg, escapeXml, runColors, type LossChartOptions, type XAxis } from './lossChart.js';
export { parseMetrics, smoothLosses, smoothingWindow, MetricsError, type CurvePoint, type RunCurves } from './metrics.js';
export { linearScale, logScale, niceStep, formatTick, type Scale } from './scale.js';
