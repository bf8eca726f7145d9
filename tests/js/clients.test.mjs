// The unmodified eosjs 22 and @wharfkit/antelope against a running Civitas node (issue 6, part 3).
//
//   CIVITAS_URL       the node's HTTP API, e.g. http://127.0.0.1:8888
//   CIVITAS_ACCOUNTS  the localnet's accounts.json ([{name, role, public_key, private_key}])
//
//   npm ci --prefix tests/js
//   CIVITAS_URL=… CIVITAS_ACCOUNTS=…/accounts.json node --test tests/js/clients.test.mjs
//
// The tests run in file order and build on each other's state only through the chain (each one
// reads what it needs first), so they can be re-run against the same localnet. They use the
// libraries exactly as their documentation shows (shared/research/client-surface.md, section 3):
// Node's own fetch, no headers, eosjs `transact` with blocksBehind/expireSeconds, Wharfkit's
// `getTransactionHeader` + `PackedTransaction.fromSigned`.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';

import { Api, JsonRpc, RpcError } from 'eosjs';
import { JsSignatureProvider } from 'eosjs/dist/eosjs-jssig.js';
import {
    ABI,
    APIClient,
    APIError,
    Action,
    Asset,
    BlockId,
    Checksum256,
    CompressionType,
    Float64,
    Name,
    PackedTransaction,
    PermissionLevel,
    PrivateKey,
    PublicKey,
    Serializer,
    SignedTransaction,
    TimePoint,
    Transaction,
    UInt32,
    UInt64,
} from '@wharfkit/antelope';
import { AccountKit } from '@wharfkit/account';
import { ChainDefinition } from '@wharfkit/common';
import { Resources } from '@wharfkit/resources';

const URL = process.env.CIVITAS_URL;
const ACCOUNTS = process.env.CIVITAS_ACCOUNTS;
if (!URL || !ACCOUNTS) {
    throw new Error('set CIVITAS_URL (the node API) and CIVITAS_ACCOUNTS (the localnet accounts.json)');
}
const accounts = JSON.parse(readFileSync(ACCOUNTS, 'utf8'));
const account = (name) => {
    const a = accounts.find((a) => a.name === name);
    assert.ok(a, `${name} is in ${ACCOUNTS}`);
    return a;
};
const alice = account('alice');
const bob = account('bob');
const carol = account('carol');
// Ascending by name (for valid names, string order is the u64 order voteproducer requires).
const producers = accounts
    .filter((a) => a.role === 'producer')
    .map((a) => a.name)
    .sort();
assert.ok(producers.length >= 2, 'the localnet has at least two producers');

const TIMEOUT = { timeout: 90_000 };
const HEX64 = /^[0-9a-f]{64}$/;
// ISO 8601 UTC without a zone suffix: both clients append `Z` themselves.
const TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?$/;
const ASSET = /^(\d+)\.(\d{4}) CIV$/;
// Genesis stake of each user (localnet plan): 100,000.0000 CIV in units of 0.0001.
const USER_STAKE = 100_000_0000;

// eosjs: Node's built-in fetch (eosjs falls back to global.fetch), as eosjs users on Node ≥ 18 do.
const rpc = new JsonRpc(URL);
const eosjsApi = (key) =>
    new Api({
        rpc,
        signatureProvider: new JsSignatureProvider([key]),
        textDecoder: new TextDecoder(),
        textEncoder: new TextEncoder(),
    });
// Wharfkit: the plain APIClient (its FetchProvider, global fetch).
const client = new APIClient({ url: URL });

/** "1.2345 CIV" → 12345 (units of 0.0001). */
function units(asset) {
    const m = ASSET.exec(asset);
    assert.ok(m, `"${asset}" is a CIV asset string with 4 decimals`);
    return Number(m[1]) * 10_000 + Number(m[2]);
}

/** 12345 → "1.2345 CIV". */
function civ(u) {
    return `${Math.trunc(u / 10_000)}.${String(u % 10_000).padStart(4, '0')} CIV`;
}

/** Polls `f` until it returns a truthy value, or fails naming `what`. */
async function waitFor(what, f, ms = 30_000) {
    const t0 = Date.now();
    let last;
    for (;;) {
        last = await f();
        if (last) return last;
        if (Date.now() - t0 > ms) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
        await new Promise((r) => setTimeout(r, 250));
    }
}

/** alice's (or anyone's) CIV balance in units, through eosjs. */
async function balance(name) {
    const rows = await rpc.get_currency_balance('eosio.token', name, 'CIV');
    assert.ok(Array.isArray(rows), 'get_currency_balance answers a bare array');
    assert.equal(rows.length, 1, `${name} holds CIV`);
    return units(rows[0]);
}

/** The `voters` row of `name` through eosjs get_table_rows (exact bounds). */
async function voterRow(name) {
    const r = await rpc.get_table_rows({
        json: true,
        code: 'eosio',
        scope: 'eosio',
        table: 'voters',
        lower_bound: name,
        upper_bound: name,
        limit: 1,
    });
    assert.equal(r.rows.length, 1, `one voters row for ${name}`);
    assert.equal(r.more, false);
    assert.equal(r.rows[0].owner, name);
    return r.rows[0];
}

/** owner → total_votes of the whole `producers` table, through eosjs. */
async function producerVotes() {
    const r = await rpc.get_table_rows({ json: true, code: 'eosio', scope: 'eosio', table: 'producers', limit: 1000 });
    assert.equal(r.more, false);
    return new Map(r.rows.map((row) => [row.owner, Number(row.total_votes)]));
}

function transferAction(from, to, quantity, memo) {
    return {
        account: 'eosio.token',
        name: 'transfer',
        authorization: [{ actor: from, permission: 'active' }],
        data: { from, to, quantity, memo },
    };
}

function assertExecuted(res, what) {
    assert.match(res.transaction_id, HEX64, `${what}: transaction_id`);
    assert.equal(res.processed.id, res.transaction_id, `${what}: processed.id`);
    assert.equal(res.processed.receipt.status, 'executed', `${what}: receipt`);
    assert.equal(res.processed.except ?? null, null, `${what}: no except`);
    assert.ok(Number.isSafeInteger(res.processed.block_num) && res.processed.block_num > 0, `${what}: block_num`);
    assert.match(res.processed.block_time, TIME, `${what}: block_time`);
}

/** Waits until the transaction is in a block on the head's chain and checks that block lists it. */
async function assertInBlock(id) {
    const status = await waitFor(`${id} in a block`, async () => {
        const s = await rpc.fetch('/v1/chain/get_transaction_status', { id });
        return ['IN_BLOCK', 'IRREVERSIBLE'].includes(s.state) && s;
    });
    const block = await rpc.get_block(status.block_number);
    assert.equal(block.block_num, status.block_number);
    assert.ok(
        block.transactions.some((t) => t.trx.id === id),
        `block ${status.block_number} lists ${id}`,
    );
}

test('get_info through eosjs and Wharfkit', TIMEOUT, async () => {
    const e = await rpc.get_info();
    assert.equal(typeof e.server_version, 'string');
    assert.match(e.chain_id, HEX64);
    for (const f of [
        'head_block_num',
        'last_irreversible_block_num',
        'virtual_block_cpu_limit',
        'virtual_block_net_limit',
        'block_cpu_limit',
        'block_net_limit',
    ]) {
        assert.ok(Number.isSafeInteger(e[f]) && e[f] >= 0, `${f} is a JSON integer (got ${JSON.stringify(e[f])})`);
    }
    assert.ok(e.head_block_num >= 2, 'the chain is producing');
    assert.ok(e.last_irreversible_block_num <= e.head_block_num);
    assert.match(e.head_block_id, HEX64);
    assert.match(e.last_irreversible_block_id, HEX64);
    // Block ids begin with the block number, big-endian (TAPOS depends on it).
    assert.equal(parseInt(e.head_block_id.slice(0, 8), 16), e.head_block_num);
    assert.equal(parseInt(e.last_irreversible_block_id.slice(0, 8), 16), e.last_irreversible_block_num);
    assert.match(e.head_block_time, TIME);
    assert.match(e.last_irreversible_block_time, TIME);
    assert.ok(producers.includes(e.head_block_producer), `head producer ${e.head_block_producer}`);

    const w = await client.v1.chain.get_info();
    assert.ok(w.chain_id instanceof Checksum256);
    assert.equal(String(w.chain_id), e.chain_id);
    assert.ok(w.head_block_num instanceof UInt32);
    assert.ok(w.head_block_num.toNumber() >= e.head_block_num);
    assert.ok(w.last_irreversible_block_num.toNumber() >= e.last_irreversible_block_num);
    assert.ok(w.head_block_id instanceof BlockId);
    assert.equal(w.head_block_id.blockNum.toNumber(), w.head_block_num.toNumber());
    assert.equal(w.last_irreversible_block_id.blockNum.toNumber(), w.last_irreversible_block_num.toNumber());
    assert.ok(w.head_block_time instanceof TimePoint);
    // Block time is slot time: close to the wall clock on a live localnet.
    const skew = Math.abs(w.head_block_time.toMilliseconds() - Date.now());
    assert.ok(skew < 60_000, `head_block_time ${w.head_block_time} is ${skew} ms from now`);
    assert.ok(w.head_block_producer instanceof Name);
    assert.ok(producers.includes(String(w.head_block_producer)));
    for (const f of ['virtual_block_cpu_limit', 'virtual_block_net_limit', 'block_cpu_limit', 'block_net_limit']) {
        assert.ok(w[f] instanceof UInt64, f);
        assert.equal(w[f].toNumber(), e[f], f);
    }
    // The TAPOS header Wharfkit derives from it: the LIB, expiration from block time.
    const header = w.getTransactionHeader(60);
    assert.equal(header.ref_block_num.toNumber(), w.last_irreversible_block_num.toNumber() & 0xffff);
    assert.equal(header.expiration.toMilliseconds(), Math.round(w.head_block_time.toMilliseconds() / 1000 + 60) * 1000);

    // The block lookups eosjs makes for `blocksBehind` (which one depends on the LIB's lag; on a
    // small localnet head−3 is usually irreversible already, so check both on the LIB).
    const lib = e.last_irreversible_block_num;
    const bhs = await rpc.get_block_header_state(lib);
    assert.equal(bhs.block_num, lib);
    assert.equal(bhs.id, e.last_irreversible_block_id);
    assert.equal(bhs.header.timestamp, e.last_irreversible_block_time);
    const bi = await rpc.get_block_info(lib);
    assert.equal(bi.block_num, lib);
    assert.equal(bi.id, e.last_irreversible_block_id);
    assert.equal(bi.timestamp, e.last_irreversible_block_time);
    // Wharfkit's typed get_block_info (requires every header field and a valid signature).
    const wbi = await client.v1.chain.get_block_info(lib);
    assert.equal(String(wbi.id), e.last_irreversible_block_id);
    assert.equal(wbi.ref_block_num.toNumber(), lib & 0xffff);
    assert.equal(wbi.ref_block_prefix.toNumber(), Buffer.from(e.last_irreversible_block_id, 'hex').readUInt32LE(8));
    assert.ok(producers.includes(String(wbi.producer)));
});

test('balances and an account through eosjs and Wharfkit', TIMEOUT, async () => {
    for (const name of ['alice', 'bob', 'carol']) {
        const bySymbol = await rpc.get_currency_balance('eosio.token', name, 'CIV');
        assert.equal(bySymbol.length, 1);
        assert.ok(units(bySymbol[0]) > 0, `${name} has a positive balance`);
        // eosjs sends `"symbol": null` when none is given: every balance in the contract.
        assert.deepEqual(await rpc.get_currency_balance('eosio.token', name), bySymbol);
        const typed = await client.v1.chain.get_currency_balance('eosio.token', name, 'CIV');
        assert.equal(typed.length, 1);
        assert.ok(typed[0] instanceof Asset);
        assert.equal(String(typed[0].symbol), '4,CIV');
        // Balances can move between the two reads only by our own transactions; none is in flight.
        assert.equal(String(typed[0]), bySymbol[0]);
    }

    // Wharfkit's typed AccountObject (a missing required field would throw while decoding).
    const acc = await client.v1.chain.get_account('alice');
    assert.ok(acc.account_name.equals('alice'));
    assert.equal(String(acc.core_liquid_balance), civ(await balance('alice')));
    const active = acc.getPermission('active');
    assert.equal(active.required_auth.threshold.toNumber(), 1);
    assert.ok(active.required_auth.keys.some((k) => k.key.equals(PublicKey.from(alice.public_key))), 'alice@active has her key');
    assert.ok(acc.voter_info, 'alice has voted at genesis');
    assert.equal(acc.voter_info.staked.toNumber(), USER_STAKE);

    // Unknown accounts are Antelope errors both libraries understand.
    await assert.rejects(client.v1.chain.get_account('nobody.here'), (err) => {
        assert.ok(err instanceof APIError);
        assert.match(err.message, /^Account not found at \/v1\/chain\/get_account$/);
        return true;
    });
    await assert.rejects(rpc.get_account('nobody.here'), (err) => {
        assert.ok(err instanceof RpcError);
        assert.match(err.message, /nobody\.here/);
        return true;
    });
});

test('eosjs transfer (blocksBehind/expireSeconds)', TIMEOUT, async () => {
    const before = { alice: await balance('alice'), bob: await balance('bob') };
    const res = await eosjsApi(alice.private_key).transact(
        { actions: [transferAction('alice', 'bob', '1.2345 CIV', 'eosjs transfer')] },
        { blocksBehind: 3, expireSeconds: 30 },
    );
    assertExecuted(res, 'eosjs transfer');
    await waitFor('alice to pay 1.2345 CIV', async () => (await balance('alice')) === before.alice - 12_345);
    assert.equal(await balance('bob'), before.bob + 12_345);
    await assertInBlock(res.transaction_id);

    const act = res.processed.action_traces[0].act;
    assert.equal(act.account, 'eosio.token');
    assert.equal(act.name, 'transfer');
    assert.deepEqual(act.data, { from: 'alice', to: 'bob', quantity: '1.2345 CIV', memo: 'eosjs transfer' });
});

test('eosjs transfer with compression and useLastIrreversible', TIMEOUT, async () => {
    const before = { alice: await balance('alice'), carol: await balance('carol') };
    const api = eosjsApi(alice.private_key);
    // broadcast: false returns what would be pushed, so the id can be checked against the bytes.
    const signed = await api.transact(
        { actions: [transferAction('alice', 'carol', '0.0042 CIV', 'eosjs zlib')] },
        { useLastIrreversible: true, expireSeconds: 60, broadcast: false },
    );
    const id = createHash('sha256').update(signed.serializedTransaction).digest('hex');
    const res = await api.pushCompressedSignedTransaction(signed);
    assertExecuted(res, 'eosjs compressed transfer');
    assert.equal(res.transaction_id, id, 'transaction_id = sha256 of the uncompressed packed transaction');

    await waitFor('alice to pay 0.0042 CIV', async () => (await balance('alice')) === before.alice - 42);
    assert.equal(await balance('carol'), before.carol + 42);
    await assertInBlock(id);

    // Pushing it again is a duplicate, reported the way eosjs reports node errors.
    await assert.rejects(api.pushSignedTransaction(signed), (err) => {
        assert.ok(err instanceof RpcError);
        assert.equal(err.json.error.code, 3040008);
        assert.match(err.message, /duplicate/i);
        return true;
    });
});

test('eosjs transfer beyond the balance fails with the contract message', TIMEOUT, async () => {
    const before = await balance('alice');
    await assert.rejects(
        eosjsApi(alice.private_key).transact(
            { actions: [transferAction('alice', 'bob', civ(before + 10_000), 'too much')] },
            { blocksBehind: 3, expireSeconds: 30 },
        ),
        (err) => {
            assert.ok(err instanceof RpcError, `RpcError, got ${err}`);
            assert.equal(err.json.error.code, 3050003);
            assert.match(err.message, /overdrawn balance/);
            return true;
        },
    );
    assert.equal(await balance('alice'), before);
});

/** Builds, signs and packs a transfer as a Wharfkit app does (APIClient only). */
async function wharfkitTransfer(from, key, to, quantity, memo) {
    const info = await client.v1.chain.get_info();
    const header = info.getTransactionHeader(90);
    const { abi } = await client.v1.chain.get_abi('eosio.token');
    assert.ok(abi, 'get_abi answers the eosio.token ABI');
    const action = Action.from(transferAction(from, to, quantity, memo), abi);
    const transaction = Transaction.from({ ...header, actions: [action] });
    const signature = PrivateKey.from(key).signDigest(transaction.signingDigest(info.chain_id));
    const signed = SignedTransaction.from({ ...transaction, signatures: [signature] });
    const packed = PackedTransaction.fromSigned(signed, CompressionType.zlib);
    assert.equal(packed.compression.toNumber(), 1);
    assert.equal(packed.packed_trx.hexString.slice(0, 2), '78', 'packed_trx is a zlib stream');
    return { transaction, packed };
}

/** The answer to a Wharfkit transfer: its id, and the transfer decoded in the first action trace. */
function assertTransferAnswer(res, sent, data) {
    assert.equal(res.transaction_id, String(sent.transaction.id));
    assert.deepEqual(res.processed.action_traces[0].act.data, data);
}

async function wharfBalance(name) {
    const [a] = await client.v1.chain.get_currency_balance('eosio.token', name, 'CIV');
    assert.ok(a instanceof Asset);
    return a.units.toNumber();
}

test('Wharfkit transfers with zlib compression (push_transaction, send_transaction)', TIMEOUT, async () => {
    const before = { bob: await wharfBalance('bob'), carol: await wharfBalance('carol') };

    const first = await wharfkitTransfer('bob', bob.private_key, 'carol', '0.5000 CIV', 'wharfkit zlib');
    const res1 = await client.v1.chain.push_transaction(first.packed);
    assertExecuted(res1, 'Wharfkit push_transaction');
    assertTransferAnswer(res1, first, { from: 'bob', to: 'carol', quantity: '0.5000 CIV', memo: 'wharfkit zlib' });

    const second = await wharfkitTransfer('carol', carol.private_key, 'bob', '0.1000 CIV', 'wharfkit send');
    const res2 = await client.v1.chain.send_transaction(second.packed);
    assertExecuted(res2, 'Wharfkit send_transaction');
    assert.equal(res2.transaction_id, String(second.transaction.id));

    await waitFor('both Wharfkit transfers to apply', async () => (await wharfBalance('bob')) === before.bob - 4_000);
    assert.equal(await wharfBalance('carol'), before.carol + 4_000);
    await assertInBlock(res1.transaction_id);
    await assertInBlock(res2.transaction_id);

    // Signed with the wrong key: an APIError carrying the nodeos error.
    const forged = await wharfkitTransfer('bob', carol.private_key, 'carol', '0.0001 CIV', 'forged');
    await assert.rejects(client.v1.chain.push_transaction(forged.packed), (err) => {
        assert.ok(err instanceof APIError, `APIError, got ${err}`);
        assert.equal(err.code, 3090003);
        assert.equal(err.name, 'unsatisfied_authorization');
        assert.match(err.message, / at \/v1\/chain\/push_transaction$/);
        return true;
    });
});

test('eosjs voteproducer, checked in the voters and producers tables', TIMEOUT, async () => {
    const old = await voterRow('alice');
    const votesBefore = await producerVotes();
    const oldWeight = Number(old.last_vote_weight);
    // A different set: the producers alice does not back now, plus the first one she does (so
    // the vote adds, keeps and — when she backed several — drops producers). Ascending by name.
    const chosen = producers.filter((p) => !old.producers.includes(p)).slice(0, 2);
    if (old.producers.length > 0) chosen.push(old.producers[0]);
    chosen.sort();
    assert.notDeepEqual(chosen, old.producers);

    const res = await eosjsApi(alice.private_key).transact(
        {
            actions: [
                {
                    account: 'eosio',
                    name: 'voteproducer',
                    authorization: [{ actor: 'alice', permission: 'active' }],
                    data: { voter: 'alice', proxy: '', producers: chosen },
                },
            ],
        },
        { blocksBehind: 3, expireSeconds: 30 },
    );
    assertExecuted(res, 'eosjs voteproducer');
    assert.deepEqual(res.processed.action_traces[0].act.data, { voter: 'alice', proxy: '', producers: chosen });

    const row = await waitFor('the voters row to show the vote', async () => {
        const r = await voterRow('alice');
        return JSON.stringify(r.producers) === JSON.stringify(chosen) && r;
    });
    assert.deepEqual(row.producers, chosen);
    assert.equal(row.proxy, '');
    assert.equal(Number(row.staked), USER_STAKE, 'staked: the genesis 100,000.0000 CIV');
    assert.equal(Number(row.staked), Number(old.staked));
    assert.ok(!Number(row.is_proxy));
    // No time decay in Civitas (docs/governance.md): the vote weight is the stake.
    const newWeight = Number(row.last_vote_weight);
    assert.equal(newWeight, USER_STAKE);

    // Each producer gained the new weight if chosen and lost the old one if it was backed.
    const votesAfter = await producerVotes();
    assert.deepEqual([...votesAfter.keys()].sort(), [...votesBefore.keys()].sort());
    let changed = 0;
    for (const [p, before] of votesBefore) {
        const expected = before - (old.producers.includes(p) ? oldWeight : 0) + (chosen.includes(p) ? newWeight : 0);
        const after = votesAfter.get(p);
        assert.ok(Math.abs(after - expected) <= 1e-6 * Math.max(1, expected), `${p}: total_votes ${after}, expected ${expected}`);
        if (after !== before) changed += 1;
    }
    assert.ok(changed > 0, 'the vote moved some producer totals');
    await assertInBlock(res.transaction_id);

    // Wharfkit sees the same vote through get_account.
    const acc = await client.v1.chain.get_account('alice');
    assert.deepEqual(acc.voter_info.producers.map(String), chosen);
});

test('the voters table through eosjs and Wharfkit (JSON and binary rows)', TIMEOUT, async () => {
    const all = await rpc.get_table_rows({ json: true, code: 'eosio', scope: 'eosio', table: 'voters', limit: 1000 });
    assert.equal(all.more, false);
    const owners = all.rows.map((r) => r.owner);
    for (const name of ['alice', 'bob', 'carol', ...producers]) assert.ok(owners.includes(name), `${name} has a voters row`);
    for (const r of all.rows) {
        assert.ok([...r.producers].sort().join() === r.producers.join(), `${r.owner}'s producers are ascending`);
        assert.ok(Number(r.staked) > 0, `${r.owner} has staked`);
        assert.ok(Number.isFinite(Number(r.last_vote_weight)));
        assert.match(r.reserved3, /^\d+\.\d+ \w+$/);
    }

    // Wharfkit: name bounds, and json:false rows decoded with the ABI from get_abi.
    const { abi } = await client.v1.chain.get_abi('eosio');
    const eosioAbi = ABI.from(abi);
    const json = await client.v1.chain.get_table_rows({
        code: 'eosio',
        table: 'voters',
        lower_bound: Name.from('alice'),
        upper_bound: Name.from('alice'),
    });
    assert.equal(json.rows.length, 1);
    const bin = await client.v1.chain.get_table_rows({
        code: 'eosio',
        table: 'voters',
        json: false,
        lower_bound: Name.from('alice'),
        upper_bound: Name.from('alice'),
    });
    assert.equal(bin.rows.length, 1);
    assert.match(bin.rows[0], /^[0-9a-f]+$/);
    const decoded = Serializer.decode({ data: bin.rows[0], type: 'voter_info', abi: eosioAbi });
    assert.ok(decoded.owner.equals('alice'));
    assert.deepEqual(decoded.producers.map(String), json.rows[0].producers);
    assert.equal(Number(decoded.staked), Number(json.rows[0].staked));
    assert.equal(Number(decoded.last_vote_weight), Number(json.rows[0].last_vote_weight));
    assert.equal(String(decoded.reserved3), json.rows[0].reserved3);
});

test('the producers table through eosjs and Wharfkit (paged by next_key)', TIMEOUT, async () => {
    const e = await rpc.get_table_rows({ json: true, code: 'eosio', scope: 'eosio', table: 'producers', limit: 1000 });
    assert.equal(e.more, false);
    assert.equal(e.next_key, '');
    assert.deepEqual(
        e.rows.map((r) => r.owner),
        producers,
        'every genesis producer is registered, in primary-key (name) order',
    );
    for (const r of e.rows) {
        const registered = account(r.owner);
        assert.ok(PublicKey.from(r.producer_key).equals(PublicKey.from(registered.public_key)), `${r.owner}'s key`);
        assert.ok(r.is_active === 1 || r.is_active === true, `${r.owner} is active`);
        assert.ok(Number(r.total_votes) > 0, `${r.owner} has votes`);
        assert.match(r.last_claim_time, TIME);
        assert.equal(typeof r.url, 'string');
    }

    // Approval voting: the producers' totals are the voters' weights, once per producer backed.
    const voters = await rpc.get_table_rows({ json: true, code: 'eosio', scope: 'eosio', table: 'voters', limit: 1000 });
    const cast = voters.rows
        .filter((v) => !v.proxy)
        .reduce((sum, v) => sum + Number(v.last_vote_weight) * v.producers.length, 0);
    const tallied = e.rows.reduce((sum, r) => sum + Number(r.total_votes), 0);
    assert.ok(Math.abs(cast - tallied) <= 1e-6 * tallied, `votes cast ${cast} = votes tallied ${tallied}`);

    // Wharfkit pages with limit 2: next_key is the decimal u64 of the next owner.
    const paged = [];
    let lower;
    for (let page = 0; page < 100; page++) {
        const r = await client.v1.chain.get_table_rows({ code: 'eosio', table: 'producers', limit: 2, lower_bound: lower });
        paged.push(...r.rows.map((row) => row.owner));
        if (!r.more) {
            assert.equal(r.next_key, undefined);
            break;
        }
        assert.ok(r.next_key instanceof Name, 'next_key decodes to a Name');
        assert.ok(producers.includes(String(r.next_key)), `next_key ${r.next_key} is a producer`);
        lower = r.next_key;
    }
    assert.deepEqual(paged, producers);

    // get_producers (eosjs): ranked by votes, the same totals.
    const ranked = await rpc.get_producers(true, '', 50);
    assert.deepEqual(ranked.rows.map((r) => r.owner).sort(), producers);
    const totals = ranked.rows.map((r) => Number(r.total_votes));
    assert.deepEqual(totals, [...totals].sort((a, b) => b - a), 'get_producers ranks by total_votes');
    assert.ok(Math.abs(Number(ranked.total_producer_vote_weight) - tallied) <= 1e-6 * tallied);
});

// Issue 10, item 14: the nodeos shapes of the calls Wharfkit types and of what other clients send.

test('Wharfkit typed get_block_header_state, get_transaction_status and get_activated_protocol_features', TIMEOUT, async () => {
    const info = await client.v1.chain.get_info();
    // The LIB is in the fork database: the whole block_header_state (Wharfkit requires every field).
    const lib = info.last_irreversible_block_num.toNumber();
    const bhs = await client.v1.chain.get_block_header_state(lib);
    assert.equal(bhs.block_num.toNumber(), lib);
    assert.equal(String(bhs.id), String(info.last_irreversible_block_id));
    assert.ok(bhs.dpos_irreversible_blocknum.toNumber() <= lib);
    assert.ok(bhs.dpos_proposed_irreversible_blocknum.toNumber() >= bhs.dpos_irreversible_blocknum.toNumber());
    assert.ok(producers.includes(String(bhs.header.producer)));
    // block_signing_authority_v0 as the fc variant [0, {threshold, keys}].
    const [index, authority] = bhs.valid_block_signing_authority;
    assert.equal(index, 0);
    assert.equal(authority.threshold, 1);
    const signer = account(String(bhs.header.producer));
    assert.ok(PublicKey.from(authority.keys[0].key).equals(PublicKey.from(signer.public_key)), 'the producer signs its blocks');
    assert.deepEqual(
        bhs.active_schedule.producers.map((p) => p.producer_name).sort(),
        producers,
        'the active schedule is the localnet producers',
    );
    assert.ok(Array.isArray(bhs.producer_to_last_produced) && bhs.producer_to_last_produced.length > 0);
    for (const [name, num] of bhs.producer_to_last_produced) {
        assert.ok(producers.includes(name) && num <= lib, `${name} last produced ${num}`);
    }
    assert.deepEqual(bhs.pending_schedule.schedule.producers, []);
    assert.match(bhs.pending_schedule.schedule_hash, HEX64);
    assert.deepEqual(bhs.activated_protocol_features, { protocol_features: [] });
    assert.deepEqual(bhs.additional_signatures, []);

    // A transfer, then its status through the typed response (earliest tracked block included).
    const sent = await wharfkitTransfer('carol', carol.private_key, 'bob', '0.0003 CIV', 'status');
    const res = await client.v1.chain.push_transaction(sent.packed);
    const id = res.transaction_id;
    const status = await waitFor('the transfer to be irreversible', async () => {
        const s = await client.v1.chain.get_transaction_status(id);
        return s.state === 'IRREVERSIBLE' && s;
    });
    assert.ok(status.head_id instanceof BlockId);
    assert.ok(status.earliest_tracked_block_id instanceof BlockId);
    assert.equal(status.earliest_tracked_block_id.blockNum.toNumber(), status.earliest_tracked_block_number.toNumber());
    assert.ok(status.earliest_tracked_block_number.toNumber() <= status.irreversible_number.toNumber());
    const raw = await rpc.fetch('/v1/chain/get_transaction_status', { id });
    assert.equal(raw.block_id.slice(0, 8), raw.block_number.toString(16).padStart(8, '0'));
    assert.match(raw.expiration, /\.000$/);
    const unknown = await client.v1.chain.get_transaction_status('ab'.repeat(32));
    assert.equal(unknown.state, 'UNKNOWN');

    const features = await client.v1.chain.get_activated_protocol_features();
    assert.deepEqual(features.activated_protocol_features, []);
    assert.equal(features.more, null, 'Wharfkit decodes the absent `more` as null');
    const rawFeatures = await rpc.fetch('/v1/chain/get_activated_protocol_features', {});
    assert.deepEqual(rawFeatures, { activated_protocol_features: [] }, 'no `more` when there is none');
});

test('compute_transaction and send_read_only_transaction through Wharfkit', TIMEOUT, async () => {
    const before = { bob: await wharfBalance('bob'), carol: await wharfBalance('carol') };
    const [dry, forged] = await Promise.all([
        wharfkitTransfer('bob', bob.private_key, 'carol', '0.7000 CIV', 'dry run'),
        // As nodeos, a dry run's signatures need not satisfy the authority: carol's key on
        // bob's transfer.
        wharfkitTransfer('bob', carol.private_key, 'carol', '0.7000 CIV', 'dry forged'),
    ]);
    for (const [sent, memo] of [
        [dry, 'dry run'],
        [forged, 'dry forged'],
    ]) {
        const res = await client.v1.chain.compute_transaction(sent.packed);
        assertExecuted(res, `compute_transaction (${memo})`);
        assertTransferAnswer(res, sent, { from: 'bob', to: 'carol', quantity: '0.7000 CIV', memo });
    }
    // Nothing was kept: the balances did not move, and the same transaction still pushes.
    assert.equal(await wharfBalance('bob'), before.bob);
    assert.equal(await wharfBalance('carol'), before.carol);
    const pushed = await client.v1.chain.push_transaction(dry.packed);
    assertExecuted(pushed, 'push after the dry run');
    await waitFor('the pushed transfer', async () => (await wharfBalance('bob')) === before.bob - 7_000);

    // Read-only transactions may not declare authorities (and every Civitas action needs one).
    const ro = await wharfkitTransfer('bob', bob.private_key, 'carol', '0.0001 CIV', 'read only');
    await assert.rejects(client.v1.chain.send_read_only_transaction(ro.packed), (err) => {
        assert.ok(err instanceof APIError, `APIError, got ${err}`);
        assert.equal(err.code, 3040000);
        assert.match(err.details[0].message, /read-only action 'transfer' cannot have authorizations/);
        return true;
    });
});

test('push with compression given as a boolean (a Python client) and as a number string', TIMEOUT, async () => {
    const before = await balance('bob');
    for (const [compression, memo] of [
        [false, 'python false'],
        ['0', 'string zero'],
    ]) {
        const { packed, transaction } = await wharfkitTransfer('bob', bob.private_key, 'alice', '0.0002 CIV', memo);
        const plain = PackedTransaction.fromSigned(
            SignedTransaction.from({ ...transaction, signatures: packed.signatures }),
            CompressionType.none,
        );
        const body = JSON.stringify({
            signatures: plain.signatures.map(String),
            compression,
            packed_context_free_data: '',
            packed_trx: plain.packed_trx.hexString,
        });
        const r = await fetch(`${URL}/v1/chain/push_transaction`, { method: 'POST', body });
        const json = await r.json();
        assert.equal(r.status, 202, JSON.stringify(json));
        assert.equal(json.transaction_id, String(transaction.id));
    }
    await waitFor('both pushes to apply', async () => (await balance('bob')) === before - 4);
});

test('get_accounts_by_authorizers through Wharfkit', TIMEOUT, async () => {
    const byKey = await client.v1.chain.get_accounts_by_authorizers({ keys: [alice.public_key] });
    const active = byKey.accounts.find((r) => r.account_name.equals('alice') && r.permission_name.equals('active'));
    assert.ok(active, 'alice@active is held by her key');
    assert.ok(active.authorizing_key.equals(PublicKey.from(alice.public_key)));
    assert.equal(active.authorizing_account, undefined);
    assert.equal(active.weight.toNumber(), 1);
    assert.equal(active.threshold.toNumber(), 1);
    // Each producer's active permission is part of eosio.prods@active.
    const producer = producers[0];
    const byAccount = await client.v1.chain.get_accounts_by_authorizers({ accounts: [producer] });
    const prods = byAccount.accounts.find((r) => r.account_name.equals('eosio.prods'));
    assert.ok(prods, `${producer} authorizes eosio.prods`);
    assert.ok(prods.authorizing_account instanceof PermissionLevel);
    assert.ok(prods.authorizing_account.actor.equals(producer));
    assert.equal(prods.threshold.toNumber(), Math.floor((producers.length * 2) / 3) + 1);
});

test('the producers by prototalvote (index 2, float64) through Wharfkit and eosjs', TIMEOUT, async () => {
    const primary = await rpc.get_table_rows({ json: true, code: 'eosio', scope: 'eosio', table: 'producers', limit: 1000 });
    // eosio.system's by_votes: -total_votes when active, ascending; ties by owner.
    const key = (r) => ((r.is_active === 1 || r.is_active === true) ? -Number(r.total_votes) : Number(r.total_votes));
    const expected = [...primary.rows]
        .sort((a, b) => key(a) - key(b) || (a.owner < b.owner ? -1 : a.owner > b.owner ? 1 : 0))
        .map((r) => r.owner);
    const e = await rpc.get_table_rows({
        json: true,
        code: 'eosio',
        scope: 'eosio',
        table: 'producers',
        index_position: 2,
        key_type: 'float64',
        limit: 1000,
    });
    assert.deepEqual(e.rows.map((r) => r.owner), expected);
    const reversed = await rpc.get_table_rows({
        json: true,
        code: 'eosio',
        scope: 'eosio',
        table: 'producers',
        index_position: 'secondary',
        key_type: 'float64',
        reverse: true,
        limit: 1000,
    });
    assert.deepEqual(reversed.rows.map((r) => r.owner), [...expected].reverse());

    // Wharfkit pages by the float64 key it decodes from next_key.
    const first = await client.v1.chain.get_table_rows({
        code: 'eosio',
        table: 'producers',
        index_position: 'secondary',
        key_type: 'float64',
        limit: 1,
    });
    assert.deepEqual(first.rows.map((r) => r.owner), expected.slice(0, 1));
    assert.equal(first.more, true);
    assert.ok(first.next_key instanceof Float64, 'next_key decodes to a Float64');
    assert.equal(first.next_key.value, key(primary.rows.find((r) => r.owner === expected[1])));
    const rest = await client.v1.chain.get_table_rows({
        code: 'eosio',
        table: 'producers',
        index_position: 'secondary',
        key_type: 'float64',
        lower_bound: first.next_key,
        limit: 1000,
    });
    // The bound is the next key itself: rows with an equal key come again, as on nodeos.
    assert.deepEqual(rest.rows.map((r) => r.owner).slice(-(expected.length - 1)), expected.slice(1));
});

test('requests refused before any handler still get Antelope error JSON', TIMEOUT, async () => {
    const long = await fetch(`${URL}/v1/chain/get_info?q=${'x'.repeat(100 * 1024)}`);
    assert.equal(long.status, 414);
    assert.equal(long.headers.get('content-type'), 'application/json');
    const body = await long.json();
    assert.equal(body.code, 414);
    assert.equal(body.error.code, 3200006);
    assert.equal(body.error.name, 'invalid_http_request');
    const headers = {};
    for (let i = 0; i < 500; i++) headers[`x-header-${i}`] = String(i);
    const many = await fetch(`${URL}/v1/chain/get_info`, { method: 'POST', body: '{}', headers });
    assert.equal(many.status, 431);
    assert.equal((await many.json()).error.name, 'invalid_http_request');
    const options = await fetch(`${URL}/v1/chain/get_info`, { method: 'OPTIONS' });
    assert.equal(options.status, 200);
    assert.deepEqual(await options.json(), {});
});

test("Wharfkit's account and resources kits: alice's CPU, NET and RAM, and a RAM purchase", TIMEOUT, async () => {
    const info = await client.v1.chain.get_info();
    const kit = new AccountKit(new ChainDefinition({ id: info.chain_id, url: URL }), { client });
    const check = async () => {
        const acc = await kit.load('alice');
        const raw = await rpc.get_account('alice');
        for (const r of ['cpu', 'net', 'ram']) {
            const res = acc.resource(r);
            const [used, available, max] = [res.used, res.available, res.max].map((v) => Number(String(v)));
            assert.ok(used >= 0 && available >= 0 && max > 0, `${r}: used ${used}, available ${available}, max ${max}`);
            assert.ok(used <= max, `${r}: used ${used} ≤ max ${max}`);
            const want = r === 'ram' ? [raw.ram_usage, raw.ram_quota] : [raw[`${r}_limit`].used, raw[`${r}_limit`].max];
            assert.deepEqual([used, max], want.map(Number), `${r} as get_account reports it`);
            if (r === 'ram') assert.equal(available, max - used);
        }
        return acc;
    };
    const acc = await check();

    // The resources kit reads the RAM market and samples usage per staked unit from alice.
    const resources = new Resources({ api: client, sampleAccount: 'alice', symbol: '4,CIV' });
    const market = await resources.v1.ram.get_state();
    assert.equal(String(market.base.balance.symbol), '0,RAM');
    assert.equal(String(market.quote.balance.symbol), '4,CIV');
    const price = market.price_per(1024);
    assert.ok(price.units.toNumber() > 0, `1 KiB costs ${price}`);
    const sample = await resources.getSampledUsage();
    assert.ok(Number(String(sample.cpu)) > 0 && Number(String(sample.net)) > 0, 'µs and bytes per staked unit');

    // A RAM purchase built by the account kit (its own copy of the eosio ABI), signed and pushed
    // as a Wharfkit app does: the quota grows by at least the bytes, and alice pays exactly the
    // resources kit's quote plus the 0.5% fee (both round up the Bancor input the same way).
    const action = acc.buyRamBytes(2048);
    action.authorization = [PermissionLevel.from('alice@active')];
    const before = { quota: Number((await rpc.get_account('alice')).ram_quota), balance: await balance('alice') };
    const quoted = (await resources.v1.ram.get_state()).price_per(2048).units.toNumber();
    const fresh = await client.v1.chain.get_info();
    const transaction = Transaction.from({ ...fresh.getTransactionHeader(90), actions: [action] });
    const signature = PrivateKey.from(alice.private_key).signDigest(transaction.signingDigest(info.chain_id));
    const packed = PackedTransaction.fromSigned(SignedTransaction.from({ ...transaction, signatures: [signature] }));
    const res = await client.v1.chain.push_transaction(packed);
    assertExecuted(res, 'buyrambytes through the account kit');
    await waitFor('the RAM purchase to apply', async () => Number((await rpc.get_account('alice')).ram_quota) >= before.quota + 2048);
    assert.equal(before.balance - (await balance('alice')), Math.ceil((quoted * 200) / 199), `the kit quoted ${quoted}`);
    await check();
});
