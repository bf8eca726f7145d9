// Plain SVG and HTML charts: a time-series line chart (head vs LIB), stacked horizontal bars
// (pay kept vs returned, diversity groups) and a donut. A charting library would be larger
// than all of this together, and would be one more thing to vendor and keep up to date.

import { h, s } from './util.js';

/** "Nice" round tick values covering [lo, hi]. */
function ticks(lo, hi, count) {
  const span = hi - lo || 1;
  const raw = span / Math.max(1, count);
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((st) => span / st <= count) || 10 * mag;
  const out = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + 1e-9; v += step) out.push(v);
  return out;
}

/**
 * A line chart over the last `windowMs` ms (less while there is less history): `series` = [{label, cls, points: [[timeMs, value]]}].
 * Lines are drawn as steps (a block number holds until the next one). The band between the
 * first two series is shaded (for head vs LIB, the reversible blocks).
 */
export function timeChart(container, { series, windowMs, now = Date.now(), width = 640, height = 200, yLabel = '' }) {
  const pad = { l: 64, r: 14, t: 12, b: 26 };
  const W = width - pad.l - pad.r;
  const H = height - pad.t - pad.b;
  // The window grows from the first sample up to `windowMs`, so a freshly opened page shows
  // its first seconds across the whole width rather than squeezed at the right edge.
  const first = Math.min(...series.map((se) => (se.points.length ? se.points[0][0] : now)));
  const span = Math.min(windowMs, Math.max(20000, now - first));
  const t0 = now - span;
  const visible = series.map((se) => {
    // Keep the last point before the window so the step line starts at the left edge.
    const pts = se.points;
    let i = pts.findIndex((p) => p[0] >= t0);
    if (i === -1) i = pts.length;
    return pts.slice(Math.max(0, i - 1));
  });
  const values = visible.flat().map((p) => p[1]);
  const svg = s('svg', { viewBox: `0 0 ${width} ${height}`, class: 'chart', role: 'img', 'aria-label': yLabel });
  if (values.length === 0) {
    svg.append(s('text', { x: width / 2, y: height / 2, 'text-anchor': 'middle', class: 'chart-empty' }, 'waiting for blocks…'));
    container.replaceChildren(svg);
    return;
  }
  let lo = Math.min(...values);
  let hi = Math.max(...values);
  if (hi - lo < 4) { hi += 2; lo -= 2; }
  const x = (t) => pad.l + ((Math.max(t, t0) - t0) / span) * W;
  const y = (v) => pad.t + H - ((v - lo) / (hi - lo)) * H;
  const grid = s('g', { class: 'chart-grid' });
  for (const v of ticks(lo, hi, 4)) {
    grid.append(
      s('line', { x1: pad.l, x2: pad.l + W, y1: y(v), y2: y(v) }),
      s('text', { x: pad.l - 8, y: y(v) + 4, 'text-anchor': 'end' }, Math.round(v).toLocaleString('en-US')),
    );
  }
  const stepSec = [5, 10, 15, 30, 60, 120, 300].find((st) => span / 1000 / st <= 6) || 600;
  for (let back = 0; back * 1000 <= span; back += stepSec) {
    const tx = x(now - back * 1000);
    const label = back === 0 ? 'now' : back % 60 === 0 ? `−${back / 60} min` : `−${back} s`;
    grid.append(
      s('line', { x1: tx, x2: tx, y1: pad.t, y2: pad.t + H, class: 'v' }),
      s('text', { x: tx, y: height - 6, 'text-anchor': back === 0 ? 'end' : 'middle' }, label),
    );
  }
  svg.append(grid);
  const stepPath = (pts) => {
    if (pts.length === 0) return '';
    let d = `M${x(pts[0][0]).toFixed(1)} ${y(pts[0][1]).toFixed(1)}`;
    for (let i = 1; i < pts.length; i++) {
      d += ` H${x(pts[i][0]).toFixed(1)} V${y(pts[i][1]).toFixed(1)}`;
    }
    return `${d} H${x(now).toFixed(1)}`;
  };
  if (visible.length >= 2 && visible[0].length && visible[1].length) {
    // The band: along the top series forward, back along the bottom one.
    const top = stepPath(visible[0]);
    const bottom = visible[1].slice().reverse();
    let d = `${top} V${y(bottom[0][1]).toFixed(1)}`;
    for (let i = 0; i < bottom.length; i++) {
      const next = bottom[i + 1];
      d += ` H${x(bottom[i][0]).toFixed(1)}`;
      if (next) d += ` V${y(next[1]).toFixed(1)}`;
    }
    svg.append(s('path', { d: `${d} Z`, class: 'chart-band' }));
  }
  series.forEach((se, i) => {
    svg.append(s('path', { d: stepPath(visible[i]), class: `chart-line ${se.cls}` }));
  });
  container.replaceChildren(svg);
}

/**
 * Horizontal stacked bars, one row per item: rows = [{label, sub, parts: [{value, cls, title}]}],
 * scaled to the largest row total (or to `max`). HTML, so that it reflows on a phone.
 */
export function stackedBars(container, rows, { max, marker } = {}) {
  const top = max ?? Math.max(1e-12, ...rows.map((r) => r.parts.reduce((a, p) => a + p.value, 0)));
  const list = h('div', { class: 'bars' });
  for (const r of rows) {
    const track = h('div', { class: 'bar-track' });
    for (const p of r.parts) {
      if (p.value <= 0) continue;
      track.append(h('span', { class: ['bar-part', p.cls], title: p.title, style: { width: `${(p.value / top) * 100}%` } }));
    }
    if (marker !== undefined) track.append(h('span', { class: 'bar-marker', style: { left: `${marker * 100}%` } }));
    list.append(
      h('div', { class: 'bar-row', dataset: r.data || {} }, [
        h('div', { class: 'bar-label' }, [h('span', { class: 'bar-name' }, r.label), r.sub ? h('span', { class: 'bar-sub' }, r.sub) : null]),
        track,
      ]),
    );
  }
  container.replaceChildren(list);
}

/** A donut of parts = [{value, cls, label}] with a caption in the middle. */
export function donut(container, parts, caption, sub) {
  const r = 52;
  const c = 2 * Math.PI * r;
  const total = parts.reduce((a, p) => a + p.value, 0);
  const svg = s('svg', { viewBox: '-70 -70 140 140', class: 'donut', role: 'img', 'aria-label': caption });
  svg.append(s('circle', { r, class: 'donut-bg' }));
  let offset = 0;
  for (const p of parts) {
    if (total <= 0 || p.value <= 0) continue;
    const len = (p.value / total) * c;
    svg.append(
      s('circle', {
        r,
        class: ['donut-part', p.cls],
        'stroke-dasharray': `${len} ${c - len}`,
        'stroke-dashoffset': String(-offset),
        transform: 'rotate(-90)',
      }, s('title', {}, `${p.label}: ${(total ? (p.value / total) * 100 : 0).toFixed(1)}%`)),
    );
    offset += len;
  }
  svg.append(s('text', { class: 'donut-caption', y: 2, 'text-anchor': 'middle' }, caption));
  if (sub) svg.append(s('text', { class: 'donut-sub', y: 18, 'text-anchor': 'middle' }, sub));
  container.replaceChildren(svg);
}

/** A thin progress meter with an optional threshold mark (fractions 0..1). */
export function meter(container, value, { threshold, cls = '' } = {}) {
  const track = h('div', { class: ['meter', cls] }, [
    h('span', { class: 'meter-fill', style: { width: `${Math.min(1, Math.max(0, value)) * 100}%` } }),
  ]);
  if (threshold !== undefined) track.append(h('span', { class: 'meter-mark', style: { left: `${Math.min(1, threshold) * 100}%` } }));
  container.replaceChildren(track);
}
