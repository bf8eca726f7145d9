//! Property tests of the codec and the text forms.
//!
//! * Every protocol type round-trips: `decode(encode(x)) == x` and re-encoding gives the same
//!   bytes; every strict prefix of an encoding is rejected.
//! * Text forms round-trip (names, assets, symbols, keys, signatures, times, digests).
//! * Asset arithmetic agrees with exact (`i128`) arithmetic and the ±(2^62−1) bound.
//! * Bad input never panics: random bytes and mutated or truncated valid encodings fed to the
//!   decoders, and random or near-valid strings fed to every text parser, give `Ok` or `Err`.
//!   Whatever a mutated encoding decodes to re-encodes to exactly the bytes given, so an id
//!   hashed over received bytes always names one value.
//!
//! Case counts are small by default so the file runs in a few seconds in a debug build; set
//! `PROPTEST_CASES` to run more (for example `PROPTEST_CASES=10000`).

use std::fmt::Debug;
use std::str::FromStr;

use civitas_protocol::asset::{AssetError, MAX_AMOUNT};
use civitas_protocol::checksum::sha256;
use civitas_protocol::transaction::deflate;
use civitas_protocol::{
    Action, Asset, Authority, BlockHeader, BlockTimestamp, Bytes, Checksum160, Checksum256, Checksum512, Compression,
    DoubleSignEvidence, Name, Pack, PackedTransaction, PermissionLevel, PrivateKey, PublicKey, Signature, SignedBlock,
    Symbol, SymbolCode, TimePoint, TimePointSec, Transaction, Unpack, VerifiedTransaction,
};
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::test_runner::TestCaseError;

/// A configuration with `n` cases unless `PROPTEST_CASES` asks for another number.
fn cases(n: u32) -> ProptestConfig {
    let mut c = ProptestConfig::default();
    if std::env::var_os("PROPTEST_CASES").is_none() {
        c.cases = n;
    }
    c
}

mod strategies;
use strategies::*;

// ---------------------------------------------------------------------------------------------
// Helpers

/// `decode(encode(v)) == v`, re-encoding is identical, and no strict prefix decodes.
fn check_round_trip<T: Pack + Unpack + PartialEq + Debug>(v: &T) -> Result<(), TestCaseError> {
    let bytes = v.packed();
    let decoded = T::unpack_exact(&bytes).map_err(|e| TestCaseError::fail(format!("{v:?} failed to decode: {e}")))?;
    prop_assert_eq!(&decoded, v);
    prop_assert_eq!(decoded.packed(), bytes.clone());
    // Trailing input is rejected.
    let mut longer = bytes.clone();
    longer.push(0);
    prop_assert!(T::unpack_exact(&longer).is_err());
    // Strict prefixes are rejected (check a handful of cut points, always including the last).
    let n = bytes.len();
    for cut in [0, n / 3, n / 2, n.saturating_sub(1)] {
        if cut < n {
            prop_assert!(T::unpack_exact(&bytes[..cut]).is_err(), "prefix of {} bytes decoded", cut);
        }
    }
    Ok(())
}

/// Decodes arbitrary bytes as `T`; anything accepted must re-encode to the same bytes.
fn check_decode_is_canonical<T: Pack + Unpack + Debug>(bytes: &[u8]) -> Result<Option<T>, TestCaseError> {
    match T::unpack_exact(bytes) {
        Ok(v) => {
            prop_assert_eq!(v.packed(), bytes.to_vec(), "decoded {:?} re-encodes differently", v);
            Ok(Some(v))
        }
        Err(_) => Ok(None),
    }
}

/// Runs everything a node does with a received transaction; must not panic.
fn exercise_packed(p: &PackedTransaction, chain: &Checksum256) {
    let _ = p.raw_trx(LIMIT);
    let _ = p.context_free_data(LIMIT);
    if let Ok((trx, raw)) = p.unpack_trx(LIMIT) {
        assert_eq!(trx.packed(), raw, "a decoded transaction re-encodes to its bytes");
        let _ = trx.id();
    }
    let _ = p.with_compression(Compression::Zlib, LIMIT);
    let _ = p.with_compression(Compression::None, LIMIT);
    let _ = VerifiedTransaction::verify(chain, p.clone(), LIMIT);
}

fn exercise_block(b: &SignedBlock, chain: &Checksum256) {
    let _ = b.id();
    let _ = b.signer(chain);
    for p in &b.transactions {
        exercise_packed(p, chain);
    }
}

/// Feeds `s` to every text parser; a successful parse must format to text that parses back to
/// the same value.
fn parse_everything(s: &str) -> Result<(), TestCaseError> {
    fn stable<T: FromStr + ToString + PartialEq + Debug>(s: &str) -> Result<(), TestCaseError> {
        if let Ok(v) = s.parse::<T>() {
            let again = v.to_string().parse::<T>();
            let again = again.ok();
            prop_assert!(again.as_ref() == Some(&v), "{:?} -> {:?} -> {:?}", s, v, again);
        }
        Ok(())
    }
    stable::<Name>(s)?;
    if let Ok(n) = s.parse::<Name>() {
        prop_assert_eq!(n.to_string(), s, "names are normalized");
    }
    let _ = Name::parse_name_or_u64(s);
    stable::<SymbolCode>(s)?;
    stable::<Symbol>(s)?;
    stable::<Asset>(s)?;
    stable::<PublicKey>(s)?;
    stable::<Signature>(s)?;
    stable::<TimePointSec>(s)?;
    stable::<BlockTimestamp>(s)?;
    if let Ok(t) = s.parse::<TimePoint>() {
        // The text form carries milliseconds, as nodeos prints it.
        prop_assert_eq!(t.to_string().parse::<TimePoint>().ok(), Some(TimePoint::from_millis(t.millis())));
    }
    stable::<Checksum160>(s)?;
    stable::<Checksum256>(s)?;
    stable::<Checksum512>(s)?;
    stable::<Bytes>(s)?;
    stable::<PermissionLevel>(s)?;
    if let Ok(k) = s.parse::<PrivateKey>() {
        prop_assert_eq!(k.to_string().parse::<PrivateKey>().ok(), Some(k.clone()));
        prop_assert_eq!(k.to_wif().parse::<PrivateKey>().ok(), Some(k));
    }
    let _ = serde_json::from_str::<Compression>(s);
    let _ = serde_json::from_str::<Transaction>(s);
    let _ = serde_json::from_str::<PackedTransaction>(s);
    Ok(())
}

fn text_input() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[.0-9a-zA-Z]{0,15}",
        "-?[0-9]{0,21}(\\.[0-9]{0,21})? {0,2}[A-Za-z]{0,9}",
        "[0-9]{0,3},[A-Za-z]{0,9}",
        "(PUB_K1_|EOS|PVT_K1_|SIG_K1_|PUB_R1_|PVT_|5)[1-9A-HJ-NP-Za-km-z]{0,100}",
        "[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]{0,10})?Z?",
        "[0-9a-fA-F]{0,130}",
        "[a-z1-5.]{0,13}@[a-z1-5.]{0,13}",
    ]
}

/// Valid text of every kind, to be mutated.
fn valid_text() -> impl Strategy<Value = String> {
    prop_oneof![
        name().prop_map(|n| n.to_string()),
        asset().prop_map(|a| a.to_string()),
        symbol().prop_map(|s| s.to_string()),
        public_key().prop_map(|k| k.to_string()),
        public_key().prop_map(|k| k.to_legacy_string()),
        private_key().prop_map(|k| k.to_string()),
        private_key().prop_map(|k| k.to_wif()),
        signature().prop_map(|s| s.to_string()),
        iso_millis().prop_map(|ms| TimePoint::from_millis(ms).to_string()),
        any::<u32>().prop_map(|s| TimePointSec(s).to_string()),
        any::<u32>().prop_map(|s| BlockTimestamp(s).to_string()),
        checksum256().prop_map(|c| c.to_string()),
    ]
}

fn mutate_text(s: &str, edits: &[(usize, u8, u8)]) -> String {
    let mut chars: Vec<char> = s.chars().collect();
    const ALPHABET: &[u8] = b".12345abcxyzABCXYZ06789-_ ,@:TZ";
    for &(pos, kind, value) in edits {
        let c = char::from(ALPHABET[usize::from(value) % ALPHABET.len()]);
        if chars.is_empty() {
            chars.push(c);
            continue;
        }
        let i = pos % chars.len();
        match kind % 4 {
            0 | 1 => chars[i] = c,
            2 => chars.insert(i, c),
            _ => {
                chars.remove(i);
            }
        }
    }
    chars.into_iter().collect()
}

// ---------------------------------------------------------------------------------------------
// Codec round trips

proptest! {
    #![proptest_config(cases(1024))]

    #[test]
    fn scalars_round_trip(
        n in name(),
        s in symbol(),
        a in asset(),
        tp in any::<i64>(),
        tps in any::<u32>(),
        bt in any::<u32>(),
        c160 in checksum160(),
        c256 in checksum256(),
        c512 in checksum512(),
        pl in permission_level(),
        v in varuint(),
        e in extension(),
    ) {
        check_round_trip(&n)?;
        check_round_trip(&s)?;
        check_round_trip(&s.code())?;
        check_round_trip(&a)?;
        check_round_trip(&TimePoint(tp))?;
        check_round_trip(&TimePointSec(tps))?;
        check_round_trip(&BlockTimestamp(bt))?;
        check_round_trip(&c160)?;
        check_round_trip(&c256)?;
        check_round_trip(&c512)?;
        check_round_trip(&pl)?;
        check_round_trip(&v)?;
        check_round_trip(&e)?;
        prop_assert_eq!(n.packed(), n.value().to_le_bytes().to_vec());
    }

    #[test]
    fn asset_decoding_enforces_the_range(amount in any::<i64>(), s in symbol()) {
        let mut bytes = amount.packed();
        s.pack(&mut bytes);
        let decoded = Asset::unpack_exact(&bytes);
        prop_assert_eq!(decoded.is_ok(), (-MAX_AMOUNT..=MAX_AMOUNT).contains(&amount));
    }
}

proptest! {
    #![proptest_config(cases(256))]

    #[test]
    fn keys_and_signatures_round_trip(k in private_key(), d in checksum256()) {
        let p = k.public_key();
        check_round_trip(&p)?;
        prop_assert!(p.is_valid_point());
        let sig = k.sign(&d);
        check_round_trip(&sig)?;
        prop_assert!(sig.is_canonical());
        prop_assert_eq!(sig.recover(&d).ok(), Some(p));
    }

    #[test]
    fn authority_and_action_round_trip(auth in authority(), act in action()) {
        check_round_trip(&auth)?;
        check_round_trip(&act)?;
    }

    #[test]
    fn transaction_round_trips(trx in transaction()) {
        check_round_trip(&trx)?;
        prop_assert_eq!(trx.id(), sha256(&trx.packed()));
        // JSON round trip as well.
        let json = serde_json::to_string(&trx).unwrap();
        prop_assert_eq!(serde_json::from_str::<Transaction>(&json).unwrap(), trx);
    }

    #[test]
    fn packed_transaction_round_trips(p in packed_transaction()) {
        check_round_trip(&p)?;
        let json = serde_json::to_string(&p).unwrap();
        prop_assert_eq!(serde_json::from_str::<PackedTransaction>(&json).unwrap(), p);
    }

    #[test]
    fn signed_transactions_verify(
        trx in transaction(),
        keys in vec(private_key(), 1..3),
        chain in checksum256(),
        c in compression(),
    ) {
        let refs: Vec<&PrivateKey> = keys.iter().collect();
        let packed = trx.sign(&chain, &refs).with_compression(c, LIMIT).unwrap();
        let bytes = packed.packed();
        let decoded = PackedTransaction::unpack_exact(&bytes).unwrap();
        let v = VerifiedTransaction::verify(&chain, decoded, LIMIT);
        let mut expected: Vec<PublicKey> = Vec::new();
        for k in &keys {
            expected.push(k.public_key());
        }
        let duplicate = (1..expected.len()).any(|i| expected[..i].contains(&expected[i]));
        match v {
            Ok(v) => {
                prop_assert!(!duplicate);
                prop_assert_eq!(v.signers, expected);
                prop_assert_eq!(v.id, trx.id());
                prop_assert_eq!(v.trx, trx);
            }
            Err(e) => prop_assert!(duplicate, "verification failed: {}", e),
        }
    }

    #[test]
    fn block_header_round_trips(h in block_header()) {
        check_round_trip(&h)?;
        prop_assert_eq!(&h.id().0[..4], &h.block_num.to_be_bytes()[..]);
    }

    #[test]
    fn signed_block_round_trips(b in signed_block()) {
        check_round_trip(&b)?;
    }

    #[test]
    fn double_sign_evidence_round_trips(
        first in block_header(),
        second in block_header(),
        s1 in raw_signature(),
        s2 in raw_signature(),
    ) {
        check_round_trip(&DoubleSignEvidence {
            first,
            first_signature: s1,
            second,
            second_signature: s2,
        })?;
    }

    #[test]
    fn signed_blocks_recover_their_producer(h in block_header(), k in private_key(), chain in checksum256()) {
        let b = SignedBlock::sign(h, vec![], &chain, &k);
        let decoded = SignedBlock::unpack_exact(&b.packed()).unwrap();
        prop_assert_eq!(decoded.signer(&chain).ok(), Some(k.public_key()));
    }
}

// ---------------------------------------------------------------------------------------------
// Text forms

proptest! {
    #![proptest_config(cases(1024))]

    #[test]
    fn names_text_round_trip(n in name()) {
        let s = n.to_string();
        prop_assert!(s.len() <= 13);
        prop_assert_eq!(s.parse::<Name>().unwrap(), n);
        // The decimal form is accepted wherever it cannot be mistaken for a name.
        if n.value().to_string().parse::<Name>().is_err() {
            prop_assert_eq!(Name::parse_name_or_u64(&n.value().to_string()).unwrap(), n);
        }
    }

    #[test]
    fn assets_and_symbols_text_round_trip(a in asset()) {
        prop_assert_eq!(a.to_string().parse::<Asset>().unwrap(), a);
        let s = a.symbol();
        prop_assert_eq!(s.to_string().parse::<Symbol>().unwrap(), s);
        prop_assert_eq!(s.code().to_string().parse::<SymbolCode>().unwrap(), s.code());
        // JSON uses the text form.
        let json = serde_json::to_string(&a).unwrap();
        prop_assert_eq!(serde_json::from_str::<Asset>(&json).unwrap(), a);
    }

    #[test]
    fn times_text_round_trip(ms in iso_millis(), secs in any::<u32>(), slot in any::<u32>()) {
        let tp = TimePoint::from_millis(ms);
        let text = tp.to_string();
        prop_assert!(!text.ends_with('Z'));
        prop_assert_eq!(text.parse::<TimePoint>().unwrap(), tp);
        let tps = TimePointSec(secs);
        prop_assert_eq!(tps.to_string().parse::<TimePointSec>().unwrap(), tps);
        prop_assert_eq!(tps.to_time_point().to_sec(), tps);
        let bt = BlockTimestamp(slot);
        prop_assert_eq!(bt.to_string().parse::<BlockTimestamp>().unwrap(), bt);
        prop_assert_eq!(BlockTimestamp::from_time_point(bt.to_time_point()), bt);
    }

    #[test]
    fn checksums_text_round_trip(c in checksum256(), c160 in checksum160(), c512 in checksum512(), b in bytes(40)) {
        prop_assert_eq!(c.to_string().parse::<Checksum256>().unwrap(), c);
        prop_assert_eq!(c.to_string().to_uppercase().parse::<Checksum256>().unwrap(), c);
        prop_assert_eq!(c160.to_string().parse::<Checksum160>().unwrap(), c160);
        prop_assert_eq!(c512.to_string().parse::<Checksum512>().unwrap(), c512);
        prop_assert_eq!(b.to_string().parse::<Bytes>().unwrap(), b);
    }
}

proptest! {
    #![proptest_config(cases(256))]

    #[test]
    fn keys_text_round_trip(k in private_key(), d in checksum256()) {
        prop_assert_eq!(k.to_string().parse::<PrivateKey>().unwrap(), k.clone());
        prop_assert_eq!(k.to_wif().parse::<PrivateKey>().unwrap(), k.clone());
        let p = k.public_key();
        prop_assert_eq!(p.to_string().parse::<PublicKey>().unwrap(), p);
        prop_assert_eq!(p.to_legacy_string().parse::<PublicKey>().unwrap(), p);
        let s = k.sign(&d);
        prop_assert_eq!(s.to_string().parse::<Signature>().unwrap(), s);
        let json = serde_json::to_string(&(p, s)).unwrap();
        prop_assert_eq!(serde_json::from_str::<(PublicKey, Signature)>(&json).unwrap(), (p, s));
    }
}

// ---------------------------------------------------------------------------------------------
// Asset arithmetic

proptest! {
    #![proptest_config(cases(2048))]

    #[test]
    fn asset_arithmetic_matches_exact_arithmetic(x in amount(), y in amount(), s in symbol(), other in symbol()) {
        let a = Asset::new(x, s).unwrap();
        let b = Asset::new(y, s).unwrap();
        let in_range = |v: i128| (-i128::from(MAX_AMOUNT)..=i128::from(MAX_AMOUNT)).contains(&v);

        let sum = i128::from(x) + i128::from(y);
        match a.checked_add(b) {
            Ok(r) => {
                prop_assert!(in_range(sum));
                prop_assert_eq!(i128::from(r.amount()), sum);
                prop_assert_eq!(r.symbol(), s);
            }
            Err(e) => {
                prop_assert!(!in_range(sum));
                prop_assert_eq!(e, AssetError::OutOfRange);
            }
        }
        let diff = i128::from(x) - i128::from(y);
        match a.checked_sub(b) {
            Ok(r) => {
                prop_assert!(in_range(diff));
                prop_assert_eq!(i128::from(r.amount()), diff);
            }
            Err(e) => {
                prop_assert!(!in_range(diff));
                prop_assert_eq!(e, AssetError::OutOfRange);
            }
        }
        prop_assert_eq!(a.checked_neg().unwrap().amount(), -x);

        if other != s {
            let c = Asset::new(y, other).unwrap();
            let mismatch = matches!(a.checked_add(c), Err(AssetError::SymbolMismatch(..)));
            prop_assert!(mismatch);
            let mismatch = matches!(a.checked_sub(c), Err(AssetError::SymbolMismatch(..)));
            prop_assert!(mismatch);
        }
    }

    #[test]
    fn asset_construction_enforces_the_range(v in any::<i64>(), s in symbol()) {
        prop_assert_eq!(Asset::new(v, s).is_ok(), (-MAX_AMOUNT..=MAX_AMOUNT).contains(&v));
    }
}

// ---------------------------------------------------------------------------------------------
// Bad input never panics

proptest! {
    #![proptest_config(cases(2048))]

    #[test]
    fn random_bytes_never_panic(bytes in vec(any::<u8>(), 0..600), chain in checksum256()) {
        check_decode_is_canonical::<Transaction>(&bytes)?;
        if let Some(p) = check_decode_is_canonical::<PackedTransaction>(&bytes)? {
            exercise_packed(&p, &chain);
        }
        if let Some(b) = check_decode_is_canonical::<SignedBlock>(&bytes)? {
            exercise_block(&b, &chain);
        }
        check_decode_is_canonical::<BlockHeader>(&bytes)?;
        check_decode_is_canonical::<Action>(&bytes)?;
        check_decode_is_canonical::<Authority>(&bytes)?;
        check_decode_is_canonical::<Asset>(&bytes)?;
    }

    #[test]
    fn random_text_never_panics(s in text_input()) {
        parse_everything(&s)?;
    }
}

proptest! {
    #![proptest_config(cases(512))]

    #[test]
    fn mutated_transactions_never_panic(trx in transaction(), e in edits(), chain in checksum256()) {
        let bad = mutate(trx.packed(), &e);
        check_decode_is_canonical::<Transaction>(&bad)?;
        // The same bytes as the payload of a packed transaction, plain and compressed.
        for (compression, payload) in [(Compression::None, bad.clone()), (Compression::Zlib, deflate(&bad))] {
            let p = PackedTransaction {
                signatures: vec![],
                compression,
                packed_context_free_data: Bytes(mutate(vec![1, 2, 0xaa, 0xbb], &e)),
                packed_trx: Bytes(payload),
            };
            exercise_packed(&p, &chain);
        }
    }

    #[test]
    fn mutated_packed_transactions_never_panic(p in packed_transaction(), e in edits(), chain in checksum256()) {
        let bad = mutate(p.packed(), &e);
        if let Some(p) = check_decode_is_canonical::<PackedTransaction>(&bad)? {
            exercise_packed(&p, &chain);
        }
        // Corrupt the zlib stream itself.
        let mut z = p.clone();
        z.packed_trx = Bytes(mutate(z.packed_trx.0.clone(), &e));
        z.packed_context_free_data = Bytes(mutate(z.packed_context_free_data.0.clone(), &e));
        exercise_packed(&z, &chain);
    }

    #[test]
    fn mutated_blocks_never_panic(b in signed_block(), e in edits(), chain in checksum256()) {
        let bad = mutate(b.packed(), &e);
        if let Some(b) = check_decode_is_canonical::<SignedBlock>(&bad)? {
            exercise_block(&b, &chain);
        }
        let bad_header = mutate(b.header.packed(), &e);
        check_decode_is_canonical::<BlockHeader>(&bad_header)?;
    }

    #[test]
    fn mutated_text_never_panics(s in valid_text(), e in edits()) {
        parse_everything(&s)?;
        parse_everything(&mutate_text(&s, &e))?;
    }
}
