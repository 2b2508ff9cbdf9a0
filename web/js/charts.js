// Inline SVG charts drawn by hand: a line chart over time, grouped bars and
// diverging bars (settlement net positions). Each chart carries a <title>
// and <desc> for screen readers and is followed by the numbers it shows.
const NS = 'http://www.w3.org/2000/svg';

function s(tag, attrs, ...children) {
  const el = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs || {})) if (v !== undefined && v !== null) el.setAttribute(k, String(v));
  for (const c of children) if (c !== null && c !== undefined) el.appendChild(typeof c === 'string' ? document.createTextNode(c) : c);
  return el;
}

function frame(width, height, title, desc) {
  const titleId = `t${Math.random().toString(36).slice(2, 8)}`;
  // Charts are laid out left to right in both languages (time runs left to
  // right, positive amounts to the right): direction is fixed so text anchors
  // do not flip under dir=rtl.
  return s('svg', { viewBox: `0 0 ${width} ${height}`, class: 'chart', role: 'img', 'aria-labelledby': titleId, preserveAspectRatio: 'xMidYMid meet', direction: 'ltr' },
    s('title', { id: titleId }, title), s('desc', {}, desc || title));
}

// A "nice" upper bound for an axis: 1, 2, 5 × 10^k.
export function niceMax(value) {
  if (!(value > 0)) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 5, 10]) if (value <= step * power) return step * power;
  return 10 * power;
}

// series: [{name, color, points: [[x, y], ...]}], x in ms, y >= 0.
export function lineChart({ title, series, width = 640, height = 220, format = String }) {
  const pad = { l: 48, r: 12, t: 12, b: 26 };
  const svg = frame(width, height, title, series.map((x) => `${x.name}: ${x.points.length ? format(x.points[x.points.length - 1][1]) : '—'}`).join('; '));
  const all = series.flatMap((x) => x.points);
  const xs = all.map((p) => p[0]);
  const minX = xs.length ? Math.min(...xs) : 0;
  const maxX = xs.length ? Math.max(...xs) : 1;
  const maxY = niceMax(Math.max(0, ...all.map((p) => p[1])));
  const X = (x) => pad.l + ((x - minX) / Math.max(1, maxX - minX)) * (width - pad.l - pad.r);
  const Y = (y) => height - pad.b - (y / maxY) * (height - pad.t - pad.b);
  for (let i = 0; i <= 4; i++) {
    const v = (maxY * i) / 4;
    svg.appendChild(s('line', { x1: pad.l, x2: width - pad.r, y1: Y(v), y2: Y(v), class: 'grid-line' }));
    svg.appendChild(s('text', { x: pad.l - 6, y: Y(v) + 4, 'text-anchor': 'end', 'font-size': 11 }, format(v)));
  }
  svg.appendChild(s('line', { x1: pad.l, x2: pad.l, y1: pad.t, y2: height - pad.b, class: 'axis' }));
  for (const line of series) {
    if (!line.points.length) continue;
    const d = line.points.map((p, i) => `${i ? 'L' : 'M'}${X(p[0]).toFixed(1)},${Y(p[1]).toFixed(1)}`).join(' ');
    svg.appendChild(s('path', { d, fill: 'none', stroke: line.color, 'stroke-width': 2.5, 'stroke-linejoin': 'round' }));
    const last = line.points[line.points.length - 1];
    svg.appendChild(s('circle', { cx: X(last[0]), cy: Y(last[1]), r: 3.5, fill: line.color }));
  }
  if (xs.length) {
    const label = (ms) => new Date(ms).toLocaleTimeString('en-GB', { timeZone: 'Africa/Cairo', hour: '2-digit', minute: '2-digit', second: '2-digit' });
    svg.appendChild(s('text', { x: pad.l, y: height - 6, 'font-size': 11 }, label(minX)));
    svg.appendChild(s('text', { x: width - pad.r, y: height - 6, 'font-size': 11, 'text-anchor': 'end' }, label(maxX)));
  }
  return svg;
}

// bars: [{label, values: [n, ...]}], colors per value index.
export function barChart({ title, bars, colors, width = 640, height = 240, format = String }) {
  const pad = { l: 44, r: 8, t: 12, b: 46 };
  const svg = frame(width, height, title, bars.map((b) => `${b.label}: ${b.values.map(format).join(', ')}`).join('; '));
  const maxY = niceMax(Math.max(0, ...bars.flatMap((b) => b.values)));
  const plotW = width - pad.l - pad.r;
  const Y = (y) => height - pad.b - (y / maxY) * (height - pad.t - pad.b);
  for (let i = 0; i <= 4; i++) {
    const v = (maxY * i) / 4;
    svg.appendChild(s('line', { x1: pad.l, x2: width - pad.r, y1: Y(v), y2: Y(v), class: 'grid-line' }));
    svg.appendChild(s('text', { x: pad.l - 6, y: Y(v) + 4, 'text-anchor': 'end', 'font-size': 11 }, format(v)));
  }
  const slot = plotW / Math.max(1, bars.length);
  const inner = Math.max(2, (slot * 0.75) / Math.max(1, colors.length));
  bars.forEach((b, i) => {
    b.values.forEach((v, j) => {
      const x = pad.l + i * slot + slot * 0.125 + j * inner;
      svg.appendChild(s('rect', { x, y: Y(v), width: inner - 1, height: Math.max(0, height - pad.b - Y(v)), fill: colors[j] },
        s('title', {}, `${b.label}: ${format(v)}`)));
    });
    svg.appendChild(s('text', { x: pad.l + i * slot + slot / 2, y: height - pad.b + 14, 'font-size': 10, 'text-anchor': 'middle' }, b.label));
  });
  svg.appendChild(s('line', { x1: pad.l, x2: width - pad.r, y1: height - pad.b, y2: height - pad.b, class: 'axis' }));
  return svg;
}

// items: [{label, value}] where value may be negative; bars grow from a
// centre line (owed to the participant: green, owed by it: red).
export function divergingBars({ title, items, width = 640, rowHeight = 22, format = String }) {
  const pad = { l: 70, r: 70, t: 8, b: 8 };
  const height = pad.t + pad.b + rowHeight * Math.max(1, items.length);
  const svg = frame(width, height, title, items.map((i) => `${i.label}: ${format(i.value)}`).join('; '));
  const maxAbs = niceMax(Math.max(1, ...items.map((i) => Math.abs(i.value))));
  const mid = pad.l + (width - pad.l - pad.r) / 2;
  const half = (width - pad.l - pad.r) / 2;
  items.forEach((item, i) => {
    const y = pad.t + i * rowHeight;
    const w = (Math.abs(item.value) / maxAbs) * half;
    const x = item.value >= 0 ? mid : mid - w;
    svg.appendChild(s('rect', { x, y: y + 3, width: Math.max(item.value ? 1 : 0, w), height: rowHeight - 6, fill: item.value >= 0 ? '#1a7f37' : '#b42318' },
      s('title', {}, `${item.label}: ${format(item.value)}`)));
    svg.appendChild(s('text', { x: 4, y: y + rowHeight / 2 + 4, 'font-size': 11 }, item.label));
    svg.appendChild(s('text', { x: width - 4, y: y + rowHeight / 2 + 4, 'font-size': 11, 'text-anchor': 'end' }, format(item.value)));
  });
  svg.appendChild(s('line', { x1: mid, x2: mid, y1: pad.t, y2: height - pad.b, class: 'axis' }));
  return svg;
}
