/**
 * A line chart as an SVG document, written by hand (no packages): axes with
 * ticks and labels, one polyline per series, a legend, and dashed
 * horizontal marks. Pure.
 *
 * @module
 */

/** One line of the chart. */
export interface Series {
  /** Name shown in the legend. */
  name: string;
  /** Stroke colour, e.g. "#1f77b4". */
  color: string;
  /** Points as [x, y], x ascending. */
  points: readonly (readonly [number, number])[];
}

/** A dashed horizontal line across the plot, e.g. a limit. */
export interface Mark {
  /** Its y value. */
  y: number;
  /** Text shown at its right end, above the line. */
  label: string;
  /** Stroke colour. */
  color: string;
}

/** What to draw. */
export interface Chart {
  /** Title above the plot. */
  title: string;
  /** Label under the x axis. */
  xLabel: string;
  /** Label beside the y axis. */
  yLabel: string;
  /** Formats an x tick value, e.g. 200000 as "200k". */
  formatX(x: number): string;
  /** The lines. */
  series: readonly Series[];
  /** Dashed horizontal lines. */
  marks?: readonly Mark[];
}

const WIDTH = 860;
const HEIGHT = 460;
const MARGIN = { left: 72, right: 24, top: 64, bottom: 64 };
/** Baseline of the legend's row, between the title and the plot, where it hides no line. */
const LEGEND_Y = 46;

/**
 * Tick values from 0 up to at least `max`, at a step of 1, 2 or 5 times a
 * power of ten, at most `most` steps.
 *
 * @throws {RangeError} when `max` is not a finite number above 0 or `most` < 1
 */
export function niceTicks(max: number, most = 8): number[] {
  if (!(max > 0) || !Number.isFinite(max) || most < 1) throw new RangeError(`Cannot make ticks up to ${max}`);
  const power = 10 ** Math.floor(Math.log10(max / most));
  const step = [1, 2, 5, 10].map((f) => f * power).find((s) => Math.ceil(max / s) <= most) ?? 10 * power;
  const ticks: number[] = [];
  for (let i = 0; i <= Math.ceil(max / step - 1e-9); i++) ticks.push(Number((i * step).toPrecision(12)));
  return ticks;
}

/** Escapes text for SVG content and attributes. */
function escape(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

/** Rounds a coordinate to one decimal, to keep the file small. */
function r(n: number): string {
  return String(Math.round(n * 10) / 10);
}

/**
 * Renders `chart` as a standalone SVG document. Both axes start at 0; x
 * ends at the first tick at or above the largest x, y at the first one at
 * least 5% above the largest y.
 *
 * @throws {RangeError} when no series has a point
 */
export function renderChart(chart: Chart): string {
  const points = chart.series.flatMap((s) => s.points);
  if (points.length === 0) throw new RangeError("Cannot draw a chart without points");
  const xTicks = niceTicks(Math.max(...points.map(([x]) => x), 1));
  const yMax = Math.max(...points.map(([, y]) => y), ...(chart.marks ?? []).map((m) => m.y), 1);
  // Headroom, so that a line at the maximum does not run along the top edge.
  const yTicks = niceTicks(yMax * 1.05);
  const plotW = WIDTH - MARGIN.left - MARGIN.right;
  const plotH = HEIGHT - MARGIN.top - MARGIN.bottom;
  const sx = (x: number) => MARGIN.left + (x / xTicks[xTicks.length - 1]) * plotW;
  const sy = (y: number) => MARGIN.top + plotH - (y / yTicks[yTicks.length - 1]) * plotH;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" ` +
    `font-family="sans-serif" font-size="12">`,
    `<rect width="${WIDTH}" height="${HEIGHT}" fill="white"/>`,
    `<text x="${WIDTH / 2}" y="22" text-anchor="middle" font-size="15">${escape(chart.title)}</text>`,
  ];
  for (const y of yTicks) {
    out.push(
      `<line x1="${MARGIN.left}" x2="${MARGIN.left + plotW}" y1="${r(sy(y))}" y2="${r(sy(y))}" stroke="#e4e4e4"/>`,
      `<text x="${MARGIN.left - 6}" y="${r(sy(y) + 4)}" text-anchor="end">${y}</text>`,
    );
  }
  for (const x of xTicks) {
    const bottom = MARGIN.top + plotH;
    out.push(
      `<line x1="${r(sx(x))}" x2="${r(sx(x))}" y1="${bottom}" y2="${bottom + 5}" stroke="black"/>`,
      `<text x="${r(sx(x))}" y="${bottom + 19}" text-anchor="middle">${escape(chart.formatX(x))}</text>`,
    );
  }
  out.push(
    `<path d="M${MARGIN.left} ${MARGIN.top}V${MARGIN.top + plotH}H${MARGIN.left + plotW}" fill="none" stroke="black"/>`,
    `<text x="${MARGIN.left + plotW / 2}" y="${HEIGHT - 16}" text-anchor="middle">${escape(chart.xLabel)}</text>`,
    `<text transform="translate(18 ${MARGIN.top + plotH / 2}) rotate(-90)" text-anchor="middle">` +
      `${escape(chart.yLabel)}</text>`,
  );
  for (const mark of chart.marks ?? []) {
    const y = r(sy(mark.y));
    out.push(
      `<line x1="${MARGIN.left}" x2="${MARGIN.left + plotW}" y1="${y}" y2="${y}" stroke="${mark.color}" ` +
        `stroke-dasharray="6 4"/>`,
      `<text x="${MARGIN.left + plotW - 4}" y="${r(sy(mark.y) - 5)}" text-anchor="end" fill="${mark.color}">` +
        `${escape(mark.label)}</text>`,
    );
  }
  let lx = MARGIN.left;
  for (const series of chart.series) {
    const path = series.points.map(([x, y]) => `${r(sx(x))},${r(sy(y))}`).join(" ");
    const ly = LEGEND_Y - 4;
    out.push(
      `<polyline points="${path}" fill="none" stroke="${series.color}" stroke-width="2"/>`,
      `<line x1="${lx}" x2="${lx + 24}" y1="${ly}" y2="${ly}" stroke="${series.color}" stroke-width="2"/>`,
      `<text x="${lx + 30}" y="${LEGEND_Y}">${escape(series.name)}</text>`,
    );
    // About 7 px per character at 12 px sans-serif, then a gap.
    lx += 30 + 7 * series.name.length + 28;
  }
  out.push("</svg>");
  return out.join("\n") + "\n";
}

/** Formats a session count for an axis: 0, 500, 20k, 1.5M. */
export function formatCount(n: number): string {
  if (n >= 1e6) return `${Number((n / 1e6).toPrecision(3))}M`;
  if (n >= 1e3) return `${Number((n / 1e3).toPrecision(3))}k`;
  return String(n);
}
