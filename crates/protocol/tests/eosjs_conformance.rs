//! Conformance with the real eosjs 22.1.0: the vectors in `tests/vectors/eosjs.json` were
//! computed by eosjs itself (`tools/conformance/generate.js`), and Civitas must parse, format,
//! encode, hash, sign and verify exactly as eosjs does.

use std::sync::OnceLock;

use civitas_protocol::checksum::sha256;
use civitas_protocol::transaction::signing_digest_raw;
use civitas_protocol::{
    Asset, BlockTimestamp, Bytes, Checksum256, Compression, Name, Pack, PackedTransaction, PrivateKey, PublicKey,
    Signature, Symbol, TimePoint, TimePointSec, Transaction, Unpack, VerifiedTransaction,
};
use serde::Deserialize;

#[derive(Deserialize)]
struct Vectors {
    eosjs_version: String,
    chain_id: String,
    names: Vec<NameVector>,
    names_invalid: Vec<String>,
    assets: Vec<TextHex>,
    assets_out_of_range: Vec<TextHex>,
    symbols: Vec<TextHex>,
    times: Vec<TimeVector>,
    keys: Vec<KeyVector>,
    signatures: Vec<SignatureVector>,
    transactions: Vec<TransactionVector>,
}

#[derive(Deserialize)]
struct NameVector {
    name: String,
    u64: String,
    hex: String,
}

#[derive(Deserialize)]
struct TextHex {
    text: String,
    hex: String,
}

#[derive(Deserialize)]
struct TimeVector {
    #[serde(rename = "type")]
    ty: String,
    text: String,
    hex: String,
}

#[derive(Deserialize)]
struct KeyVector {
    secret_hex: String,
    private_wif: String,
    private_k1: String,
    public_legacy: String,
    public_k1: String,
    public_hex: String,
}

#[derive(Deserialize)]
struct SignatureVector {
    digest: String,
    signature: String,
    signature_hex: String,
    public_k1: String,
}

#[derive(Deserialize)]
struct TransactionVector {
    name: String,
    chain_id: String,
    json: serde_json::Value,
    packed_trx: String,
    packed_context_free_data: String,
    context_free_data: Vec<String>,
    id: String,
    signing_digest: String,
    signatures: Vec<String>,
    signers: Vec<String>,
    signer_private_keys: Vec<String>,
    get_required_keys_body: serde_json::Value,
    push_body: serde_json::Value,
    push_body_zlib: serde_json::Value,
}

fn vectors() -> &'static Vectors {
    static V: OnceLock<Vectors> = OnceLock::new();
    V.get_or_init(|| {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/vectors/eosjs.json");
        let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("reading {path}: {e}"));
        let v: Vectors = serde_json::from_str(&text).expect("vectors parse");
        assert_eq!(v.eosjs_version, "22.1.0");
        v
    })
}

fn unhex(s: &str) -> Vec<u8> {
    hex::decode(s).unwrap_or_else(|e| panic!("bad hex {s:?}: {e}"))
}

/// Checks that `value` packs to `hex_bytes`, and that those bytes decode back to `value`.
fn assert_codec<T: Pack + Unpack + PartialEq + std::fmt::Debug>(value: &T, hex_bytes: &str, what: &str) {
    assert_eq!(hex::encode(value.packed()), hex_bytes, "{what}: encoding");
    assert_eq!(&T::unpack_exact(&unhex(hex_bytes)).unwrap(), value, "{what}: decoding");
}

#[test]
fn vectors_are_populated() {
    let v = vectors();
    assert!(v.names.len() >= 30);
    assert!(v.assets.len() >= 10);
    assert!(v.symbols.len() >= 5);
    assert!(v.keys.len() >= 5);
    assert!(v.signatures.len() >= v.keys.len() * 3);
    assert!(v.transactions.iter().any(|t| t.name == "transfer"));
    assert!(v.transactions.iter().any(|t| t.name == "voteproducer"));
}

#[test]
fn names_match_eosjs() {
    for n in &vectors().names {
        let name: Name = n.name.parse().unwrap_or_else(|e| panic!("{:?}: {e}", n.name));
        assert_eq!(name.to_string(), n.name);
        assert_eq!(name.value().to_string(), n.u64, "{:?}", n.name);
        assert_codec(&name, &n.hex, &n.name);
        assert_eq!(Name::constant(&n.name), name);
        // get_table_rows bounds may be the decimal value (unless that decimal is itself a name,
        // as `1` is for `............1`).
        if n.u64.parse::<Name>().is_err() {
            assert_eq!(Name::parse_name_or_u64(&n.u64).unwrap(), name, "{:?}", n.name);
        }
        assert_eq!(serde_json::to_value(name).unwrap(), serde_json::json!(n.name));
    }
    for s in &vectors().names_invalid {
        assert!(s.parse::<Name>().is_err(), "eosjs rejects name {s:?}, Civitas must too");
    }
}

#[test]
fn assets_and_symbols_match_eosjs() {
    let v = vectors();
    for a in &v.assets {
        let asset: Asset = a.text.parse().unwrap_or_else(|e| panic!("{}: {e}", a.text));
        assert_eq!(asset.to_string(), a.text);
        assert_codec(&asset, &a.hex, &a.text);
    }
    for a in &v.assets_out_of_range {
        assert!(a.text.parse::<Asset>().is_err(), "{} is out of range", a.text);
        assert!(Asset::unpack_exact(&unhex(&a.hex)).is_err(), "{} is out of range", a.text);
    }
    for s in &v.symbols {
        let sym: Symbol = s.text.parse().unwrap_or_else(|e| panic!("{}: {e}", s.text));
        assert_eq!(sym.to_string(), s.text);
        assert_codec(&sym, &s.hex, &s.text);
    }
}

#[test]
fn times_match_eosjs() {
    for t in &vectors().times {
        // eosjs always writes milliseconds; Civitas writes them for the microsecond types only.
        match t.ty.as_str() {
            "time_point_sec" => {
                let v: TimePointSec = t.text.parse().unwrap();
                assert_eq!(format!("{v}.000"), t.text);
                assert_codec(&v, &t.hex, &t.text);
            }
            "time_point" => {
                let v: TimePoint = t.text.parse().unwrap();
                assert_eq!(v.to_string(), t.text);
                assert_codec(&v, &t.hex, &t.text);
            }
            "block_timestamp_type" => {
                let v: BlockTimestamp = t.text.parse().unwrap();
                assert_eq!(v.to_string(), t.text);
                assert_codec(&v, &t.hex, &t.text);
            }
            other => panic!("unknown time type {other}"),
        }
    }
}

#[test]
fn keys_match_eosjs() {
    for k in &vectors().keys {
        let secret: [u8; 32] = unhex(&k.secret_hex).try_into().unwrap();
        let from_wif: PrivateKey = k.private_wif.parse().unwrap();
        let from_k1: PrivateKey = k.private_k1.parse().unwrap();
        let from_bytes = PrivateKey::from_bytes(secret).unwrap();
        assert_eq!(from_wif, from_k1);
        assert_eq!(from_k1, from_bytes);
        assert_eq!(from_k1.to_bytes(), secret);
        assert_eq!(from_k1.to_string(), k.private_k1);
        assert_eq!(from_k1.to_wif(), k.private_wif);

        let legacy: PublicKey = k.public_legacy.parse().unwrap();
        let k1: PublicKey = k.public_k1.parse().unwrap();
        assert_eq!(legacy, k1);
        assert_eq!(hex::encode(k1.0), k.public_hex);
        assert_eq!(k1.to_string(), k.public_k1);
        assert_eq!(k1.to_legacy_string(), k.public_legacy);
        assert_eq!(from_k1.public_key(), k1, "{} derives {}", k.private_k1, k.public_k1);
        // Binary form: key type 0 (K1), then the 33 bytes.
        assert_codec(&k1, &format!("00{}", k.public_hex), &k.public_k1);
    }
}

#[test]
fn eosjs_signatures_recover_to_the_signer() {
    for s in &vectors().signatures {
        let digest: Checksum256 = s.digest.parse().unwrap();
        let sig: Signature = s.signature.parse().unwrap_or_else(|e| panic!("{}: {e}", s.signature));
        assert_eq!(hex::encode(sig.0), s.signature_hex);
        assert_eq!(sig.to_string(), s.signature);
        assert!(sig.is_canonical(), "{}", s.signature);
        let expected: PublicKey = s.public_k1.parse().unwrap();
        assert_eq!(sig.recover(&digest).unwrap(), expected, "{}", s.signature);
        assert_codec(&sig, &format!("00{}", s.signature_hex), &s.signature);
        // A different digest recovers some other key (or fails), never the signer.
        let mut other = digest;
        other.0[0] ^= 1;
        assert_ne!(sig.recover(&other).ok(), Some(expected));
    }
}

#[test]
fn civitas_signatures_recover_for_eosjs_keys() {
    for s in &vectors().signatures {
        let key = vectors().keys.iter().find(|k| k.public_k1 == s.public_k1).unwrap();
        let pk: PrivateKey = key.private_k1.parse().unwrap();
        let digest: Checksum256 = s.digest.parse().unwrap();
        let sig = pk.sign(&digest);
        assert!(sig.is_canonical());
        // Recovery bytes are 31..=34 (compressed) as eosjs writes them.
        assert!((31..=34).contains(&sig.0[0]));
        assert_eq!(sig.recover(&digest).unwrap().to_string(), s.public_k1);
    }
}

fn cfd_of(t: &TransactionVector) -> Vec<Bytes> {
    t.context_free_data.iter().map(|h| Bytes(unhex(h))).collect()
}

#[test]
fn eosjs_transactions_decode_hash_and_verify() {
    for t in &vectors().transactions {
        let what = t.name.as_str();
        let chain_id: Checksum256 = t.chain_id.parse().unwrap();
        assert_eq!(t.chain_id, vectors().chain_id);
        let raw = unhex(&t.packed_trx);
        let trx = Transaction::unpack_exact(&raw).unwrap_or_else(|e| panic!("{what}: {e}"));
        assert_eq!(trx.packed(), raw, "{what}: re-encoding");
        assert_eq!(trx.id().to_string(), t.id, "{what}: id");
        assert_eq!(sha256(&raw).to_string(), t.id, "{what}: id");

        let cfd = cfd_of(t);
        assert_eq!(hex::encode(if cfd.is_empty() { vec![] } else { cfd.packed() }), t.packed_context_free_data);
        assert_eq!(trx.signing_digest(&chain_id, &cfd).to_string(), t.signing_digest, "{what}: digest");
        if cfd.is_empty() {
            assert_eq!(trx.signing_digest(&chain_id, &[]).to_string(), t.signing_digest, "{what}");
        }

        // The exact bodies eosjs pushed, plain and zlib-compressed.
        for body in [&t.push_body, &t.push_body_zlib] {
            let packed: PackedTransaction = serde_json::from_value(body.clone()).unwrap();
            let expected_compression = if body["compression"] == 1 { Compression::Zlib } else { Compression::None };
            assert_eq!(packed.compression, expected_compression);
            assert_eq!(packed.context_free_data(1 << 16).unwrap(), cfd, "{what}: cfd");
            let signatures: Vec<Signature> = t.signatures.iter().map(|s| s.parse().unwrap()).collect();
            assert_eq!(packed.signatures, signatures);
            let v = VerifiedTransaction::verify(&chain_id, packed, 1 << 16).unwrap_or_else(|e| panic!("{what}: {e}"));
            assert_eq!(v.id.to_string(), t.id, "{what}");
            assert_eq!(v.trx, trx, "{what}");
            assert_eq!(v.size, raw.len());
            let signers: Vec<String> = v.signers.iter().map(ToString::to_string).collect();
            assert_eq!(signers, t.signers, "{what}: recovered signers");
        }

        // Each eosjs signature is canonical and recovers its key from the recorded digest.
        let digest: Checksum256 = t.signing_digest.parse().unwrap();
        for (s, signer) in t.signatures.iter().zip(&t.signers) {
            let sig: Signature = s.parse().unwrap();
            assert!(sig.is_canonical());
            assert_eq!(sig.recover(&digest).unwrap().to_string(), *signer);
        }
    }
}

#[test]
fn civitas_signing_matches_eosjs_digest() {
    for t in &vectors().transactions {
        let what = t.name.as_str();
        let chain_id: Checksum256 = t.chain_id.parse().unwrap();
        let raw = unhex(&t.packed_trx);
        let trx = Transaction::unpack_exact(&raw).unwrap();
        let keys: Vec<PrivateKey> = t.signer_private_keys.iter().map(|k| k.parse().unwrap()).collect();
        let key_refs: Vec<&PrivateKey> = keys.iter().collect();
        let cfd = cfd_of(t);

        let mut packed = trx.sign(&chain_id, &key_refs);
        assert_eq!(packed.packed_trx.0, raw, "{what}: Civitas packs the same bytes");
        if cfd.is_empty() {
            // The digest Transaction::sign signs is eosjs's digest.
            assert_eq!(signing_digest_raw(&chain_id, &packed.packed_trx.0, &[]).to_string(), t.signing_digest);
        } else {
            // Transaction::sign carries no context-free data; sign eosjs's digest directly.
            let digest = trx.signing_digest(&chain_id, &cfd);
            assert_eq!(digest.to_string(), t.signing_digest, "{what}");
            packed.signatures = keys.iter().map(|k| k.sign(&digest)).collect();
            packed.packed_context_free_data = Bytes(unhex(&t.packed_context_free_data));
        }
        for s in &packed.signatures {
            assert!(s.is_canonical());
        }
        let v = VerifiedTransaction::verify(&chain_id, packed.clone(), 1 << 16).unwrap();
        assert_eq!(v.id.to_string(), t.id, "{what}");
        let signers: Vec<String> = v.signers.iter().map(ToString::to_string).collect();
        assert_eq!(signers, t.signers, "{what}");

        // Compressed by Civitas, still the same transaction and signers.
        let z = packed.with_compression(Compression::Zlib, 1 << 16).unwrap();
        let vz = VerifiedTransaction::verify(&chain_id, z, 1 << 16).unwrap();
        assert_eq!(vz.id, v.id);
        assert_eq!(vz.signers, v.signers);

        // On another chain the same signatures recover other keys.
        let other = VerifiedTransaction::verify(&sha256(b"another chain"), packed, 1 << 16).unwrap();
        assert_ne!(other.signers, v.signers);
    }
}

#[test]
fn transaction_json_matches_eosjs() {
    for t in &vectors().transactions {
        let what = t.name.as_str();
        let decoded = Transaction::unpack_exact(&unhex(&t.packed_trx)).unwrap();
        // eosjs's own JSON of the transaction (action data as upper-case hex).
        let from_json: Transaction = serde_json::from_value(t.json.clone()).unwrap_or_else(|e| panic!("{what}: {e}"));
        assert_eq!(from_json, decoded, "{what}");
        // The transaction eosjs sends to get_required_keys omits the defaulted header fields.
        let required: Transaction = serde_json::from_value(t.get_required_keys_body["transaction"].clone())
            .unwrap_or_else(|e| panic!("{what}: {e}"));
        assert_eq!(required, decoded, "{what}");
        let keys: Vec<PublicKey> = serde_json::from_value(t.get_required_keys_body["available_keys"].clone()).unwrap();
        assert_eq!(keys.len(), vectors().keys.len());
        // And Civitas's JSON decodes back to the same transaction.
        let ours = serde_json::to_value(&decoded).unwrap();
        assert_eq!(serde_json::from_value::<Transaction>(ours).unwrap(), decoded);
    }
}
