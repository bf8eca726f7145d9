//! Keystore files: round trips, wrong passwords, tampering, garbage, modes and parameters.

use std::path::Path;

use civitas_keystore::{generate_key, KdfParams, Keystore, KeystoreError};
use civitas_protocol::PrivateKey;

const FAST: KdfParams = KdfParams::INSECURE_FAST;
// The well-known EOSIO development key.
const DEV_WIF: &str = "5KQwrPbwdL6PhXujxW37FSSQZ1JiwsST4cqQzDeyXtP79zkvFD3";

fn tmp() -> tempfile::TempDir {
    tempfile::tempdir().expect("temporary directory")
}

fn json(path: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

#[test]
fn round_trip_keeps_keys_labels_and_order() {
    let dir = tmp();
    let path = dir.path().join("sub/dir/wallet.json");
    let mut ks = Keystore::create(&path, "pw", FAST).unwrap();
    assert!(ks.is_empty());
    let a = ks.generate(Some("producer")).unwrap();
    let dev: PrivateKey = DEV_WIF.parse().unwrap();
    let b = ks.import(dev.clone(), None).unwrap();
    assert_eq!(b, dev.public_key());

    let opened = Keystore::open(&path, "pw").unwrap();
    assert_eq!(opened.len(), 2);
    let publics: Vec<_> = opened.keys().map(|(p, _)| *p).collect();
    assert_eq!(publics, vec![a, b]);
    assert_eq!(opened.get(&b), Some(&dev));
    assert_eq!(opened.get(&a).unwrap().public_key(), a);
    assert_eq!(opened.label(&a), Some("producer"));
    assert_eq!(opened.label(&b), None);
    assert_eq!(Keystore::public_keys(&path).unwrap(), vec![a, b]);
    assert_eq!(json(&path)["public_keys"][1], b.to_string());
}

#[test]
fn import_deduplicates_and_updates_labels() {
    let dir = tmp();
    let path = dir.path().join("w.json");
    let mut ks = Keystore::create(&path, "pw", FAST).unwrap();
    let key = generate_key();
    let p1 = ks.import(key.clone(), None).unwrap();
    let p2 = ks.import(key.clone(), Some("again")).unwrap();
    assert_eq!(p1, p2);
    assert_eq!(ks.len(), 1);
    let opened = Keystore::open(&path, "pw").unwrap();
    assert_eq!(opened.len(), 1);
    assert_eq!(opened.label(&p1), Some("again"));
    // Importing again without a label keeps the label.
    let mut opened = opened;
    opened.import(key, None).unwrap();
    assert_eq!(Keystore::open(&path, "pw").unwrap().label(&p1), Some("again"));
}

#[test]
fn remove_and_change_password() {
    let dir = tmp();
    let path = dir.path().join("w.json");
    let mut ks = Keystore::create(&path, "old", FAST).unwrap();
    let a = ks.generate(None).unwrap();
    let b = ks.generate(None).unwrap();
    assert!(ks.remove(&a).unwrap());
    assert!(!ks.remove(&a).unwrap());
    let heavier = KdfParams::new(128, 2, 1).unwrap();
    ks.change_password("new", heavier).unwrap();
    assert!(matches!(Keystore::open(&path, "old"), Err(KeystoreError::WrongPassword(_))));
    let opened = Keystore::open(&path, "new").unwrap();
    assert_eq!(opened.keys().map(|(p, _)| *p).collect::<Vec<_>>(), vec![b]);
    assert_eq!(opened.params(), heavier);
}

#[test]
fn wrong_password_is_reported_as_such() {
    let dir = tmp();
    let path = dir.path().join("w.json");
    Keystore::create(&path, "right", FAST).unwrap().generate(None).unwrap();
    for pw in ["wrong", "", "righ", "right "] {
        let err = Keystore::open(&path, pw).unwrap_err();
        assert!(matches!(err, KeystoreError::WrongPassword(_)), "{pw:?}: {err}");
        assert!(err.to_string().contains("wrong password"));
    }
}

#[test]
fn create_refuses_to_overwrite() {
    let dir = tmp();
    let path = dir.path().join("w.json");
    let mut ks = Keystore::create(&path, "pw", FAST).unwrap();
    let a = ks.generate(None).unwrap();
    let err = Keystore::create(&path, "other", FAST).unwrap_err();
    assert!(matches!(err, KeystoreError::AlreadyExists(_)), "{err}");
    assert_eq!(Keystore::open(&path, "pw").unwrap().keys().next().map(|(p, _)| *p), Some(a));
}

#[test]
fn missing_file_is_not_found() {
    let dir = tmp();
    let path = dir.path().join("none.json");
    assert!(matches!(Keystore::open(&path, "pw"), Err(KeystoreError::NotFound(_))));
    assert!(matches!(Keystore::public_keys(&path), Err(KeystoreError::NotFound(_))));
}

#[test]
fn every_ciphertext_byte_flip_is_rejected() {
    let dir = tmp();
    let path = dir.path().join("w.json");
    Keystore::create(&path, "pw", FAST).unwrap().generate(Some("x")).unwrap();
    let original = json(&path);
    let ct = hex::decode(original["ciphertext"].as_str().unwrap()).unwrap();
    assert!(ct.len() > 16);
    for i in 0..ct.len() {
        let mut bad = ct.clone();
        bad[i] ^= 0x01;
        let mut v = original.clone();
        v["ciphertext"] = hex::encode(&bad).into();
        std::fs::write(&path, serde_json::to_vec(&v).unwrap()).unwrap();
        let err = Keystore::open(&path, "pw").unwrap_err();
        assert!(matches!(err, KeystoreError::WrongPassword(_)), "byte {i}: {err}");
    }
}

#[test]
fn tampered_clear_fields_are_rejected() {
    let dir = tmp();
    let path = dir.path().join("w.json");
    Keystore::create(&path, "pw", FAST).unwrap().generate(None).unwrap();
    let original = json(&path);
    let other = generate_key().public_key().to_string();
    let nonce = original["nonce"].as_str().unwrap().replacen('0', "1", 1).replacen('a', "b", 1);
    let nonce = if nonce == original["nonce"].as_str().unwrap() { "00".repeat(24) } else { nonce };
    let edits: Vec<(&str, serde_json::Value)> = vec![
        ("/public_keys", serde_json::json!([other])),
        ("/public_keys", serde_json::json!([])),
        ("/kdf/salt", "00".repeat(16).into()),
        ("/kdf/t", 2.into()),
        ("/kdf/m_kib", 128.into()),
        ("/nonce", nonce.into()),
    ];
    for (ptr, value) in edits {
        let mut v = original.clone();
        *v.pointer_mut(ptr).unwrap() = value.clone();
        std::fs::write(&path, serde_json::to_vec(&v).unwrap()).unwrap();
        let err = Keystore::open(&path, "pw").unwrap_err();
        assert!(matches!(err, KeystoreError::WrongPassword(_)), "{ptr} = {value}: {err}");
    }
}

#[test]
fn garbage_and_truncated_files_are_errors_not_panics() {
    let dir = tmp();
    let path = dir.path().join("w.json");
    Keystore::create(&path, "pw", FAST).unwrap().generate(None).unwrap();
    let good = std::fs::read(&path).unwrap();
    // Every prefix that cuts into the JSON (dropping only the final newline leaves a valid file).
    assert_eq!(good.last(), Some(&b'\n'));
    for len in 0..good.len() - 1 {
        std::fs::write(&path, &good[..len]).unwrap();
        assert!(matches!(Keystore::open(&path, "pw"), Err(KeystoreError::Corrupt { .. })), "truncated to {len}");
        assert!(Keystore::public_keys(&path).is_err());
    }
    let original: serde_json::Value = serde_json::from_slice(&good).unwrap();
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("binary", vec![0xff, 0x00, 0x13, 0x37]),
        ("array", b"[]".to_vec()),
        ("no version", br#"{"kdf":{}}"#.to_vec()),
        ("string version", br#"{"version":"1"}"#.to_vec()),
        ("only version", br#"{"version":1}"#.to_vec()),
    ];
    for (what, bytes) in cases {
        std::fs::write(&path, bytes).unwrap();
        let err = Keystore::open(&path, "pw").unwrap_err();
        assert!(matches!(err, KeystoreError::Corrupt { .. }), "{what}: {err}");
    }
    let edits: Vec<(&str, serde_json::Value)> = vec![
        ("/kdf/alg", "scrypt".into()),
        ("/cipher", "aes-256-gcm".into()),
        ("/kdf/m_kib", (u32::MAX).into()),
        ("/kdf/m_kib", 0.into()),
        ("/kdf/t", 0.into()),
        ("/kdf/t", 1_000_000.into()),
        ("/kdf/p", 0.into()),
        ("/kdf/salt", "zz".into()),
        ("/kdf/salt", "00".into()),
        ("/nonce", "0011".into()),
        ("/ciphertext", "xyz".into()),
        ("/public_keys", serde_json::json!(["PUB_K1_notakey"])),
        ("/public_keys", serde_json::json!("PUB_K1_x")),
    ];
    for (ptr, value) in edits {
        let mut v = original.clone();
        *v.pointer_mut(ptr).unwrap() = value.clone();
        std::fs::write(&path, serde_json::to_vec(&v).unwrap()).unwrap();
        let err = Keystore::open(&path, "pw").unwrap_err();
        assert!(matches!(err, KeystoreError::Corrupt { .. }), "{ptr} = {value}: {err}");
    }
}

#[test]
fn future_versions_are_named() {
    let dir = tmp();
    let path = dir.path().join("w.json");
    std::fs::write(&path, br#"{"version":2,"whatever":true}"#).unwrap();
    let err = Keystore::open(&path, "pw").unwrap_err();
    assert!(matches!(err, KeystoreError::UnsupportedVersion { version: 2, .. }), "{err}");
}

#[test]
fn params_are_stored_and_used_for_opening() {
    let dir = tmp();
    let path = dir.path().join("w.json");
    let params = KdfParams::new(256, 2, 2).unwrap();
    Keystore::create(&path, "pw", params).unwrap();
    let v = json(&path);
    assert_eq!(v["version"], 1);
    assert_eq!(v["kdf"]["alg"], "argon2id");
    assert_eq!(v["kdf"]["m_kib"], 256);
    assert_eq!(v["kdf"]["t"], 2);
    assert_eq!(v["kdf"]["p"], 2);
    assert_eq!(v["kdf"]["salt"].as_str().unwrap().len(), 32);
    assert_eq!(v["cipher"], "xchacha20poly1305");
    assert_eq!(v["nonce"].as_str().unwrap().len(), 48);
    assert_eq!(Keystore::open(&path, "pw").unwrap().params(), params);
}

#[test]
fn default_params_round_trip() {
    // One real open with the production parameters (64 MiB, t = 3), to be sure they work.
    let dir = tmp();
    let path = dir.path().join("w.json");
    let a = Keystore::create(&path, "pw", KdfParams::default()).unwrap().generate(None).unwrap();
    let ks = Keystore::open(&path, "pw").unwrap();
    assert_eq!(ks.params(), KdfParams { m_kib: 65536, t: 3, p: 1 });
    assert!(ks.contains(&a));
}

#[test]
fn each_write_uses_a_fresh_nonce() {
    let dir = tmp();
    let path = dir.path().join("w.json");
    let mut ks = Keystore::create(&path, "pw", FAST).unwrap();
    let n0 = json(&path)["nonce"].clone();
    ks.generate(None).unwrap();
    let n1 = json(&path)["nonce"].clone();
    ks.generate(None).unwrap();
    let n2 = json(&path)["nonce"].clone();
    assert!(n0 != n1 && n1 != n2 && n0 != n2);
}

#[test]
fn invalid_params_are_refused() {
    assert!(KdfParams::new(4, 1, 1).is_err());
    assert!(KdfParams::new(64, 0, 1).is_err());
    assert!(KdfParams::new(64, 1, 0).is_err());
    assert!(KdfParams::new(KdfParams::MAX_M_KIB + 1, 1, 1).is_err());
    let dir = tmp();
    let err = Keystore::create(&dir.path().join("w.json"), "pw", KdfParams { m_kib: 1, t: 1, p: 1 }).unwrap_err();
    assert!(matches!(err, KeystoreError::InvalidParams(_)), "{err}");
    assert!(!dir.path().join("w.json").exists());
}

#[cfg(unix)]
#[test]
fn files_are_private_and_no_temporaries_remain() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tmp();
    let path = dir.path().join("w.json");
    let mut ks = Keystore::create(&path, "pw", FAST).unwrap();
    assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
    ks.generate(None).unwrap();
    assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
    let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(names, vec![std::ffi::OsString::from("w.json")]);
}

#[test]
fn generated_keys_differ_and_debug_hides_secrets() {
    let a = generate_key();
    let b = generate_key();
    assert_ne!(a, b);
    let dir = tmp();
    let path = dir.path().join("w.json");
    let mut ks = Keystore::create(&path, "pw", FAST).unwrap();
    ks.import(a.clone(), None).unwrap();
    let debug = format!("{ks:?}");
    assert!(!debug.contains(&a.to_string()) && !debug.contains(&a.to_wif()));
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(!text.contains(&a.to_string()) && !text.contains(&a.to_wif()));
}
