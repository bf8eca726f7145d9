#!/usr/bin/env node
// Generates crates/protocol/tests/vectors/eosjs.json with the real eosjs 22.1.0.
//
// Every value in the output is computed by eosjs itself (SerialBuffer, eosjs-numeric, the key
// classes, JsSignatureProvider and Api.transact against an in-process stand-in for the node's
// HTTP API). Nothing here talks to the network, reads the clock or draws randomness, so running
// the script twice gives byte-identical output. See README.md.
'use strict';

const fs = require('fs');
const path = require('path');
const crypto = require('crypto');

const ser = require('eosjs/dist/eosjs-serialize');
const numeric = require('eosjs/dist/eosjs-numeric');
const { JsSignatureProvider, PrivateKey, Signature } = require('eosjs/dist/eosjs-jssig');
const { Api } = require('eosjs/dist/eosjs-api');
const { JsonRpc } = require('eosjs/dist/eosjs-jsonrpc');

const OUT = path.join(__dirname, '..', '..', 'crates', 'protocol', 'tests', 'vectors', 'eosjs.json');

// EOS mainnet's chain id: any fixed 32 bytes would do.
const CHAIN_ID = 'aca376f206b8fc25a6ed44dbdc66547c36c6c33e3a119ffbeaef943642f0e906';

const sha256 = (data) => crypto.createHash('sha256').update(data).digest();
const hex = (bytes) => Buffer.from(bytes).toString('hex');

function check(cond, msg) {
    if (!cond) {
        throw new Error(`self-check failed: ${msg}`);
    }
}

function buffer(array) {
    return new ser.SerialBuffer({ textEncoder: new TextEncoder(), textDecoder: new TextDecoder(), array });
}

// ---------------------------------------------------------------------------------------------
// Names

const NAMES = [
    '', 'a', 'z', '1', '5', '.a', 'a.b.c', 'b1',
    'alice', 'bob', 'bp1', 'bp3', 'carol', 'eosio', 'eosio.token', 'eosio.null', 'eosio.prods',
    'eosio.code', 'eosio.system', 'active', 'owner', 'transfer', 'voteproducer', 'civitas', 'civ.token',
    'abcdefghijkl', 'zzzzzzzzzzzz', 'zzzzzzzzzzzzj', '12345abcdefgh', '111111111111j', 'aaaaaaaaaaaaa',
    '............1', 'mnopqrstuvwxj', '1.2.3.4.5', 'gy2dgmztgqge',
];
// Strings eosjs refuses to serialize as a name.
const NAMES_INVALID = ['Alice', 'a6', 'abcdefghijklmn', 'abcdefghijklz', 'a b', 'eosio!', '-', 'a_b', '0'];

function names() {
    return NAMES.map((name) => {
        const b = buffer();
        b.pushName(name);
        const bytes = b.asUint8Array();
        check(buffer(bytes).getName() === name, `name ${name} round-trips`);
        return { name, u64: numeric.binaryToDecimal(bytes), hex: hex(bytes) };
    });
}

function namesInvalid() {
    return NAMES_INVALID.map((name) => {
        let threw = false;
        try {
            buffer().pushName(name);
        } catch (_) {
            threw = true;
        }
        check(threw, `eosjs rejects name ${JSON.stringify(name)}`);
        return name;
    });
}

// ---------------------------------------------------------------------------------------------
// Assets and symbols

const ASSETS = [
    '1.0000 EOS', '0.0001 CIV', '-5.000 ABC', '100 XYZ', '0 ZERO', '0.00 A', '-0.1 NEG', '998.0000 EOS',
    '1234567.8901 WAXCOIN', '10000000000.0000 CIV', '4611686018427387903 MAX', '-4611686018427387903 MIN',
    '46116860184.27387903 BIG', '0.000000000000000001 TINY', '4.611686018427387903 PRECISE',
];
// Encodable by eosjs (it takes any int64 amount and any precision byte), but outside Antelope's
// asset range (|amount| <= 2^62 - 1, precision <= 18), so Civitas rejects them.
const ASSETS_OUT_OF_RANGE = [
    '4611686018427387904 BIG', '-4611686018427387904 BIG', '9223372036854775807 MAX',
    '-9223372036854775808 MIN', '0.0000000000000000001 PREC',
];
const SYMBOLS = ['4,EOS', '0,XYZ', '18,MAX', '8,WAXCOIN', '3,ABC', '2,A'];

function assets(list, roundTrip) {
    return list.map((text) => {
        const b = buffer();
        b.pushAsset(text);
        const bytes = b.asUint8Array();
        if (roundTrip) {
            check(buffer(bytes).getAsset() === text, `asset ${text} round-trips`);
        }
        return { text, hex: hex(bytes) };
    });
}

function symbols() {
    return SYMBOLS.map((text) => {
        const b = buffer();
        b.pushSymbol(ser.stringToSymbol(text));
        const bytes = b.asUint8Array();
        check(ser.symbolToString(buffer(bytes).getSymbol()) === text, `symbol ${text} round-trips`);
        return { text, hex: hex(bytes) };
    });
}

// ---------------------------------------------------------------------------------------------
// Times (eosjs's builtin types time_point_sec, time_point, block_timestamp_type)

const TIMES = [
    ['time_point_sec', '1970-01-01T00:00:00.000'],
    ['time_point_sec', '2024-01-01T00:00:30.000'],
    ['time_point_sec', '2106-02-07T06:28:15.000'],
    ['time_point', '1970-01-01T00:00:00.000'],
    ['time_point', '2024-01-01T00:00:00.500'],
    ['time_point', '2026-11-24T11:12:39.913'],
    ['block_timestamp_type', '2000-01-01T00:00:00.000'],
    ['block_timestamp_type', '2000-01-01T00:00:01.500'],
    ['block_timestamp_type', '2024-01-01T00:00:30.500'],
];

function times() {
    const types = ser.createInitialTypes();
    return TIMES.map(([type, text]) => {
        const t = ser.getType(types, type);
        const b = buffer();
        t.serialize(b, text);
        const bytes = b.asUint8Array();
        check(t.deserialize(buffer(bytes)) === text, `${type} ${text} round-trips`);
        return { type, text, hex: hex(bytes) };
    });
}

// ---------------------------------------------------------------------------------------------
// Keys and signatures

// Secrets: sha256("k0"), sha256("k1"), ... plus the well-known EOSIO development key.
const DEV_WIF = '5KQwrPbwdL6PhXujxW37FSSQZ1JiwsST4cqQzDeyXtP79zkvFD3';
const SECRETS = [0, 1, 2, 3, 4].map((i) => sha256(`k${i}`));
SECRETS.push(Buffer.from(numeric.stringToPrivateKey(DEV_WIF).data));

function keyVector(secret) {
    const k1 = numeric.privateKeyToString({ type: numeric.KeyType.k1, data: new Uint8Array(secret) });
    const pk = PrivateKey.fromString(k1);
    check(pk.isValid(), 'secret is a valid key');
    const wif = pk.toLegacyString();
    const fromWif = PrivateKey.fromString(wif);
    check(fromWif.toString() === k1, 'WIF and PVT_K1_ agree');
    const pub = pk.getPublicKey();
    check(fromWif.getPublicKey().toString() === pub.toString(), 'both forms derive one public key');
    check(numeric.convertLegacyPublicKey(pub.toLegacyString()) === pub.toString(), 'legacy public converts');
    return {
        secret_hex: hex(secret),
        private_wif: wif,
        private_k1: k1,
        public_legacy: pub.toLegacyString(),
        public_k1: pub.toString(),
        public_hex: hex(pub.key.data),
    };
}

const DIGESTS = [
    sha256('d0'),
    sha256('d1'),
    sha256('d2'),
    Buffer.alloc(32, 0),
    Buffer.alloc(32, 0xff),
];

function signatures(keys) {
    const out = [];
    for (const key of keys) {
        const pk = PrivateKey.fromString(key.private_k1);
        for (const digest of DIGESTS) {
            const sig = pk.sign(digest, false);
            const text = sig.toString();
            check(text.startsWith('SIG_K1_'), 'K1 signature');
            const parsed = Signature.fromString(text);
            check(parsed.recover(digest, false).toString() === key.public_k1, 'eosjs recovers the signer');
            check(parsed.verify(digest, pk.getPublicKey(), false), 'eosjs verifies');
            out.push({
                digest: hex(digest),
                signature: text,
                signature_hex: hex(sig.signature.data),
                public_k1: key.public_k1,
            });
        }
    }
    return out;
}

// ---------------------------------------------------------------------------------------------
// ABIs (client-surface.md section 6) and transactions built by Api.transact

const TOKEN_ABI = {
    version: 'eosio::abi/1.2',
    types: [],
    structs: [{
        name: 'transfer',
        base: '',
        fields: [
            { name: 'from', type: 'name' }, { name: 'to', type: 'name' },
            { name: 'quantity', type: 'asset' }, { name: 'memo', type: 'string' },
        ],
    }],
    actions: [{ name: 'transfer', type: 'transfer', ricardian_contract: '' }],
    tables: [], ricardian_clauses: [], error_messages: [], abi_extensions: [], variants: [], action_results: [],
};

const SYSTEM_ABI = {
    version: 'eosio::abi/1.2',
    types: [],
    structs: [{
        name: 'voteproducer',
        base: '',
        fields: [
            { name: 'voter', type: 'name' }, { name: 'proxy', type: 'name' },
            { name: 'producers', type: 'name[]' },
        ],
    }],
    actions: [{ name: 'voteproducer', type: 'voteproducer', ricardian_contract: '' }],
    tables: [], ricardian_clauses: [], error_messages: [], abi_extensions: [], variants: [], action_results: [],
};

const ABIS = { 'eosio.token': TOKEN_ABI, eosio: SYSTEM_ABI };

// Binary abi_def as eosjs encodes it.
const abiEncoder = new Api({ rpc: {}, signatureProvider: null, chainId: CHAIN_ID });
const RAW_ABIS = Object.fromEntries(Object.entries(ABIS).map(([account, abi]) => [account, abiEncoder.jsonToRawAbi(abi)]));

/**
 * A stand-in for the node's HTTP API behind eosjs's real JsonRpc: serves get_raw_abi and
 * get_required_keys and records the bodies eosjs posts.
 */
function stubFetch(requiredKeys, log) {
    return async (url, init) => {
        const route = url.replace(/^.*\/v1\/chain\//, '');
        const body = JSON.parse(init.body);
        log.push({ route, body });
        let json;
        if (route === 'get_raw_abi') {
            const raw = RAW_ABIS[body.account_name];
            check(raw, `ABI for ${body.account_name}`);
            json = {
                account_name: body.account_name,
                code_hash: '0'.repeat(64),
                abi_hash: hex(sha256(raw)),
                abi: Buffer.from(raw).toString('base64'),
            };
        } else if (route === 'get_required_keys') {
            for (const k of requiredKeys) {
                check(body.available_keys.includes(k), 'required key is available');
            }
            json = { required_keys: requiredKeys };
        } else if (route === 'push_transaction') {
            json = { transaction_id: 'stub', processed: { except: null } };
        } else {
            throw new Error(`unexpected request ${route}`);
        }
        return { ok: true, status: 200, json: async () => json };
    };
}

const TAPOS = { expiration: '2024-01-01T00:00:30', ref_block_num: 7200, ref_block_prefix: 3790594777 };
const alice = [{ actor: 'alice', permission: 'active' }];
const bob = [{ actor: 'bob', permission: 'active' }];

const TRANSACTIONS = [
    {
        name: 'transfer',
        signers: [0],
        transaction: {
            ...TAPOS,
            actions: [{
                account: 'eosio.token', name: 'transfer', authorization: alice,
                data: { from: 'alice', to: 'bob', quantity: '1.0000 EOS', memo: 'hi' },
            }],
        },
    },
    {
        name: 'voteproducer',
        signers: [0],
        transaction: {
            ...TAPOS,
            actions: [{
                account: 'eosio', name: 'voteproducer', authorization: alice,
                data: { voter: 'alice', proxy: '', producers: ['bp1', 'bp3'] },
            }],
        },
    },
    {
        // Two actions, two signers, non-default header limits (a two-byte varuint32) and
        // context-free data, so the signing digest hashes the packed context-free data.
        name: 'multisig_with_context_free_data',
        signers: [0, 1],
        transaction: {
            expiration: '2030-06-15T12:34:56',
            ref_block_num: 65535,
            ref_block_prefix: 1,
            max_net_usage_words: 300,
            max_cpu_usage_ms: 5,
            delay_sec: 0,
            context_free_data: [new Uint8Array([1, 2, 3]), new TextEncoder().encode('hello')],
            actions: [
                {
                    account: 'eosio.token', name: 'transfer', authorization: alice,
                    data: { from: 'alice', to: 'bob', quantity: '0.0001 CIV', memo: 'ünïcødé ✓' },
                },
                {
                    account: 'eosio', name: 'voteproducer', authorization: bob,
                    data: { voter: 'bob', proxy: 'carol', producers: [] },
                },
            ],
        },
    },
];

async function transactions(keys) {
    const out = [];
    for (const t of TRANSACTIONS) {
        const privateKeys = keys.map((k) => k.private_k1);
        const requiredKeys = t.signers.map((i) => keys[i].public_k1);
        const bodies = {};
        for (const compression of [false, true]) {
            const log = [];
            const rpc = new JsonRpc('http://stub.invalid', { fetch: stubFetch(requiredKeys, log) });
            const api = new Api({
                rpc,
                signatureProvider: new JsSignatureProvider(privateKeys),
                chainId: CHAIN_ID,
                textEncoder: new TextEncoder(),
                textDecoder: new TextDecoder(),
            });
            // Deep copy: transact must not see objects another run touched.
            const trx = { ...t.transaction, actions: JSON.parse(JSON.stringify(t.transaction.actions)) };
            await api.transact(trx, { broadcast: true, sign: true, compression });
            const routes = log.map((l) => l.route);
            check(routes[routes.length - 1] === 'push_transaction', 'pushed');
            bodies[compression ? 'zlib' : 'none'] = { body: log[log.length - 1].body, api, log };
        }
        const { body, api, log } = bodies.none;
        const packed = Buffer.from(body.packed_trx, 'hex');
        const cfd = Buffer.from(body.packed_context_free_data, 'hex');
        const cfdHash = cfd.length ? sha256(cfd) : Buffer.alloc(32, 0);
        const digest = sha256(Buffer.concat([Buffer.from(CHAIN_ID, 'hex'), packed, cfdHash]));
        for (const [i, sig] of body.signatures.entries()) {
            check(Signature.fromString(sig).recover(digest, false).toString() === requiredKeys[i],
                `signature ${i} of ${t.name} recovers its key`);
        }
        check(JSON.stringify(bodies.zlib.body.signatures) === JSON.stringify(body.signatures),
            'compressed push carries the same signatures');
        const json = api.deserializeTransaction(packed);
        const required = log.find((l) => l.route === 'get_required_keys');
        out.push({
            name: t.name,
            chain_id: CHAIN_ID,
            json,
            packed_trx: hex(packed),
            packed_context_free_data: hex(cfd),
            context_free_data: (t.transaction.context_free_data || []).map(hex),
            id: hex(sha256(packed)),
            signing_digest: hex(digest),
            signatures: body.signatures,
            signers: requiredKeys,
            signer_private_keys: t.signers.map((i) => keys[i].private_k1),
            get_required_keys_body: required.body,
            push_body: body,
            push_body_zlib: bodies.zlib.body,
        });
    }
    return out;
}

async function main() {
    const keys = SECRETS.map(keyVector);
    const vectors = {
        generator: 'tools/conformance/generate.js',
        eosjs_version: require('eosjs/package.json').version,
        note: 'Generated by the real eosjs; do not edit by hand. Regenerate: cd tools/conformance && npm ci && node generate.js',
        chain_id: CHAIN_ID,
        names: names(),
        names_invalid: namesInvalid(),
        assets: assets(ASSETS, true),
        assets_out_of_range: assets(ASSETS_OUT_OF_RANGE, false),
        symbols: symbols(),
        times: times(),
        keys,
        signatures: signatures(keys),
        abis: Object.entries(RAW_ABIS).map(([account, raw]) => ({ account, json: ABIS[account], hex: hex(raw) })),
        transactions: await transactions(keys),
    };
    fs.mkdirSync(path.dirname(OUT), { recursive: true });
    fs.writeFileSync(OUT, `${JSON.stringify(vectors, null, 2)}\n`);
    const counts = Object.entries(vectors)
        .filter(([, v]) => Array.isArray(v))
        .map(([k, v]) => `${k}=${v.length}`)
        .join(' ');
    console.log(`wrote ${path.relative(process.cwd(), OUT)} (${counts})`);
}

main().catch((e) => {
    console.error(e);
    process.exit(1);
});
