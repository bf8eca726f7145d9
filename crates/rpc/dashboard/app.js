// The Civitas dashboard (SPEC §11, docs/dashboard.md): the producer ring, finality, the
// election, pay, diversity, resources and the latest blocks and transactions of the node that served the
// page, kept live by the node's event stream plus polling of the views the stream does not
// carry. Everything comes from the public API; nothing is loaded from anywhere else.

import { view, chain, stream, ApiError } from './api.js';
import { h, fill, text, parseTime, int, pct, asset, compact, duration, ago, clock, short, Refresher } from './util.js';
import { Ring } from './ring.js';
import { timeChart, stackedBars, donut, meter } from './charts.js';
import { renderResources } from './resources.js';

/** How much head/LIB history the finality chart shows. */
const CHART_WINDOW_MS = 3 * 60 * 1000;
/** Candidates shown before "show all". */
const ELECTION_ROWS = 30;
/** How long a rank change arrow stays on a row. */
const RANK_MOVE_MS = 30000;

const state = {
  node: null,
  schedule: null,
  clockOffset: 0, // server time − browser time, ms
  finality: null,
  producers: null,
  diversity: null,
  head: null, // {num, id, producer, time, slot} from the stream or the views
  lib: null,
  history: { head: [], lib: [] }, // [timeMs, blockNum]
  rankMoves: new Map(), // producer → {delta, at}
  lastRanks: null,
  showAllCandidates: false,
  blocksTop: 0,
  lastTxBlock: -1,
  failures: new Map(), // view → message
  precision: 4,
  symbol: 'CIV',
};

const ring = new Ring(document.getElementById('ring-box'));

// ---------------------------------------------------------------------------------------
// Status: what failed, and whether the stream is live.

function setFailure(name, err) {
  if (err) state.failures.set(name, err instanceof ApiError ? err.message : String(err));
  else state.failures.delete(name);
  const el = document.getElementById('notice');
  if (state.failures.size === 0) {
    el.classList.add('hidden');
    return;
  }
  const [view0, msg] = state.failures.entries().next().value;
  el.textContent = `Could not read ${view0}: ${msg}. Retrying…`;
  el.classList.remove('hidden');
}

async function load(name, fn) {
  try {
    const v = await fn();
    setFailure(name, null);
    return v;
  } catch (e) {
    setFailure(name, e);
    return null;
  }
}

function setLive(st) {
  const el = document.getElementById('live');
  el.dataset.state = st;
  text('live-text', st === 'live' ? 'live' : st === 'connecting' ? 'connecting…' : 'offline — polling');
}

// ---------------------------------------------------------------------------------------
// Amounts

function tokens(unitsValue) {
  return Number(unitsValue) / 10 ** state.precision;
}

function tok(x) {
  return `${compact(x)} ${state.symbol}`;
}

// ---------------------------------------------------------------------------------------
// Head and LIB: from the stream as they happen, from the views on load and as a fallback.

function recordHistory() {
  const now = Date.now();
  const push = (list, v) => {
    if (v === undefined || v === null) return;
    if (list.length && list[list.length - 1][1] === v) return;
    list.push([now, v]);
    while (list.length > 2 && list[1][0] < now - CHART_WINDOW_MS - 10000) list.shift();
  };
  push(state.history.head, state.head?.num);
  push(state.history.lib, state.lib?.num);
}

function onHead(ev) {
  // A fork switch may lower the head: the stream's word is taken as it comes.
  state.head = ev;
  recordHistory();
  renderHeadLib();
  refresh.schedule.kick();
  refresh.blocks.kick();
  refresh.finality.kick();
  refresh.producers.kick();
}

function onLib(ev) {
  if (state.lib && ev.num < state.lib.num) return; // irreversible blocks never go back
  state.lib = { ...(state.lib || {}), ...ev };
  recordHistory();
  renderHeadLib();
}

function renderHeadLib() {
  const head = state.head;
  const lib = state.lib;
  if (head) {
    text('head-num', `#${int(head.num)}`);
    text('head-sub', `by ${head.producer}`);
    text('fin-head', int(head.num));
  }
  if (lib) {
    text('lib-num', `#${int(lib.num)}`);
    text('fin-lib', int(lib.num));
  }
  if (head && lib) {
    const lag = Math.max(0, head.num - lib.num);
    text('lag-blocks', `${lag} block${lag === 1 ? '' : 's'}`);
    const sec = state.finality && state.finality.head.num === head.num ? state.finality.lag_seconds : lag * interval() / 1000;
    text('lag-sub', duration(sec));
    text('fin-lag', `${lag} · ${duration(sec)}`);
    const f = state.finality;
    text('lib-sub', f && f.lib.num === lib.num ? `block time ${ago(parseTime(f.lib.time) - state.clockOffset)}` : 'irreversible');
  }
  renderChart();
}

function renderChart() {
  timeChart(document.getElementById('finality-chart'), {
    series: [
      { label: 'head', cls: 'head-line', points: state.history.head },
      { label: 'LIB', cls: 'lib-line', points: state.history.lib },
    ],
    windowMs: CHART_WINDOW_MS,
    yLabel: 'Head and last irreversible block over the last minutes',
  });
}

// ---------------------------------------------------------------------------------------
// Schedule and ring

function interval() {
  return state.schedule?.block_interval_ms ?? state.node?.block_interval_ms ?? 500;
}

async function loadSchedule() {
  const sc = await load('/v1/civitas/schedule', () => view('schedule'));
  if (!sc) return;
  // The server's clock, so that the page's slot arithmetic matches the node's.
  state.clockOffset = parseTime(sc.now) - Date.now();
  const changed =
    !state.schedule ||
    state.schedule.schedule_version !== sc.schedule_version ||
    state.schedule.round !== sc.round;
  state.schedule = sc;
  if (!state.head || sc.head_block_num > state.head.num) {
    state.head = { ...(state.head || {}), num: sc.head_block_num, producer: sc.head_block_producer };
    renderHeadLib();
  }
  renderRing();
  if (changed) refresh.producers.kick();
  if (changed) refresh.diversity.kick();
}

function producerStats() {
  const m = new Map();
  for (const r of state.producers?.rows || []) m.set(r.owner, { produced: r.produced, missed: r.missed });
  return m;
}

function renderRing() {
  const sc = state.schedule;
  if (!sc) return;
  const names = sc.producers.map((p) => p.producer_name);
  ring.update({ producers: names, slots: sc.round_slots, joined: new Set(sc.joined || []), stats: producerStats() });
  text('schedule-version', `v${sc.schedule_version}`);
  text('missed-round', `${sc.missed_in_round ?? 0} of ${sc.round_length_slots} slots`);
  fill('joined', sc.joined?.length ? sc.joined.map((n) => accountLink(n)) : [h('span', { class: 'muted' }, 'nobody')]);
  fill('left', sc.left?.length ? sc.left.map((n) => accountLink(n)) : [h('span', { class: 'muted' }, 'nobody')]);
  text('prod-count', `${names.length} active`);
  tickClock();
}

/** Moves the highlight and the countdowns with the clock, between schedule reads. */
function tickClock() {
  const sc = state.schedule;
  if (!sc) return;
  const iv = sc.block_interval_ms;
  const roundLen = sc.round_length_slots;
  const now = Date.now() + state.clockOffset;
  const genesis = parseTime(state.node?.genesis_time) || parseTime(sc.slot_time) - sc.slot * iv;
  const slot = Math.max(sc.slot, Math.floor((now - genesis) / iv));
  const round = Math.floor(slot / roundLen);
  const inRound = slot - round * roundLen;
  const n = sc.producers.length;
  // The head's schedule is this round's only once the round's first block exists; until
  // then the round's election result is not known here.
  const pending = round > sc.schedule_round;
  const index = pending || n === 0 ? null : Math.floor(inRound / sc.blocks_per_turn) % n;
  const nextStart = genesis + (round + 1) * roundLen * iv;
  const nextIn = Math.max(0, (nextStart - now) / 1000);
  ring.tick({
    index,
    progress: (now - (genesis + round * roundLen * iv)) / (roundLen * iv),
    round: int(round),
    slotInRound: inRound,
    roundLen,
    nextIn: duration(nextIn),
    pending,
  });
  const current = index === null ? null : sc.producers[index]?.producer_name;
  text('current-producer', current ?? 'electing…');
  text('current-sub', current ? `slot ${int(slot)} · turn ${index + 1} of ${n}` : 'the next round is being seated');
  text('round-num', int(round));
  text('round-sub', `next election in ${duration(nextIn)}`);
  text('next-election', `${duration(nextIn)} · ${clock(nextStart - state.clockOffset)}`);
}

// ---------------------------------------------------------------------------------------
// Finality

async function loadFinality() {
  const f = await load('/v1/civitas/finality', () => view('finality'));
  if (!f) return;
  state.finality = f;
  if (!state.head || f.head.num >= state.head.num) state.head = { ...(state.head || {}), ...f.head, producer: state.head?.producer ?? '' };
  if (!state.lib || f.lib.num >= state.lib.num) state.lib = { ...f.lib };
  recordHistory();
  text('fin-quorum', `${f.quorum} of ${f.active_producers}`);
  renderHeadLib();
  renderConfirmations();
}

function renderConfirmations() {
  const f = state.finality;
  if (!f) return;
  const order = state.schedule?.producers.map((p) => p.producer_name) || [];
  const rows = f.producers.slice().sort((a, b) => {
    const ia = order.indexOf(a.producer);
    const ib = order.indexOf(b.producer);
    return (ia < 0 ? 1e9 : ia) - (ib < 0 ? 1e9 : ib);
  });
  const head = f.head.num;
  fill(
    'confirmations',
    rows.map((p) => {
      const num = p.voted_block?.block_num;
      const behind = num === undefined ? null : head - num;
      const cls = behind === null ? 'none' : behind <= 2 ? 'fresh' : behind <= f.active_producers ? 'recent' : 'stale';
      return h('div', {
        class: ['conf', cls, p.in_schedule ? '' : 'outside'],
        title: num === undefined
          ? `${p.producer}: no confirmation above the LIB`
          : `${p.producer} confirmed block #${num} (${behind} behind the head)${p.in_schedule ? '' : ' — not in the schedule'}`,
        dataset: { producer: p.producer },
      }, [
        h('span', { class: 'conf-name' }, p.producer),
        h('span', { class: 'conf-num' }, num === undefined ? '—' : `#${int(num)}`),
        h('span', { class: 'conf-behind' }, behind === null ? 'none' : behind === 0 ? 'head' : `−${behind}`),
      ]);
    }),
  );
}

// ---------------------------------------------------------------------------------------
// Election and pay (both from the producers view)

async function loadProducers() {
  const p = await load('/v1/civitas/producers', () => view('producers'));
  if (!p) return;
  const sym = (p.core_symbol || '4,CIV').split(',');
  state.precision = Number(sym[0]) || 4;
  state.symbol = sym[1] || 'CIV';
  // Rank changes since the last read, for the arrows.
  const now = Date.now();
  const ranks = new Map(p.rows.map((r) => [r.owner, r.rank]));
  if (state.lastRanks) {
    for (const [owner, rank] of ranks) {
      const before = state.lastRanks.get(owner);
      if (before !== undefined && before !== rank) state.rankMoves.set(owner, { delta: before - rank, at: now });
    }
  }
  state.lastRanks = ranks;
  state.producers = p;
  renderElection();
  renderPay();
  renderRing(); // tooltips carry production totals
}

function statusPill(r) {
  if (!r.is_active) return h('span', { class: 'pill pill-off' }, 'unregistered');
  return r.in_schedule ? h('span', { class: 'pill pill-active' }, 'active') : h('span', { class: 'pill pill-standby' }, 'standby');
}

function nextPill(r) {
  if (r.elected_next && !r.in_schedule) return h('span', { class: 'pill pill-in', title: 'would be seated if the election were now' }, '↑ joins');
  if (!r.elected_next && r.in_schedule) return h('span', { class: 'pill pill-out', title: 'would leave if the election were now' }, '↓ leaves');
  if (r.elected_next) return h('span', { class: 'pill pill-stays' }, 'stays');
  return h('span', { class: 'muted' }, '—');
}

function renderElection() {
  const p = state.producers;
  if (!p) return;
  const act = p.activation;
  const voted = act.voted_share_of_supply;
  if (act.activated) {
    text('activation-title', 'Elections are active.');
    text('activation-sub', `${pct(voted)} of the supply is voting (threshold ${pct(act.threshold, 0)}).`);
  } else {
    text('activation-title', `${pct(act.progress, 0)} of the way to elections.`);
    text('activation-sub', `${pct(voted)} of the supply is voting; the genesis producers keep producing until ${pct(act.threshold, 0)} does.`);
  }
  // The meter's scale runs to twice the threshold (or the voting share, if higher), so the
  // threshold mark sits in view whatever the numbers are.
  const scale = Math.max(act.threshold * 2, voted, 0.01);
  meter(document.getElementById('activation-meter'), voted / scale, { threshold: act.threshold / scale, cls: act.activated ? 'done' : '' });
  text('elect-state', act.activated ? 'active' : `${pct(act.progress, 0)}`);
  text('elect-sub', act.activated ? `${pct(voted)} of supply voting` : `to activation (${pct(act.threshold, 0)} of supply)`);
  const standby = p.rows.filter((r) => !r.in_schedule && r.is_active).length;
  text('prod-sub', `${p.rows.length} candidates · ${standby} standby`);

  const now = Date.now();
  const rows = state.showAllCandidates ? p.rows : p.rows.slice(0, ELECTION_ROWS);
  const maxShare = Math.max(1e-9, ...p.rows.map((r) => r.voted_share || 0));
  const tbody = document.querySelector('#election-table tbody');
  tbody.replaceChildren(
    ...rows.map((r) => {
      const move = state.rankMoves.get(r.owner);
      const fresh = move && now - move.at < RANK_MOVE_MS;
      const share = r.voted_share || 0;
      return h('tr', {
        class: [r.in_schedule ? 'in-ring' : 'standby', fresh ? (move.delta > 0 ? 'moved-up' : 'moved-down') : ''],
        dataset: { producer: r.owner, rank: String(r.rank) },
      }, [
        h('td', { class: 'num rank' }, [
          String(r.rank),
          fresh ? h('span', { class: ['move', move.delta > 0 ? 'up' : 'down'] }, move.delta > 0 ? `▲${move.delta}` : `▼${-move.delta}`) : null,
        ]),
        h('td', {}, [accountLink(r.owner), r.country ? h('span', { class: 'muted small' }, ` ${r.country}`) : null]),
        h('td', { class: 'wide' }, h('div', { class: 'vote' }, [
          h('div', { class: 'vote-bar' }, h('span', { style: { width: `${(share / maxShare) * 100}%` } })),
          h('span', { class: 'vote-text' }, `${tok(tokens(r.total_votes))} · ${pct(share)}`),
        ])),
        h('td', {}, statusPill(r)),
        h('td', {}, nextPill(r)),
      ]);
    }),
  );
  const more = document.getElementById('election-more');
  more.classList.toggle('hidden', p.rows.length <= ELECTION_ROWS);
  more.textContent = state.showAllCandidates ? 'Show the top 30' : `Show all ${p.rows.length} candidates`;
}

function renderPay() {
  const p = state.producers;
  if (!p) return;
  const pay = p.pay;
  const kept = asset(pay.total_kept).amount;
  const fund = asset(pay.total_to_fund).amount;
  text('pay-minted', tok(asset(pay.total_minted).amount));
  text('pay-kept', tok(kept));
  text('pay-fund', tok(fund));
  text('pay-wps', tok(asset(pay.worker_fund).amount));
  text('pay-unclaimed', tok(asset(pay.unclaimed).amount));
  text('pay-blocks', int(pay.paid_blocks));
  const keptShare = kept + fund > 0 ? kept / (kept + fund) : 0;
  donut(document.getElementById('pay-donut'), [
    { value: kept, cls: 'kept', label: 'kept by producers' },
    { value: fund, cls: 'returned', label: 'to the worker fund' },
  ], kept + fund > 0 ? pct(keptShare, 0) : '—', 'kept');

  // Producers that did any work or are in the ring, most paid first.
  const rows = p.rows.filter((r) => r.in_schedule || r.produced > 0 || asset(r.kept_total).amount > 0);
  const withPay = rows.map((r) => ({ r, kept: asset(r.kept_total).amount, returned: asset(r.returned_total).amount }));
  withPay.sort((a, b) => b.kept + b.returned - (a.kept + a.returned) || a.r.rank - b.r.rank);
  stackedBars(document.getElementById('pay-bars'), withPay.map(({ r, kept: k, returned: ret }) => ({
    label: r.owner,
    sub: r.keep_rate === null || r.keep_rate === undefined ? '' : `keeps ${r.keep_rate}%`,
    data: { producer: r.owner },
    parts: [
      { value: k, cls: 'kept', title: `${r.owner} kept ${tok(k)}` },
      { value: ret, cls: 'returned', title: `${r.owner} returned ${tok(ret)}` },
    ],
  })));
  const tbody = document.querySelector('#pay-table tbody');
  tbody.replaceChildren(
    ...withPay.map(({ r, kept: k, returned: ret }) =>
      h('tr', { dataset: { producer: r.owner }, class: r.in_schedule ? '' : 'standby' }, [
        h('td', {}, accountLink(r.owner)),
        h('td', { class: 'num' }, int(r.produced)),
        h('td', { class: ['num', r.missed > 0 ? 'warn' : ''] }, int(r.missed)),
        h('td', { class: ['num', r.missed_in_row > 0 ? 'bad' : ''] }, int(r.missed_in_row)),
        h('td', { class: 'num' }, int(r.paid_blocks)),
        h('td', { class: 'num' }, r.keep_rate === null || r.keep_rate === undefined ? '—' : `${r.keep_rate}%`),
        h('td', { class: 'num kept-color' }, compact(k)),
        h('td', { class: 'num returned-color' }, compact(ret)),
        h('td', { class: 'num' }, compact(asset(r.unclaimed).amount)),
      ]),
    ),
  );
}

// ---------------------------------------------------------------------------------------
// Diversity

const DIMENSIONS = [
  ['country', 'Country'],
  ['jurisdiction', 'Jurisdiction'],
  ['network', 'Network'],
  ['hardware', 'Hardware'],
];
const PALETTE = 8;

async function loadDiversity() {
  const d = await load('/v1/civitas/diversity', () => view('diversity'));
  if (!d) return;
  state.diversity = d;
  text('diversity-note', `How the ${d.active_producers} active producers are spread. ${d.producers_to_halt_finality} of them (more than a third) can halt finality: the fewer groups it takes to reach that, the more fragile the network.`);
  fill('diversity-body', DIMENSIONS.map(([key, label]) => dimension(d, key, label)));
}

function dimension(d, key, label) {
  const dim = d.dimensions[key];
  const total = d.active_producers || 1;
  const k = dim.min_groups_over_one_third;
  const risk = k <= 1 ? 'bad' : k === 2 ? 'warn' : 'good';
  let color = 0;
  const groups = dim.groups.map((g) => ({ ...g, cls: g.value === 'unknown' ? 'gu' : `g${color++ % PALETTE}` }));
  const bar = h('div', { class: 'dim-bar' });
  let acc = 0;
  let cut = null;
  for (const g of groups) {
    acc += g.count;
    bar.append(h('span', {
      class: ['dim-part', g.cls],
      title: `${g.value}: ${g.count} (${g.producers.join(', ')})`,
      style: { width: `${(g.count / total) * 100}%` },
    }));
    if (cut === null && acc * 3 > total) cut = acc;
  }
  bar.append(h('span', { class: 'dim-third', title: 'one third of the active producers', style: { left: `${100 / 3}%` } }));
  const legend = h('ul', { class: 'dim-legend' }, groups.slice(0, 8).map((g) =>
    h('li', { title: g.producers.join(', ') }, [h('span', { class: ['sw', g.cls] }), `${g.value} `, h('span', { class: 'muted' }, String(g.count))]),
  ));
  if (groups.length > 8) legend.append(h('li', { class: 'muted' }, `+${groups.length - 8} more`));
  // Unpublished values count as one group (nothing shows those producers are independent),
  // which reads as alarming on a fresh network: say why.
  const hint = dim.distinct === 0
    ? h('p', { class: 'dim-hint' }, `No active producer has published its ${label.toLowerCase()} yet (eosio::setprodmeta), so they count as one group.`)
    : null;
  return h('div', { class: 'dim', dataset: { dimension: key } }, [
    h('div', { class: 'dim-head' }, [
      h('span', { class: 'dim-name' }, label),
      h('span', { class: 'muted small' }, `${dim.distinct} distinct${dim.unknown ? ` · ${dim.unknown} unpublished` : ''}`),
      h('span', { class: ['risk', risk], title: 'the smallest number of groups that together hold more than a third of the producers' },
        `${k} group${k === 1 ? '' : 's'} > ⅓`),
    ]),
    bar,
    legend,
    hint,
  ]);
}

// ---------------------------------------------------------------------------------------
// Evidence

function signedWhat(e) {
  const vote = (v) => v ? `slots ${int(v.first_slot)}–${int(v.last_slot)} from ${int(v.source_slot)}` : '?';
  const one = (x) => x.type === 'approval'
    ? `approval of ${vote(x.vote)}`
    : `block ${int(x.block.block_num)} voting ${vote(x.vote)}`;
  if (e.kind === 'double_production') return `blocks ${int(e.first.block_num)} and ${int(e.second.block_num)} for slot ${int(e.slot)}`;
  return `${one(e.first)} and ${one(e.second)}`;
}

async function loadResources() {
  const v = await load('/v1/civitas/resources', () => view('resources'));
  if (v) renderResources(v, accountLink);
}

async function loadEvidence() {
  const ev = await load('/v1/civitas/evidence', () => view('evidence'));
  if (!ev) return;
  const rows = [
    ...ev.recorded.map((e) => ({ ...e, status: 'recorded' })),
    ...ev.pending.map((e) => ({ ...e, status: 'pending' })),
  ];
  const tbody = document.querySelector('#evidence-table tbody');
  if (!rows.length) {
    tbody.replaceChildren(h('tr', {}, h('td', { colspan: '6', class: 'empty' }, 'No misbehaviour on record.')));
    return;
  }
  tbody.replaceChildren(...rows.map((e) => h('tr', { dataset: { producer: e.producer } }, [
    h('td', {}, accountLink(e.producer)),
    h('td', {}, e.kind === 'double_production' ? 'double production' : 'conflicting votes'),
    h('td', { class: 'num' }, int(e.slot)),
    h('td', { class: 'num' }, int(e.round)),
    h('td', { class: 'small' }, signedWhat(e)),
    h('td', {}, h('span', { class: ['pill', e.status === 'recorded' ? 'pill-final' : 'pill-rev'] }, e.status)),
  ])));
}

// ---------------------------------------------------------------------------------------
// Latest blocks and transactions

async function loadBlocks() {
  const b = await load('/v1/civitas/blocks', () => view('blocks?limit=12'));
  if (!b) return;
  const top = b.blocks[0]?.num ?? 0;
  const tbody = document.querySelector('#blocks-table tbody');
  tbody.replaceChildren(
    ...b.blocks.map((blk) =>
      h('tr', { class: blk.num > state.blocksTop && state.blocksTop > 0 ? 'fresh' : '', dataset: { block: String(blk.num) } }, [
        h('td', { class: 'num' }, h('a', { href: `#/block/${blk.num}` }, int(blk.num))),
        h('td', { class: 'muted' }, clock(parseTime(blk.time))),
        h('td', {}, accountLink(blk.producer)),
        h('td', { class: ['num', blk.transactions ? 'has-tx' : 'muted'] }, String(blk.transactions)),
        h('td', {}, blk.irreversible ? h('span', { class: 'pill pill-final' }, '✓ final') : h('span', { class: 'pill pill-rev' }, 'reversible')),
      ]),
    ),
  );
  state.blocksTop = Math.max(state.blocksTop, top);
  // Transactions are listed again only when a block with transactions arrived, so a quiet
  // chain costs the node nothing; statuses (reversible → final) are refreshed by the poll.
  const newestTx = b.blocks.find((blk) => blk.transactions > 0)?.num ?? -1;
  if (newestTx > state.lastTxBlock) refresh.transactions.kick();
}

function summary(a) {
  const d = a.data && typeof a.data === 'object' ? a.data : null;
  const actors = (a.authorization || []).map((x) => x.actor).join(', ');
  if (!d) return actors ? `by ${actors}` : '';
  switch (`${a.account}::${a.name}`) {
    case 'eosio.token::transfer': return `${d.from} → ${d.to} ${d.quantity}${d.memo ? ` “${d.memo}”` : ''}`;
    case 'eosio::voteproducer':
      return d.proxy ? `${d.voter} votes through ${d.proxy}` : d.producers?.length ? `${d.voter} votes for ${d.producers.join(', ')}` : `${d.voter} withdraws the vote`;
    case 'eosio::delegatebw': return `${d.from} stakes ${d.stake_net_quantity} + ${d.stake_cpu_quantity} to ${d.receiver}`;
    case 'eosio::undelegatebw': return `${d.from} unstakes ${d.unstake_net_quantity} + ${d.unstake_cpu_quantity}`;
    case 'eosio::regproducer': return `${d.producer} registers as a producer`;
    case 'eosio::setpayrate': return `${d.producer} keeps ${(d.keep_rate / 100).toFixed(2)}%`;
    case 'eosio::claimrewards': return `${d.owner} claims pay`;
    default: {
      const keys = Object.entries(d).slice(0, 3).map(([k, v]) => `${k}: ${typeof v === 'object' ? JSON.stringify(v) : v}`);
      return keys.join(' · ');
    }
  }
}

async function loadTransactions() {
  const t = await load('/v1/civitas/transactions', () => view('transactions?limit=10'));
  if (!t) return;
  state.lastTxBlock = t.transactions[0]?.block_num ?? state.lastTxBlock;
  if (t.transactions.length === 0) {
    fill('tx-list', h('li', { class: 'empty' }, `No transactions in the last ${t.searched_blocks} blocks.`));
    return;
  }
  fill('tx-list', t.transactions.map((tx) =>
    h('li', { class: 'tx', dataset: { tx: tx.id } }, [
      h('div', { class: 'tx-top' }, [
        h('a', { href: `#/tx/${tx.id}`, class: 'mono' }, short(tx.id, 10, 4)),
        h('span', { class: 'muted small' }, ['in ', h('a', { href: `#/block/${tx.block_num}` }, `#${int(tx.block_num)}`), ` · ${clock(parseTime(tx.block_time))}`]),
        tx.irreversible ? h('span', { class: 'pill pill-final' }, '✓ final') : h('span', { class: 'pill pill-rev' }, 'reversible'),
      ]),
      ...tx.actions.map((a) => h('div', { class: 'tx-action' }, [
        h('span', { class: 'act' }, `${a.account}::${a.name}`),
        h('span', { class: 'act-sum' }, summary(a)),
      ])),
    ]),
  ));
}

// ---------------------------------------------------------------------------------------
// Lookup: #/block/N, #/tx/ID, #/account/NAME (links anywhere on the page use these).

function accountLink(name) {
  return h('a', { href: `#/account/${name}`, class: 'acct' }, name);
}

function kv(pairs) {
  return h('dl', { class: 'kv' }, pairs.filter(Boolean).map(([k, v]) => h('div', {}, [h('dt', {}, k), h('dd', {}, v)])));
}

function raw(obj) {
  return h('details', { class: 'raw' }, [h('summary', {}, 'Raw JSON'), h('pre', {}, JSON.stringify(obj, null, 2))]);
}

function actionsBlock(actions) {
  return h('ol', { class: 'actions' }, actions.map((a) =>
    h('li', {}, [
      h('div', {}, [h('span', { class: 'act' }, `${a.account}::${a.name}`), ' ', h('span', { class: 'muted small' }, (a.authorization || []).map((x) => `${x.actor}@${x.permission}`).join(', '))]),
      h('div', { class: 'act-sum' }, summary(a)),
    ]),
  ));
}

async function showBlock(ref) {
  const b = await chain('get_block', { block_num_or_id: ref });
  const txs = b.transactions || [];
  return [`Block #${int(b.block_num)}`, [
    kv([
      ['Id', h('span', { class: 'mono break' }, b.id)],
      ['Time', `${b.timestamp} UTC`],
      ['Producer', accountLink(b.producer)],
      ['Slot', int(b.slot)],
      ['Status', b.irreversible ? 'irreversible' : 'reversible'],
      ['Previous', b.block_num > 1 ? h('a', { href: `#/block/${b.block_num - 1}`, class: 'mono' }, short(b.previous, 12, 6)) : '—'],
      ['Approvals', String(b.approvals ?? 0)],
      ['Transactions', String(txs.length)],
    ]),
    txs.length ? h('h3', { class: 'sub-title' }, 'Transactions') : null,
    txs.length ? h('ul', { class: 'tx-list' }, txs.map((t) => h('li', { class: 'tx' }, [
      h('a', { href: `#/tx/${t.trx.id}`, class: 'mono' }, short(t.trx.id, 12, 6)),
      actionsBlock(t.trx.transaction?.actions || []),
    ]))) : null,
    raw(b),
  ]];
}

async function showTransaction(id) {
  const t = await view(`transaction/${id}`);
  return ['Transaction', [
    kv([
      ['Id', h('span', { class: 'mono break' }, t.id)],
      ['Status', t.status],
      t.block_num ? ['Block', h('a', { href: `#/block/${t.block_num}` }, `#${int(t.block_num)}`)] : null,
      t.block_time ? ['Time', `${t.block_time} UTC`] : null,
      ['Expires', `${t.transaction.expiration} UTC`],
      ['Signatures', String(t.signatures.length)],
    ]),
    h('h3', { class: 'sub-title' }, 'Actions'),
    actionsBlock(t.transaction.actions),
    raw(t),
  ]];
}

async function showAccount(name) {
  const a = await chain('get_account', { account_name: name });
  const prod = state.producers?.rows.find((r) => r.owner === name);
  const voter = a.voter_info;
  const perms = a.permissions.map((p) => h('li', {}, [
    h('strong', {}, p.perm_name), ` (threshold ${p.required_auth.threshold}) `,
    ...p.required_auth.keys.map((k) => h('span', { class: 'mono small break' }, `${k.key} `)),
    ...p.required_auth.accounts.map((x) => h('span', { class: 'small' }, `${x.permission.actor}@${x.permission.permission} `)),
  ]));
  return [`Account ${a.account_name}`, [
    kv([
      ['Balance', a.core_liquid_balance || '—'],
      ['Staked', voter ? `${tok(tokens(voter.staked))}` : '—'],
      ['Votes for', voter?.producers?.length ? h('span', {}, voter.producers.flatMap((p, i) => [i ? ', ' : '', accountLink(p)])) : voter?.proxy ? `proxy ${voter.proxy}` : '—'],
      ['Created', `${a.created} UTC`],
      prod ? ['Candidate', `rank ${prod.rank} · ${tok(tokens(prod.total_votes))} · ${prod.in_schedule ? 'active' : 'standby'}`] : null,
      prod ? ['Production', `${int(prod.produced)} produced · ${int(prod.missed)} missed · keeps ${prod.keep_rate ?? '—'}%`] : null,
      prod ? ['Pay', `kept ${prod.kept_total} · returned ${prod.returned_total} · unclaimed ${prod.unclaimed}`] : null,
      prod && (prod.country || prod.network) ? ['Location', [prod.country, prod.jurisdiction, prod.network, prod.hardware].filter(Boolean).join(' · ')] : null,
    ]),
    h('h3', { class: 'sub-title' }, 'Permissions'),
    h('ul', { class: 'perms' }, perms),
    raw(a),
  ]];
}

let routeSeq = 0;

async function route() {
  const seq = ++routeSeq;
  const m = /^#\/(block|tx|account)\/(.+)$/.exec(location.hash);
  const dialog = document.getElementById('detail');
  if (!m) {
    if (dialog.open) dialog.close();
    return;
  }
  const [, kind, arg] = m;
  const value = decodeURIComponent(arg);
  text('detail-title', 'Looking up…');
  fill('detail-body', h('p', { class: 'muted' }, value));
  if (!dialog.open) dialog.showModal();
  try {
    const [title, body] =
      kind === 'block' ? await showBlock(value) : kind === 'tx' ? await showTransaction(value) : await showAccount(value);
    if (seq !== routeSeq) return; // a later lookup owns the dialog now
    text('detail-title', title);
    fill('detail-body', body);
  } catch (e) {
    if (seq !== routeSeq) return;
    text('detail-title', 'Not found');
    fill('detail-body', h('p', { class: 'error' }, e instanceof ApiError ? e.message : String(e)));
  }
}

/** What a lookup text means: a block number, a 64-hex id (transaction or block), or an account. */
async function lookup(q) {
  const v = q.trim();
  if (!v) return;
  if (/^\d+$/.test(v)) { location.hash = `#/block/${v}`; return; }
  if (/^[0-9a-fA-F]{64}$/.test(v)) {
    // A block id starts with its block number; ask the block store first when the number is
    // one the chain has, otherwise it is a transaction id.
    const num = parseInt(v.slice(0, 8), 16);
    if (state.head && num >= 1 && num <= state.head.num) {
      try {
        const b = await chain('get_block_info', { block_num: num });
        if (b.id.toLowerCase() === v.toLowerCase()) { location.hash = `#/block/${v.toLowerCase()}`; return; }
      } catch { /* not that block: a transaction id */ }
    }
    location.hash = `#/tx/${v.toLowerCase()}`;
    return;
  }
  location.hash = `#/account/${v.toLowerCase()}`;
}

// ---------------------------------------------------------------------------------------
// Start

const refresh = {
  schedule: new Refresher(loadSchedule, { minGap: 250, every: 1500 }),
  finality: new Refresher(loadFinality, { minGap: 1000, every: 3000 }),
  producers: new Refresher(loadProducers, { minGap: 2000, every: 5000 }),
  diversity: new Refresher(loadDiversity, { minGap: 5000, every: 30000 }),
  blocks: new Refresher(loadBlocks, { minGap: 1000, every: 3000 }),
  transactions: new Refresher(loadTransactions, { minGap: 2000, every: 15000 }),
  evidence: new Refresher(loadEvidence, { minGap: 5000, every: 15000 }),
  resources: new Refresher(loadResources, { minGap: 2000, every: 5000 }),
};

async function start() {
  document.getElementById('lookup').addEventListener('submit', (e) => {
    e.preventDefault();
    lookup(document.getElementById('lookup-input').value);
  });
  const dialog = document.getElementById('detail');
  // Closing by hand drops the lookup from the address at once. (The dialog's `close` event
  // comes later, as a task, and could drop a lookup made in between.)
  const forget = () => {
    if (location.hash.startsWith('#/')) history.replaceState(null, '', location.pathname + location.search);
  };
  const closeDetail = () => { forget(); dialog.close(); };
  document.getElementById('detail-close').addEventListener('click', closeDetail);
  dialog.addEventListener('cancel', forget); // Escape
  dialog.addEventListener('click', (e) => { if (e.target === dialog) closeDetail(); });
  document.getElementById('election-more').addEventListener('click', () => {
    state.showAllCandidates = !state.showAllCandidates;
    renderElection();
  });
  window.addEventListener('hashchange', route);

  const node = await load('/v1/civitas/node', () => view('node'));
  if (node) {
    state.node = node;
    text('chain-name', node.chain_name);
    document.title = `${node.chain_name} · Civitas dashboard`;
    text('footer-node', `${node.node_name} · ${node.server_version_string} · chain ${short(node.chain_id, 10, 6)}`);
  }
  stream({ head: onHead, lib: onLib, lagged: () => refresh.finality.kick(), status: setLive });
  for (const r of Object.values(refresh)) r.kick();
  setInterval(tickClock, 100);
  // Relative times ("3 s ago") and the chart's moving window.
  setInterval(() => { renderHeadLib(); }, 1000);
  route();
}

start();
