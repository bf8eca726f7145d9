// The dashboard's acceptance test (issue 7): real headless Chromium (Debian's package), driven
// by playwright-core, against a running node or local network.
//
//   CIVITAS_URL       base URL of a node (default http://127.0.0.1:8888)
//   CIVITAS_ACCOUNTS  accounts.json with the genesis accounts' private keys
//                     (default out/dashboard-dev/accounts.json, written by the dev example)
//   CHROMIUM          the browser (default /usr/bin/chromium)
//   DASHBOARD_OUT     where screenshots go (default the repository's ignored out/ folder)
//
// The vote is cast the way a wallet would: @wharfkit/antelope reads the chain, builds the
// voteproducer action from the node's ABI, signs it and pushes it through /v1/chain.
// tests/dashboard/run.sh installs what this needs and can start the dev node itself.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, mkdirSync, existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { APIClient, FetchProvider, PrivateKey, Transaction, SignedTransaction, Action, Name } from '@wharfkit/antelope';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '..', '..');
const BASE = (process.env.CIVITAS_URL || 'http://127.0.0.1:8888').replace(/\/+$/, '');
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const ACCOUNTS = process.env.CIVITAS_ACCOUNTS || resolve(root, 'out/dashboard-dev/accounts.json');
const OUT = process.env.DASHBOARD_OUT || resolve(root, 'out');
/** Test users of `civitas localnet up` (funded and staked), tried in this order for the vote. */
const VOTERS = ['alice', 'bob', 'carol'];

let browser;
let page;
let schedule; // /v1/civitas/schedule when the test started
const problems = []; // console errors, page errors and failed same-origin requests

async function api(path, body) {
  const res = await fetch(`${BASE}${path}`, body === undefined ? {} : { method: 'POST', body: JSON.stringify(body) });
  const json = await res.json();
  if (!res.ok) throw new Error(`${path}: HTTP ${res.status}: ${JSON.stringify(json.error ?? json)}`);
  return json;
}

async function waitForNode(timeoutMs = 60000) {
  const end = Date.now() + timeoutMs;
  let last;
  while (Date.now() < end) {
    try {
      const info = await api('/v1/chain/get_info');
      if (info.head_block_num >= 2) return info;
    } catch (e) {
      last = e;
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`no node at ${BASE} producing blocks within ${timeoutMs / 1000} s (${last?.message ?? 'head below 2'})`);
}

/** Private keys by account from accounts.json, whatever its exact layout. */
function loadKeys(path) {
  if (!existsSync(path)) throw new Error(`accounts file ${path} not found (set CIVITAS_ACCOUNTS)`);
  const doc = JSON.parse(readFileSync(path, 'utf8'));
  const list = Array.isArray(doc) ? doc : Array.isArray(doc.accounts) ? doc.accounts : null;
  const keys = new Map();
  const isKey = (v) => typeof v === 'string' && (v.startsWith('PVT_K1_') || /^5[1-9A-HJ-NP-Za-km-z]{50}$/.test(v));
  if (list) {
    for (const a of list) {
      const name = a.name ?? a.account ?? a.account_name;
      // Prefer the active key (what voteproducer@active needs), then any private key.
      const fields = Object.keys(a).sort((x, y) => Number(/active/.test(y)) - Number(/active/.test(x)));
      const key = fields.map((f) => a[f]).find(isKey) ?? Object.values(a.keys ?? {}).find(isKey);
      if (name && key) keys.set(name, key);
    }
  } else if (doc && typeof doc === 'object') {
    for (const [name, v] of Object.entries(doc)) {
      const key = isKey(v) ? v : Object.values(v ?? {}).find(isKey);
      if (key) keys.set(name, key);
    }
  }
  return keys;
}

function nameValue(n) {
  return BigInt(Name.from(n).value.toString());
}

/** The rank `owner` would have with `votes`, ranked as the election ranks (votes, then name). */
function rankWith(rows, owner, votes) {
  const v = nameValue(owner);
  return 1 + rows.filter((r) => r.owner !== owner && (r.total_votes > votes || (r.total_votes === votes && nameValue(r.owner) < v))).length;
}

/**
 * A vote that certainly moves a candidate: a test user adds a candidate it does not approve yet
 * (its total grows by the user's stake) or, failing that, withdraws one (it shrinks).
 */
async function planVote(client, keys) {
  const { rows } = await api('/v1/civitas/producers');
  const candidates = rows.filter((r) => r.is_active);
  for (const voter of VOTERS.filter((v) => keys.has(v))) {
    const acct = await api('/v1/chain/get_account', { account_name: voter });
    const info = acct.voter_info;
    if (!info || info.proxy) continue; // no stake, or votes through a proxy
    const weight = Number(info.staked);
    if (!(weight > 0)) continue;
    const approved = new Set(info.producers);
    if (approved.size < 30) {
      for (const r of candidates.slice().reverse()) {
        if (approved.has(r.owner)) continue;
        const to = rankWith(candidates, r.owner, r.total_votes + weight);
        if (to < r.rank) return { voter, producers: [...approved, r.owner], target: r.owner, from: r.rank, to, up: true };
      }
    }
    for (const r of candidates) {
      if (!approved.has(r.owner)) continue;
      const to = rankWith(candidates, r.owner, r.total_votes - weight);
      if (to > r.rank) {
        return { voter, producers: [...approved].filter((p) => p !== r.owner), target: r.owner, from: r.rank, to, up: false };
      }
    }
  }
  throw new Error(`none of ${VOTERS.join(', ')} (with keys in ${ACCOUNTS}) can change a candidate's rank by voting`);
}

async function castVote(client, key, plan) {
  const info = await client.v1.chain.get_info();
  const { abi } = await client.v1.chain.get_abi('eosio');
  const producers = plan.producers.slice().sort((a, b) => (nameValue(a) < nameValue(b) ? -1 : 1));
  const action = Action.from(
    {
      account: 'eosio',
      name: 'voteproducer',
      authorization: [{ actor: plan.voter, permission: 'active' }],
      data: { voter: plan.voter, proxy: '', producers },
    },
    abi,
  );
  const transaction = Transaction.from({ ...info.getTransactionHeader(120), actions: [action] });
  const signature = PrivateKey.from(key).signDigest(transaction.signingDigest(info.chain_id));
  const signed = SignedTransaction.from({ ...transaction, signatures: [signature] });
  return client.v1.chain.push_transaction(signed);
}

/** Waits until `fn` (run in the page) returns a truthy value; returns it. */
async function until(fn, arg, timeoutMs, what) {
  try {
    const handle = await page.waitForFunction(fn, arg, { timeout: timeoutMs, polling: 100 });
    return await handle.jsonValue();
  } catch (e) {
    throw new Error(`${what} within ${timeoutMs / 1000} s: ${e.message.split('\n')[0]}`);
  }
}

before(async () => {
  await waitForNode();
  schedule = await api('/v1/civitas/schedule');
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    // As root in CI Chromium needs --no-sandbox; the rest keep it off the (closed) network.
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
  page = await browser.newPage({ viewport: { width: 1440, height: 1000 }, colorScheme: 'dark' });
  const origin = new URL(BASE).origin;
  page.on('console', (m) => { if (m.type() === 'error') problems.push(`console: ${m.text()}`); });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('response', (r) => {
    if (r.url().startsWith(origin) && r.status() >= 400) problems.push(`HTTP ${r.status()} for ${r.url()}`);
  });
  page.on('requestfailed', (r) => {
    // Closing the page aborts the event stream: that is not the page's fault.
    if (r.url().startsWith(origin) && r.failure()?.errorText !== 'net::ERR_ABORTED') {
      problems.push(`request failed: ${r.url()} (${r.failure()?.errorText})`);
    }
  });
});

after(async () => {
  await browser?.close();
});

test('the page loads from the node without console errors', { timeout: 60000 }, async () => {
  const res = await page.goto(`${BASE}/`, { waitUntil: 'load' });
  assert.equal(res.status(), 200);
  assert.match(res.headers()['content-type'], /^text\/html/);
  await until(() => document.querySelector('#live')?.dataset.state === 'live', null, 20000, 'the event stream is live');
  await until(() => document.querySelectorAll('#election-table tbody tr').length > 0, null, 20000, 'the election table fills');
  await until(() => document.querySelectorAll('#diversity-body .dim').length === 4, null, 20000, 'the diversity report shows');
  await until(() => document.querySelectorAll('#blocks-table tbody tr').length > 0, null, 20000, 'the latest blocks show');
  // An honest localnet has no misbehaviour on record: the evidence card says so.
  await until(() => /No misbehaviour on record/.test(document.querySelector('#evidence-table tbody')?.textContent ?? ''), null, 20000, 'the evidence card shows');
  await page.waitForTimeout(1500);
  assert.deepEqual(problems, [], 'no console errors, page errors or failed requests');
});

test('the ring shows the 21 active producers in schedule order', { timeout: 30000 }, async () => {
  const n = schedule.producers.length;
  assert.equal(n, 21, 'the network runs 21 active producers');
  const names = await until(
    (want) => {
      const nodes = [...document.querySelectorAll('#ring-box g.node:not(.leaving)')];
      return nodes.length === want ? nodes.map((g) => g.dataset.producer) : null;
    },
    n,
    15000,
    '21 producers on the ring',
  );
  assert.equal(new Set(names).size, 21);
  const now = await api('/v1/civitas/schedule');
  // Between reads a new round may have been seated; the ring shows one of the two schedules.
  const sets = [schedule, now].map((s) => s.producers.map((p) => p.producer_name).sort().join());
  assert.ok(sets.includes(names.slice().sort().join()), `the ring is an active schedule: ${names}`);
});

test('the highlight follows the producer of the current slot', { timeout: 60000 }, async () => {
  const interval = schedule.block_interval_ms;
  const first = await until(() => document.querySelector('#ring-box g.node.current')?.dataset.producer, null, 15000,
    'a producer highlighted');
  const seen = new Set([first]);
  // Within a few slots the highlight must have moved on at least twice.
  const end = Date.now() + Math.max(15000, interval * 8);
  while (seen.size < 3 && Date.now() < end) {
    await page.waitForTimeout(Math.min(250, interval / 2));
    const cur = await page.evaluate(() => document.querySelector('#ring-box g.node.current')?.dataset.producer);
    if (cur) seen.add(cur);
  }
  assert.ok(seen.size >= 3, `the highlight moved: ${[...seen]}`);
  const highlighted = await page.evaluate(() => document.querySelectorAll('#ring-box g.node.current').length);
  assert.ok(highlighted <= 1, 'at most one producer is highlighted');
});

test('head and LIB numbers advance', { timeout: 120000 }, async () => {
  const read = () => page.evaluate(() => ({
    head: Number(document.querySelector('#head-num').textContent.replace(/[^0-9]/g, '')),
    lib: Number(document.querySelector('#lib-num').textContent.replace(/[^0-9]/g, '')),
  }));
  const start = await read();
  assert.ok(start.head > 0 && start.lib > 0, `numbers shown: ${JSON.stringify(start)}`);
  assert.ok(start.lib <= start.head, 'the LIB is not above the head');
  await until((h) => Number(document.querySelector('#head-num').textContent.replace(/[^0-9]/g, '')) > h, start.head,
    20000, 'the head advances');
  await until((l) => Number(document.querySelector('#lib-num').textContent.replace(/[^0-9]/g, '')) > l, start.lib,
    90000, 'the LIB advances');
  const chartLines = await page.locator('#finality-chart path.chart-line').count();
  assert.equal(chartLines, 2, 'the head-vs-LIB chart draws both lines');
});

test('a vote cast through the API changes the ranking within a round', { timeout: 120000 }, async () => {
  const keys = loadKeys(ACCOUNTS);
  const client = new APIClient({ provider: new FetchProvider(BASE, { fetch }) });
  const plan = await planVote(client, keys);
  const shown = await page.evaluate((t) => document.querySelector(`#election-table tr[data-producer="${t}"]`)?.dataset.rank, plan.target);
  if (shown === undefined) {
    // The table shows the top 30; a lower candidate needs "show all".
    await page.click('#election-more');
  }
  // The page polls the ranking every few seconds: wait until it agrees with the API's.
  await until(([t, from]) => document.querySelector(`#election-table tr[data-producer="${t}"]`)?.dataset.rank === String(from),
    [plan.target, plan.from], 15000, `the page shows ${plan.target} at rank ${plan.from} before the vote`);
  const sched = await api('/v1/civitas/schedule');
  const roundMs = sched.round_length_slots * sched.block_interval_ms;
  const t0 = Date.now();
  const res = await castVote(client, keys.get(plan.voter), plan);
  assert.ok(String(res.transaction_id).length === 64, 'the push is accepted');
  const after = Number(await until(
    ([t, from, up]) => {
      const r = Number(document.querySelector(`#election-table tr[data-producer="${t}"]`)?.dataset.rank);
      return (up ? r < from : r > from) ? r : null;
    },
    [plan.target, plan.from, plan.up],
    roundMs,
    `${plan.voter}'s vote moves ${plan.target} ${plan.up ? 'up' : 'down'} from rank ${plan.from} on the page`,
  ));
  const took = Date.now() - t0;
  assert.ok(took <= roundMs, `the ranking changed within a round (${took} ms ≤ ${roundMs} ms)`);
  assert.ok(plan.up ? after < plan.from : after > plan.from);
});

test('the resources panel shows block usage, the RAM market and who used the chain', { timeout: 60000 }, async () => {
  // A fresh transfer, so that someone has used the chain within the panel's window.
  const keys = loadKeys(ACCOUNTS);
  const client = new APIClient({ provider: new FetchProvider(BASE, { fetch }) });
  const [from, key] = [...keys.entries()].find(([name]) => name === 'alice') ?? [...keys.entries()][0];
  const to = [...keys.keys()].find((name) => name !== from);
  const info = await client.v1.chain.get_info();
  const { abi } = await client.v1.chain.get_abi('eosio.token');
  const action = Action.from({
    account: 'eosio.token',
    name: 'transfer',
    authorization: [{ actor: from, permission: 'active' }],
    data: { from, to, quantity: '0.0001 CIV', memo: 'resources panel' },
  }, abi);
  const transaction = Transaction.from({ ...info.getTransactionHeader(120), actions: [action] });
  const signature = PrivateKey.from(key).signDigest(transaction.signingDigest(info.chain_id));
  await client.v1.chain.push_transaction(SignedTransaction.from({ ...transaction, signatures: [signature] }));
  await until((who) => document.querySelector('#res-users tbody')?.textContent.includes(who), from, 20000, `the panel lists ${from} among the top users`);
  await until(() => / CIV$/.test(document.getElementById('res-ram-price')?.textContent ?? ''), null, 10000, 'the RAM price shows');
  await until(() => /µs of /.test(document.getElementById('res-cpu')?.textContent ?? ''), null, 10000, 'block CPU against the limit shows');
  const bars = await page.evaluate(() => document.querySelectorAll('#res-blocks .res-bar').length);
  assert.ok(bars > 0, 'the latest blocks are drawn');
});

test('lookups find an account and a block', { timeout: 30000 }, async () => {
  await page.fill('#lookup-input', 'alice');
  await page.press('#lookup-input', 'Enter');
  await until(() => document.querySelector('#detail-title')?.textContent === 'Account alice', null, 10000, 'the account opens');
  await page.click('#detail-close');
  await page.fill('#lookup-input', '2');
  await page.press('#lookup-input', 'Enter');
  await until(() => document.querySelector('#detail-title')?.textContent === 'Block #2', null, 10000, 'the block opens');
  await page.click('#detail-close');
  assert.equal(await page.evaluate(() => document.querySelector('#detail').open), false);
});

test('the page fits a phone, and screenshots are saved', { timeout: 60000 }, async () => {
  mkdirSync(OUT, { recursive: true });
  await page.waitForTimeout(1000);
  await page.screenshot({ path: resolve(OUT, 'dashboard.png'), fullPage: true });
  await page.setViewportSize({ width: 375, height: 812 });
  await page.waitForTimeout(1500);
  const { scroll, client } = await page.evaluate(() => ({
    scroll: document.documentElement.scrollWidth,
    client: document.documentElement.clientWidth,
  }));
  assert.ok(scroll <= client, `no sideways scrolling at 375 px (page is ${scroll} px wide)`);
  const ringWidth = await page.evaluate(() => document.querySelector('#ring-box svg').getBoundingClientRect().width);
  assert.ok(ringWidth >= 300 && ringWidth <= 375, `the ring fits the phone's width (${ringWidth} px)`);
  await page.screenshot({ path: resolve(OUT, 'dashboard-phone.png'), fullPage: false });
  assert.ok(existsSync(resolve(OUT, 'dashboard.png')));
  assert.deepEqual(problems, [], 'no console errors, page errors or failed requests during the whole run');
});
