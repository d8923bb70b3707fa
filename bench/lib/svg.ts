/**
 * Hand-written SVG charts for the benchmark results (no dependency): a line chart (also used for CDFs)
 * and a grouped bar chart. Every chart is a self-contained `<svg>` string with a title, axes with
 * "nice" ticks, a legend and optional horizontal reference lines (targets, budgets).
 */

const PALETTE = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b"];
const WIDTH = 760;
const HEIGHT = 420;
const MARGIN = { top: 48, right: 24, bottom: 64, left: 72 };
const FONT = 'font-family="system-ui, -apple-system, Segoe UI, sans-serif"';

const escapeXml = (text: string) =>
  text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

/** Numbers as axis labels: no trailing zeros, thousands with a thin separator. */
export function formatTick(value: number): string {
  if (value === 0) return "0";
  const abs = Math.abs(value);
  if (abs >= 1000) return value.toLocaleString("en-US", { maximumFractionDigits: 0 });
  if (abs >= 10) return value.toFixed(0);
  if (abs >= 1) return String(Number(value.toFixed(1)));
  return String(Number(value.toPrecision(2)));
}

/** Ticks at 1, 2 or 5 times a power of ten covering [min, max], about `count` of them. */
export function niceTicks(min: number, max: number, count = 6): number[] {
  if (!Number.isFinite(min) || !Number.isFinite(max)) return [0, 1];
  if (max === min) {
    max = min === 0 ? 1 : min * 1.1;
    min = min === 0 ? 0 : min * 0.9;
  }
  const raw = (max - min) / Math.max(1, count);
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = ([1, 2, 5, 10].find((m) => m * power >= raw) ?? 10) * power;
  const ticks: number[] = [];
  for (let v = Math.floor(min / step) * step; v <= max + step * 1e-9; v += step) {
    ticks.push(Number(v.toPrecision(12)));
  }
  if ((ticks.at(-1) as number) < max) ticks.push(Number(((ticks.at(-1) as number) + step).toPrecision(12)));
  return ticks;
}

function frame(title: string, body: string[], subtitle?: string, height = HEIGHT): string {
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${WIDTH} ${height}" width="${WIDTH}" height="${height}" ${FONT} font-size="12" role="img" aria-label="${escapeXml(title)}">`,
    `<title>${escapeXml(title)}</title>`,
    `<rect width="${WIDTH}" height="${height}" fill="#ffffff"/>`,
    `<text x="${WIDTH / 2}" y="22" text-anchor="middle" font-size="15" font-weight="600">${escapeXml(title)}</text>`,
    subtitle
      ? `<text x="${WIDTH / 2}" y="38" text-anchor="middle" font-size="11" fill="#555">${escapeXml(subtitle)}</text>`
      : "",
    ...body,
    "</svg>",
    "",
  ]
    .filter(Boolean)
    .join("\n");
}

interface Scale {
  (value: number): number;
  ticks: number[];
}

function linearScale(min: number, max: number, from: number, to: number, count?: number): Scale {
  const ticks = niceTicks(min, max, count);
  const lo = ticks[0] as number;
  const hi = ticks.at(-1) as number;
  const scale = ((value: number) => from + ((value - lo) / (hi - lo || 1)) * (to - from)) as Scale;
  scale.ticks = ticks;
  return scale;
}

function axes(x: Scale, y: Scale, xLabel: string, yLabel: string, xTickLabels?: boolean): string[] {
  const plotBottom = HEIGHT - MARGIN.bottom;
  const out: string[] = [];
  for (const tick of y.ticks) {
    const py = y(tick).toFixed(1);
    out.push(
      `<line x1="${MARGIN.left}" x2="${WIDTH - MARGIN.right}" y1="${py}" y2="${py}" stroke="#e5e5e5"/>`,
      `<text x="${MARGIN.left - 6}" y="${py}" dy="0.32em" text-anchor="end" fill="#333">${formatTick(tick)}</text>`,
    );
  }
  if (xTickLabels !== false) {
    for (const tick of x.ticks) {
      const px = x(tick).toFixed(1);
      out.push(
        `<line x1="${px}" x2="${px}" y1="${plotBottom}" y2="${plotBottom + 4}" stroke="#333"/>`,
        `<text x="${px}" y="${plotBottom + 16}" text-anchor="middle" fill="#333">${formatTick(tick)}</text>`,
      );
    }
  }
  out.push(
    `<line x1="${MARGIN.left}" x2="${WIDTH - MARGIN.right}" y1="${plotBottom}" y2="${plotBottom}" stroke="#333"/>`,
    `<line x1="${MARGIN.left}" x2="${MARGIN.left}" y1="${MARGIN.top}" y2="${plotBottom}" stroke="#333"/>`,
    `<text x="${(MARGIN.left + WIDTH - MARGIN.right) / 2}" y="${HEIGHT - 22}" text-anchor="middle">${escapeXml(xLabel)}</text>`,
    `<text transform="translate(18 ${(MARGIN.top + plotBottom) / 2}) rotate(-90)" text-anchor="middle">${escapeXml(yLabel)}</text>`,
  );
  return out;
}

function legend(names: string[], colors: string[]): string[] {
  const out: string[] = [];
  let x = MARGIN.left + 8;
  const y = MARGIN.top + 10;
  for (const [i, name] of names.entries()) {
    out.push(
      `<rect x="${x}" y="${y - 8}" width="14" height="10" fill="${colors[i]}"/>`,
      `<text x="${x + 18}" y="${y}" fill="#222">${escapeXml(name)}</text>`,
    );
    x += 26 + name.length * 6.6;
  }
  return out;
}

export interface LineSeries {
  name: string;
  points: ReadonlyArray<readonly [number, number]>;
  color?: string;
}

export interface ReferenceLine {
  y: number;
  label: string;
  color?: string;
}

export interface LineChartOptions {
  title: string;
  subtitle?: string;
  xLabel: string;
  yLabel: string;
  series: readonly LineSeries[];
  /** Draw steps (value holds until the next point) instead of straight segments. @default false */
  step?: boolean;
  /** Horizontal lines (targets, budgets), labelled at the right end. @default none */
  references?: readonly ReferenceLine[];
  /** Force the y axis to start at 0. @default true */
  yFromZero?: boolean;
  /** Upper end of the y axis, when fixed (e.g. 1 for a CDF). @default the data's max */
  yMax?: number;
}

/** A line (or step) chart of one or more series. */
export function lineChart(options: LineChartOptions): string {
  const all = options.series.flatMap((s) => s.points);
  const xs = all.map(([x]) => x);
  const ys = [...all.map(([, y]) => y), ...(options.references ?? []).map((r) => r.y)];
  const x = linearScale(Math.min(...xs, 0), Math.max(...xs, 1), MARGIN.left, WIDTH - MARGIN.right, 8);
  const yMin = options.yFromZero === false ? Math.min(...ys) : 0;
  const y = linearScale(yMin, options.yMax ?? Math.max(...ys, 1), HEIGHT - MARGIN.bottom, MARGIN.top + 18);
  const colors = options.series.map((s, i) => s.color ?? (PALETTE[i % PALETTE.length] as string));
  const body = axes(x, y, options.xLabel, options.yLabel);
  for (const ref of options.references ?? []) {
    const py = y(ref.y).toFixed(1);
    body.push(
      `<line x1="${MARGIN.left}" x2="${WIDTH - MARGIN.right}" y1="${py}" y2="${py}" stroke="${ref.color ?? "#555"}" stroke-dasharray="6 4"/>`,
      `<text x="${WIDTH - MARGIN.right - 4}" y="${py}" dy="-4" text-anchor="end" fill="${ref.color ?? "#555"}">${escapeXml(ref.label)}</text>`,
    );
  }
  for (const [i, series] of options.series.entries()) {
    const points = [...series.points].sort((a, b) => a[0] - b[0]);
    if (points.length === 0) continue;
    const parts: string[] = [];
    for (const [j, [px, py]] of points.entries()) {
      const sx = x(px).toFixed(1);
      const sy = y(py).toFixed(1);
      if (j === 0) parts.push(`M${sx},${sy}`);
      else if (options.step) parts.push(`H${sx}V${sy}`);
      else parts.push(`L${sx},${sy}`);
    }
    body.push(
      `<path d="${parts.join("")}" fill="none" stroke="${colors[i]}" stroke-width="2" stroke-linejoin="round"/>`,
    );
  }
  body.push(
    ...legend(
      options.series.map((s) => s.name),
      colors,
    ),
  );
  return frame(options.title, body, options.subtitle);
}

export interface CdfChartOptions {
  title: string;
  subtitle?: string;
  xLabel: string;
  /** @default "share at or below (%)" */
  yLabel?: string;
  samples: ReadonlyArray<{ name: string; values: readonly number[]; color?: string }>;
  references?: readonly ReferenceLine[];
}

/** The empirical distribution (share of samples at or below x) of each sample set, as steps. */
export function cdfChart(options: CdfChartOptions): string {
  return lineChart({
    title: options.title,
    subtitle: options.subtitle,
    xLabel: options.xLabel,
    yLabel: options.yLabel ?? "share at or below (%)",
    step: true,
    yMax: 100,
    references: options.references,
    series: options.samples.map(({ name, values, color }) => {
      const sorted = [...values].sort((a, b) => a - b);
      const points: Array<[number, number]> = [[sorted[0] ?? 0, 0]];
      for (const [i, value] of sorted.entries()) points.push([value, ((i + 1) / sorted.length) * 100]);
      return { name, points, ...(color ? { color } : {}) };
    }),
  });
}

export interface BarChartOptions {
  title: string;
  subtitle?: string;
  yLabel: string;
  /** One label per group of bars (x axis). */
  categories: readonly string[];
  /** One entry per bar of each group, same order as `categories`. */
  series: ReadonlyArray<{ name: string; values: readonly number[]; color?: string }>;
  references?: readonly ReferenceLine[];
}

/** Grouped vertical bars: for each category, one bar per series; category labels written downwards below. */
export function barChart(options: BarChartOptions): string {
  const values = options.series.flatMap((s) => s.values);
  const longest = Math.max(0, ...options.categories.map((c) => c.length));
  const fontSize = options.categories.length > 12 ? 10 : 11;
  const plotBottom = 330;
  const height = plotBottom + 16 + Math.ceil(longest * fontSize * 0.6);
  const y = linearScale(
    0,
    Math.max(...values, ...(options.references ?? []).map((r) => r.y), 1),
    plotBottom,
    MARGIN.top + 18,
  );
  const n = options.categories.length;
  const slot = (WIDTH - MARGIN.left - MARGIN.right) / Math.max(1, n);
  const barWidth = (slot * 0.8) / Math.max(1, options.series.length);
  const colors = options.series.map((s, i) => s.color ?? (PALETTE[i % PALETTE.length] as string));
  const body: string[] = [];
  for (const tick of y.ticks) {
    const py = y(tick).toFixed(1);
    body.push(
      `<line x1="${MARGIN.left}" x2="${WIDTH - MARGIN.right}" y1="${py}" y2="${py}" stroke="#e5e5e5"/>`,
      `<text x="${MARGIN.left - 6}" y="${py}" dy="0.32em" text-anchor="end" fill="#333">${formatTick(tick)}</text>`,
    );
  }
  for (const [c, category] of options.categories.entries()) {
    const x0 = MARGIN.left + c * slot + slot * 0.1;
    for (const [s, series] of options.series.entries()) {
      const value = series.values[c] ?? 0;
      const top = y(value);
      body.push(
        `<rect x="${(x0 + s * barWidth).toFixed(1)}" y="${top.toFixed(1)}" width="${Math.max(1, barWidth - 1).toFixed(1)}" height="${Math.max(0, plotBottom - top).toFixed(1)}" fill="${colors[s]}"><title>${escapeXml(`${category} ${series.name}: ${formatTick(value)}`)}</title></rect>`,
      );
    }
    const cx = (MARGIN.left + c * slot + slot / 2).toFixed(1);
    body.push(
      `<text transform="translate(${cx} ${plotBottom + 8}) rotate(90)" dy="0.32em" font-size="${fontSize}" fill="#333">${escapeXml(category)}</text>`,
    );
  }
  for (const ref of options.references ?? []) {
    const py = y(ref.y).toFixed(1);
    body.push(
      `<line x1="${MARGIN.left}" x2="${WIDTH - MARGIN.right}" y1="${py}" y2="${py}" stroke="${ref.color ?? "#555"}" stroke-dasharray="6 4"/>`,
      `<text x="${WIDTH - MARGIN.right - 4}" y="${py}" dy="-4" text-anchor="end" fill="${ref.color ?? "#555"}">${escapeXml(ref.label)}</text>`,
    );
  }
  body.push(
    `<line x1="${MARGIN.left}" x2="${WIDTH - MARGIN.right}" y1="${plotBottom}" y2="${plotBottom}" stroke="#333"/>`,
    `<line x1="${MARGIN.left}" x2="${MARGIN.left}" y1="${MARGIN.top}" y2="${plotBottom}" stroke="#333"/>`,
    `<text transform="translate(18 ${(MARGIN.top + plotBottom) / 2}) rotate(-90)" text-anchor="middle">${escapeXml(options.yLabel)}</text>`,
    ...legend(
      options.series.map((s) => s.name),
      colors,
    ),
  );
  return frame(options.title, body, options.subtitle, height);
}
