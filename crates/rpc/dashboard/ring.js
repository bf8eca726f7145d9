// The producer ring: the active schedule drawn as a ring in turn order (SPEC §3.1), with
// each slot of the round marked produced, missed, current or upcoming, a hand pointing at the
// producer of the current slot, the round's progress around the inside, and the change of the
// ring between rounds animated: producers that stay slide to their new places (every round is
// re-shuffled), newcomers grow in, leavers fade out where they were.

import { s } from './util.js';

const R = 168; // radius of the ring of producers
const NODE_R = 13;
const LABEL_R = R + 24;
const PROGRESS_R = R - 44;
const TAU = Math.PI * 2;

function polar(r, angle) {
  return [r * Math.cos(angle), r * Math.sin(angle)];
}

/** Angle of position `i` of `n`: the first turn at the top, then clockwise. */
function angleOf(i, n) {
  return -Math.PI / 2 + (TAU * i) / Math.max(n, 1);
}

export class Ring {
  constructor(container) {
    this.nodes = new Map(); // producer name → {g, dot, label, title, angle}
    this.n = 0;
    this.handAngle = null;
    this.progressLen = TAU * PROGRESS_R;

    this.svg = s('svg', {
      viewBox: '-250 -250 500 500',
      class: 'ring-svg',
      role: 'img',
      'aria-label': 'The active producers in turn order',
    });
    this.track = s('circle', { r: R, class: 'ring-track' });
    this.progressBg = s('circle', { r: PROGRESS_R, class: 'ring-progress-bg' });
    this.progress = s('circle', {
      r: PROGRESS_R,
      class: 'ring-progress',
      transform: 'rotate(-90)',
      'stroke-dasharray': `0 ${this.progressLen}`,
    });
    this.hand = s('g', { class: 'ring-hand' }, [
      s('line', { x1: 0, y1: 0, x2: R - NODE_R - 10, y2: 0 }),
      s('circle', { r: 4, class: 'ring-hub' }),
    ]);
    this.nodeLayer = s('g', { class: 'ring-nodes' });
    this.centerRound = s('text', { class: 'ring-round', y: -4, 'text-anchor': 'middle' }, '—');
    this.centerSlot = s('text', { class: 'ring-sub', y: 22, 'text-anchor': 'middle' }, '');
    this.centerNext = s('text', { class: 'ring-sub ring-next', y: 42, 'text-anchor': 'middle' }, '');
    const center = s('g', { class: 'ring-center' }, [
      s('text', { class: 'ring-caption', y: -40, 'text-anchor': 'middle' }, 'ROUND'),
      this.centerRound,
      this.centerSlot,
      this.centerNext,
    ]);
    this.svg.append(this.track, this.progressBg, this.progress, this.hand, this.nodeLayer, center);
    container.replaceChildren(this.svg);
  }

  /**
   * Draws a schedule. `producers`: names in turn order; `slots`: the round's slots from the
   * schedule view (`position`, `status`, `block_num`, `producer`); `joined`: names new this
   * round; `stats`: optional per-producer {produced, missed} totals for the tooltips.
   */
  update({ producers, slots, joined, stats }) {
    const n = producers.length;
    this.n = n;
    const present = new Set(producers);
    // Leavers fade out where they stood, then go.
    for (const [name, node] of this.nodes) {
      if (!present.has(name) && !node.leaving) {
        node.leaving = true;
        node.g.classList.add('leaving');
        setTimeout(() => {
          node.g.remove();
          if (this.nodes.get(name) === node) this.nodes.delete(name);
        }, 1400);
      }
    }
    // Per position: what its slots of this round hold (a turn may have several slots).
    const byPos = new Map();
    for (const sl of slots || []) {
      const e = byPos.get(sl.position) || { produced: 0, missed: 0, current: false, upcoming: 0, last: null };
      if (sl.status === 'produced') { e.produced++; e.last = sl.block_num; }
      else if (sl.status === 'missed') e.missed++;
      else if (sl.status === 'current') e.current = true;
      else e.upcoming++;
      byPos.set(sl.position, e);
    }
    producers.forEach((name, i) => {
      let node = this.nodes.get(name);
      const angle = angleOf(i, n);
      const [x, y] = polar(R, angle);
      if (!node || node.leaving) {
        node?.g.remove();
        node = this.createNode(name);
        this.nodes.set(name, node);
        // A newcomer starts at its place, shrunk, and grows in.
        node.g.style.transform = `translate(${x}px, ${y}px) scale(0.2)`;
        node.g.getBoundingClientRect(); // commit the start state so the transition runs
      }
      node.angle = angle;
      node.index = i;
      node.g.style.transform = `translate(${x}px, ${y}px)`;
      this.placeLabel(node, angle);
      const e = byPos.get(i) || { produced: 0, missed: 0, current: false, upcoming: 1, last: null };
      const cls = node.g.classList;
      cls.toggle('produced', e.produced > 0 && e.missed === 0);
      cls.toggle('missed', e.missed > 0);
      cls.toggle('upcoming', e.produced === 0 && e.missed === 0);
      cls.toggle('joined', joined?.has(name) ?? false);
      node.g.dataset.position = String(i);
      node.g.dataset.status = e.missed > 0 ? 'missed' : e.produced > 0 ? 'produced' : 'upcoming';
      const st = stats?.get(name);
      const parts = [`${name} — turn ${i + 1} of ${n}`];
      if (e.produced) parts.push(`produced #${e.last} this round`);
      if (e.missed) parts.push(`missed ${e.missed} slot${e.missed > 1 ? 's' : ''} this round`);
      if (joined?.has(name)) parts.push('new in the ring this round');
      if (st) parts.push(`${st.produced} produced, ${st.missed} missed in all`);
      node.title.textContent = parts.join('\n');
    });
  }

  createNode(name) {
    const title = s('title', {}, name);
    const dot = s('circle', { r: NODE_R, class: 'dot' });
    const halo = s('circle', { r: NODE_R + 9, class: 'halo' });
    const miss = s('path', {
      class: 'miss',
      d: `M${-5} ${-5} L5 5 M5 ${-5} L${-5} 5`,
    });
    const badge = s('g', { class: 'badge', transform: `translate(${NODE_R - 2} ${-NODE_R + 2})` }, [
      s('circle', { r: 6 }),
      s('path', { d: 'M-3 0 H3 M0 -3 V3' }),
    ]);
    const label = s('text', { class: 'label' }, name);
    const g = s('g', { class: 'node', dataset: { producer: name } }, [halo, dot, miss, badge, label, title]);
    this.nodeLayer.append(g);
    return { g, dot, label, title, angle: 0, leaving: false };
  }

  placeLabel(node, angle) {
    const [lx, ly] = polar(LABEL_R - R, angle); // relative to the node
    const c = Math.cos(angle);
    node.label.setAttribute('x', String(lx + (c > 0.25 ? -6 : c < -0.25 ? 6 : 0)));
    node.label.setAttribute('y', String(ly + 4 + (Math.sin(angle) > 0.6 ? 6 : 0)));
    node.label.setAttribute('text-anchor', c > 0.25 ? 'start' : c < -0.25 ? 'end' : 'middle');
  }

  /**
   * Moves the highlight: `index` is the position of the current slot's producer (null while
   * the next round's schedule is not known), `progress` the round's elapsed fraction.
   */
  tick({ index, progress, round, slotInRound, roundLen, nextIn, pending }) {
    for (const node of this.nodes.values()) {
      const on = !node.leaving && node.index === index;
      if (node.g.classList.contains('current') !== on) node.g.classList.toggle('current', on);
    }
    this.svg.dataset.current = index ?? '';
    if (index !== null && index !== undefined && this.n > 0) {
      const target = (angleOf(index, this.n) * 180) / Math.PI;
      // Always turn forward (clockwise) by the shortest amount, like a clock hand.
      if (this.handAngle === null) this.handAngle = target;
      else {
        let delta = (((target - this.handAngle) % 360) + 360) % 360;
        if (delta > 300) delta -= 360; // a small step back (clock correction), not a full turn
        this.handAngle += delta;
      }
      this.hand.style.transform = `rotate(${this.handAngle}deg)`;
      this.hand.classList.remove('off');
    } else {
      this.hand.classList.add('off');
    }
    const p = Math.min(1, Math.max(0, progress || 0));
    this.progress.setAttribute('stroke-dasharray', `${(p * this.progressLen).toFixed(1)} ${this.progressLen}`);
    this.centerRound.textContent = round ?? '—';
    this.centerSlot.textContent = roundLen ? `slot ${slotInRound + 1} of ${roundLen}` : '';
    this.centerNext.textContent = pending ? 'electing…' : `election in ${nextIn}`;
  }
}
