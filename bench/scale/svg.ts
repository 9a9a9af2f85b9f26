/** A tiny SVG line chart (log-scale x, linear y from 0), enough for "figure against N". Pure: data in, text out. */

export interface Series {
  name: string;
  color: string;
  points: [number, number][];
}

export interface Chart {
  title: string;
  xLabel: string;
  yLabel: string;
  series: Series[];
}

const W = 420;
const H = 300;
const M = { left: 60, right: 16, top: 34, bottom: 80 };

function escape(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/** 1, 2, 5 × 10ⁿ steps giving about five y ticks. */
function niceStep(max: number): number {
  const raw = max / 5;
  const power = 10 ** Math.floor(Math.log10(raw));
  return [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw) ?? raw;
}

function chart(c: Chart, offsetX: number): string {
  const xs = c.series.flatMap((s) => s.points.map((p) => p[0])).filter((x) => x > 0);
  const ys = c.series.flatMap((s) => s.points.map((p) => p[1])).filter((y) => Number.isFinite(y));
  const minX = Math.log10(Math.min(...xs, 1));
  const maxX = Math.max(Math.log10(Math.max(...xs, 10)), minX + 1);
  const step = niceStep(Math.max(...ys, 1));
  const maxY = Math.ceil(Math.max(...ys, 1) / step) * step;
  const px = (x: number): number => M.left + ((Math.log10(x) - minX) / (maxX - minX)) * (W - M.left - M.right);
  const py = (y: number): number => H - M.bottom - (y / maxY) * (H - M.top - M.bottom);
  const out: string[] = [`<g transform="translate(${offsetX},0)">`];
  out.push(`<text x="${W / 2}" y="18" text-anchor="middle" font-size="14" font-weight="bold">${escape(c.title)}</text>`);
  for (let y = 0; y <= maxY + step / 2; y += step) {
    out.push(`<line x1="${M.left}" x2="${W - M.right}" y1="${py(y)}" y2="${py(y)}" stroke="#ddd"/>`);
    out.push(`<text x="${M.left - 6}" y="${py(y) + 4}" text-anchor="end" font-size="11">${Number(y.toPrecision(6))}</text>`);
  }
  for (const x of [...new Set(xs)].sort((a, b) => a - b)) {
    out.push(`<line x1="${px(x)}" x2="${px(x)}" y1="${M.top}" y2="${H - M.bottom}" stroke="#eee"/>`);
    out.push(`<text x="${px(x)}" y="${H - M.bottom + 16}" text-anchor="middle" font-size="11">${x}</text>`);
  }
  out.push(`<line x1="${M.left}" x2="${W - M.right}" y1="${H - M.bottom}" y2="${H - M.bottom}" stroke="#333"/>`);
  out.push(`<line x1="${M.left}" x2="${M.left}" y1="${M.top}" y2="${H - M.bottom}" stroke="#333"/>`);
  out.push(`<text x="${(W + M.left) / 2}" y="${H - M.bottom + 34}" text-anchor="middle" font-size="12">${escape(c.xLabel)}</text>`);
  out.push(`<text transform="translate(14,${(H - M.bottom + M.top) / 2}) rotate(-90)" text-anchor="middle" font-size="12">${escape(c.yLabel)}</text>`);
  c.series.forEach((s, i) => {
    const pts = s.points.filter((p) => p[0] > 0 && Number.isFinite(p[1]));
    out.push(`<polyline fill="none" stroke="${s.color}" stroke-width="2" points="${pts.map((p) => `${px(p[0]).toFixed(1)},${py(p[1]).toFixed(1)}`).join(" ")}"/>`);
    for (const p of pts) out.push(`<circle cx="${px(p[0]).toFixed(1)}" cy="${py(p[1]).toFixed(1)}" r="3" fill="${s.color}"/>`);
    const ly = H - M.bottom + 50 + Math.floor(i / 2) * 14;
    const lx = M.left + (i % 2) * 170;
    out.push(`<line x1="${lx}" x2="${lx + 16}" y1="${ly - 4}" y2="${ly - 4}" stroke="${s.color}" stroke-width="2"/>`);
    out.push(`<text x="${lx + 20}" y="${ly}" font-size="11">${escape(s.name)}</text>`);
  });
  out.push("</g>");
  return out.join("\n");
}

/** Charts side by side in one SVG document. */
export function renderCharts(charts: Chart[]): string {
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W * charts.length}" height="${H}" viewBox="0 0 ${W * charts.length} ${H}" font-family="sans-serif">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    ...charts.map((c, i) => chart(c, i * W)),
    "</svg>",
    "",
  ].join("\n");
}
