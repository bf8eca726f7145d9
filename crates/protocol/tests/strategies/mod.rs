//! Proptest strategies for every protocol type, and the mutations applied to valid encodings.

use civitas_protocol::asset::{MAX_AMOUNT, MAX_PRECISION};
use civitas_protocol::{
    Action, Asset, Authority, BlockHeader, Bytes, Checksum160, Checksum256, Checksum512, Compression, Extension,
    KeyWeight, Name, PackedTransaction, PermissionLevel, PermissionLevelWeight, PrivateKey, ProducerKey,
    ProducerSchedule, PublicKey, Signature, SignedBlock, Symbol, SymbolCode, TimePointSec, Transaction, VarUint32,
    Vote, WaitWeight,
};
use proptest::collection::vec;
use proptest::prelude::*;

/// The transaction size limit the decoders get.
pub const LIMIT: usize = 64 * 1024;

pub fn name() -> impl Strategy<Value = Name> {
    prop_oneof![
        any::<u64>().prop_map(Name),
        "[.1-5a-z]{0,12}[.1-5a-j]?".prop_filter_map("normalized", |s| s.parse().ok()),
    ]
}

pub fn symbol_code() -> impl Strategy<Value = SymbolCode> {
    "[A-Z]{1,7}".prop_map(|s| s.parse().unwrap())
}

pub fn symbol() -> impl Strategy<Value = Symbol> {
    (0..=MAX_PRECISION, symbol_code()).prop_map(|(p, c)| Symbol::new(p, c).unwrap())
}

pub fn amount() -> impl Strategy<Value = i64> {
    prop_oneof![
        -MAX_AMOUNT..=MAX_AMOUNT,
        -1000i64..=1000,
        Just(MAX_AMOUNT),
        Just(-MAX_AMOUNT),
        (MAX_AMOUNT - 1000)..=MAX_AMOUNT,
    ]
}

pub fn asset() -> impl Strategy<Value = Asset> {
    (amount(), symbol()).prop_map(|(a, s)| Asset::new(a, s).unwrap())
}

/// Milliseconds from 0000-01-01 to 9999-12-31T23:59:59.999, the range of the 4-digit text form.
pub fn iso_millis() -> impl Strategy<Value = i64> {
    -62_167_219_200_000i64..=253_402_300_799_999
}

pub fn checksum256() -> impl Strategy<Value = Checksum256> {
    any::<[u8; 32]>().prop_map(Checksum256)
}

pub fn checksum160() -> impl Strategy<Value = Checksum160> {
    any::<[u8; 20]>().prop_map(Checksum160)
}

pub fn checksum512() -> impl Strategy<Value = Checksum512> {
    vec(any::<u8>(), 64).prop_map(|v| Checksum512(v.try_into().unwrap()))
}

pub fn private_key() -> impl Strategy<Value = PrivateKey> {
    any::<[u8; 32]>().prop_filter_map("valid secret", |b| PrivateKey::from_bytes(b).ok())
}

pub fn public_key() -> impl Strategy<Value = PublicKey> {
    private_key().prop_map(|k| k.public_key())
}

/// A real signature of a random digest.
pub fn signature() -> impl Strategy<Value = Signature> {
    (private_key(), checksum256()).prop_map(|(k, d)| k.sign(&d))
}

/// Any 65 bytes: the codec carries signatures opaquely (recovery checks them).
pub fn raw_signature() -> impl Strategy<Value = Signature> {
    prop_oneof![signature(), vec(any::<u8>(), 65).prop_map(|v| Signature(v.try_into().unwrap())),]
}

pub fn bytes(max: usize) -> impl Strategy<Value = Bytes> {
    vec(any::<u8>(), 0..=max).prop_map(Bytes)
}

pub fn permission_level() -> impl Strategy<Value = PermissionLevel> {
    (name(), name()).prop_map(|(actor, permission)| PermissionLevel { actor, permission })
}

pub fn authority() -> impl Strategy<Value = Authority> {
    (
        any::<u32>(),
        vec((public_key(), any::<u16>()).prop_map(|(key, weight)| KeyWeight { key, weight }), 0..3),
        vec(
            (permission_level(), any::<u16>())
                .prop_map(|(permission, weight)| PermissionLevelWeight { permission, weight }),
            0..3,
        ),
        vec((any::<u32>(), any::<u16>()).prop_map(|(wait_sec, weight)| WaitWeight { wait_sec, weight }), 0..3),
    )
        .prop_map(|(threshold, keys, accounts, waits)| Authority { threshold, keys, accounts, waits })
}

pub fn action() -> impl Strategy<Value = Action> {
    (name(), name(), vec(permission_level(), 0..3), bytes(48)).prop_map(|(account, name, authorization, data)| Action {
        account,
        name,
        authorization,
        data,
    })
}

pub fn extension() -> impl Strategy<Value = Extension> {
    (any::<u16>(), bytes(16)).prop_map(|(t, d)| Extension(t, d))
}

pub fn varuint() -> impl Strategy<Value = VarUint32> {
    prop_oneof![any::<u32>(), 0u32..300].prop_map(VarUint32)
}

pub fn transaction() -> impl Strategy<Value = Transaction> {
    (
        any::<u32>(),
        any::<u16>(),
        any::<u32>(),
        varuint(),
        any::<u8>(),
        varuint(),
        vec(action(), 0..2),
        vec(action(), 0..4),
        vec(extension(), 0..2),
    )
        .prop_map(|(exp, ref_block_num, ref_block_prefix, net, cpu, delay, cfa, actions, ext)| Transaction {
            expiration: TimePointSec(exp),
            ref_block_num,
            ref_block_prefix,
            max_net_usage_words: net,
            max_cpu_usage_ms: cpu,
            delay_sec: delay,
            context_free_actions: cfa,
            actions,
            transaction_extensions: ext,
        })
}

pub fn compression() -> impl Strategy<Value = Compression> {
    prop_oneof![Just(Compression::None), Just(Compression::Zlib)]
}

pub fn packed_transaction() -> impl Strategy<Value = PackedTransaction> {
    prop_oneof![
        // Arbitrary field contents: the outer codec does not look inside.
        (vec(raw_signature(), 0..3), compression(), bytes(32), bytes(96)).prop_map(
            |(signatures, compression, cfd, trx)| {
                PackedTransaction { signatures, compression, packed_context_free_data: cfd, packed_trx: trx }
            }
        ),
        // A real signed transaction, plain or compressed.
        (transaction(), vec(private_key(), 0..3), checksum256(), compression()).prop_map(
            |(trx, keys, chain, compression)| {
                let refs: Vec<&PrivateKey> = keys.iter().collect();
                trx.sign(&chain, &refs).with_compression(compression, LIMIT).unwrap()
            }
        ),
    ]
}

pub fn vote() -> impl Strategy<Value = Vote> {
    (any::<u64>(), any::<u64>(), any::<u64>()).prop_map(|(source_slot, first_slot, last_slot)| Vote {
        source_slot,
        first_slot,
        last_slot,
    })
}

pub fn producer_schedule() -> impl Strategy<Value = ProducerSchedule> {
    (
        any::<u32>(),
        vec(
            (name(), public_key())
                .prop_map(|(producer_name, block_signing_key)| ProducerKey { producer_name, block_signing_key }),
            0..4,
        ),
    )
        .prop_map(|(version, producers)| ProducerSchedule { version, producers })
}

pub fn block_header() -> impl Strategy<Value = BlockHeader> {
    (
        checksum256(),
        any::<u32>(),
        any::<u64>(),
        name(),
        any::<u32>(),
        vec(vote(), 0..3),
        proptest::option::of(producer_schedule()),
        checksum256(),
        checksum256(),
        vec(extension(), 0..2),
    )
        .prop_map(
            |(
                previous,
                block_num,
                slot,
                producer,
                schedule_version,
                votes,
                new_schedule,
                transaction_mroot,
                state_root,
                ext,
            )| {
                BlockHeader {
                    previous,
                    block_num,
                    slot,
                    producer,
                    schedule_version,
                    votes,
                    new_schedule,
                    transaction_mroot,
                    state_root,
                    evidence_root: Checksum256::ZERO,
                    approvals_root: Checksum256::ZERO,
                    header_extensions: ext,
                }
            },
        )
}

pub fn signed_block() -> impl Strategy<Value = SignedBlock> {
    (block_header(), raw_signature(), vec(packed_transaction(), 0..3), vec(extension(), 0..2)).prop_map(
        |(header, producer_signature, transactions, block_extensions)| SignedBlock {
            header,
            producer_signature,
            transactions,
            approvals: vec![],
            evidence: vec![],
            block_extensions,
        },
    )
}

/// A valid encoding with some bytes replaced, inserted, removed or cut off.
pub fn mutate(mut bytes: Vec<u8>, edits: &[(usize, u8, u8)]) -> Vec<u8> {
    for &(pos, kind, value) in edits {
        if bytes.is_empty() {
            bytes.push(value);
            continue;
        }
        let i = pos % bytes.len();
        match kind % 5 {
            0 | 1 => bytes[i] = value,
            2 => bytes.insert(i, value),
            3 => {
                bytes.remove(i);
            }
            _ => bytes.truncate(i),
        }
    }
    bytes
}

pub fn edits() -> impl Strategy<Value = Vec<(usize, u8, u8)>> {
    vec((any::<usize>(), any::<u8>(), any::<u8>()), 1..4)
}
