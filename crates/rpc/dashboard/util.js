// Small helpers shared by the dashboard's modules: building DOM and SVG elements, and
// formatting numbers, assets and times the way the page shows them.
//
// Elements are built with `h`/`s` rather than innerHTML so that no markup from the chain
// (names, memos, URLs) is ever parsed as HTML, and so that no inline `style` attribute is
// created: the page's Content-Security-Policy forbids them.

const SVG_NS = 'http://www.w3.org/2000/svg';

function build(el, attrs, children) {
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') el.setAttribute('class', Array.isArray(v) ? v.filter(Boolean).join(' ') : v);
    else if (k === 'text') el.textContent = v;
    else if (k === 'style') Object.assign(el.style, v); // CSSOM, allowed by the CSP
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of [].concat(children ?? [])) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

/** An HTML element. */
export function h(tag, attrs, children) {
  return build(document.createElement(tag), attrs, children);
}

/** An SVG element. */
export function s(tag, attrs, children) {
  return build(document.createElementNS(SVG_NS, tag), attrs, children);
}

/** Replaces the children of the element with id `id`. */
export function fill(id, ...children) {
  const el = typeof id === 'string' ? document.getElementById(id) : id;
  if (el) el.replaceChildren(...children.flat().filter((c) => c !== null && c !== undefined && c !== false));
  return el;
}

/** Sets the text of the element with id `id` (only when it changed, to keep repaints low). */
export function text(id, value) {
  const el = document.getElementById(id);
  const v = String(value);
  if (el && el.textContent !== v) el.textContent = v;
  return el;
}

/** API times have no zone suffix but are UTC (Antelope's convention). */
export function parseTime(t) {
  if (!t) return NaN;
  return Date.parse(/[zZ]|[+-]\d\d:?\d\d$/.test(t) ? t : `${t}Z`);
}

const intFmt = new Intl.NumberFormat('en-US');

/** 1234567 → "1,234,567". */
export function int(n) {
  return Number.isFinite(Number(n)) ? intFmt.format(Number(n)) : '—';
}

/** 0.1234 → "12.3%". */
export function pct(x, digits = 1) {
  if (!Number.isFinite(x)) return '—';
  return `${(x * 100).toFixed(digits)}%`;
}

/** "1234.5678 CIV" → {amount: 1234.5678, symbol: "CIV"} (0 for anything unparsable). */
export function asset(str) {
  if (typeof str !== 'string') return { amount: 0, symbol: '' };
  const [a, sym] = str.trim().split(/\s+/);
  const amount = Number(a);
  return { amount: Number.isFinite(amount) ? amount : 0, symbol: sym || '' };
}

/** A compact amount: 1234567.89 → "1.23M". */
export function compact(x) {
  if (!Number.isFinite(x)) return '—';
  const abs = Math.abs(x);
  if (abs >= 1e9) return `${(x / 1e9).toFixed(2)}B`;
  if (abs >= 1e6) return `${(x / 1e6).toFixed(2)}M`;
  if (abs >= 1e4) return `${(x / 1e3).toFixed(1)}k`;
  if (abs >= 100) return x.toFixed(0);
  if (abs >= 1) return x.toFixed(2);
  if (abs === 0) return '0';
  return x.toFixed(4);
}

/** Token units (integers of the core token's smallest unit) → a compact token amount. */
export function units(n, precision = 4) {
  return compact(Number(n) / 10 ** precision);
}

/** Seconds → "4.2 s", "1 min 3 s". */
export function duration(sec) {
  if (!Number.isFinite(sec)) return '—';
  if (sec < 10) return `${Math.max(0, sec).toFixed(1)} s`;
  if (sec < 60) return `${Math.round(sec)} s`;
  const m = Math.floor(sec / 60);
  const r = Math.round(sec - m * 60);
  return r ? `${m} min ${r} s` : `${m} min`;
}

/** A time in the past → "3 s ago". */
export function ago(ms, now = Date.now()) {
  if (!Number.isFinite(ms)) return '—';
  const d = Math.max(0, (now - ms) / 1000);
  if (d < 1) return 'just now';
  if (d < 60) return `${Math.floor(d)} s ago`;
  if (d < 3600) return `${Math.floor(d / 60)} min ago`;
  return `${Math.floor(d / 3600)} h ago`;
}

/** A wall-clock time, HH:MM:SS local. */
export function clock(ms) {
  if (!Number.isFinite(ms)) return '—';
  return new Date(ms).toLocaleTimeString('en-GB', { hour12: false });
}

/** A long hex id → "0000a1b2…9f3c". */
export function short(id, head = 8, tail = 4) {
  if (typeof id !== 'string' || id.length <= head + tail + 1) return id ?? '';
  return `${id.slice(0, head)}…${id.slice(-tail)}`;
}

/** A stable colour index for a string (diversity groups keep their colour across updates). */
export function hashIndex(str, n) {
  let x = 2166136261;
  for (let i = 0; i < str.length; i++) {
    x ^= str.charCodeAt(i);
    x = Math.imul(x, 16777619);
  }
  return (x >>> 0) % n;
}

/**
 * Runs `task` at most once per `minGap` ms however often it is kicked, never twice at once,
 * and at least every `every` ms (so the page stays current if the stream stops).
 */
export class Refresher {
  constructor(task, { minGap = 500, every = 0 } = {}) {
    this.task = task;
    this.minGap = minGap;
    this.every = every;
    this.last = 0;
    this.running = false;
    this.again = false;
    this.timer = null;
    if (every) setInterval(() => { if (Date.now() - this.last >= every) this.kick(); }, Math.min(every, 1000));
  }

  kick() {
    if (this.running) { this.again = true; return; }
    const wait = this.last + this.minGap - Date.now();
    if (wait > 0) {
      if (!this.timer) this.timer = setTimeout(() => { this.timer = null; this.kick(); }, wait);
      return;
    }
    this.running = true;
    this.last = Date.now();
    Promise.resolve()
      .then(() => this.task())
      .catch(() => {}) // failures are shown by the task's own status handling
      .finally(() => {
        this.running = false;
        if (this.again) { this.again = false; this.kick(); }
      });
  }
}
