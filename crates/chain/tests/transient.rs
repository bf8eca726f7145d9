//! Dry-run and read-only transactions (nodeos's `compute_transaction` and
//! `send_read_only_transaction`), through the public chain API.

mod common;

use civitas_chain::{ChainError, Transient};
use civitas_protocol::PermissionLevel;
use common::*;

#[test]
fn a_dry_run_checks_everything_but_whether_the_signatures_satisfy_the_authority() {
    let mut h = Harness::new();
    let dry = |h: &mut Harness, keys: &[&civitas_protocol::PrivateKey], action| {
        let trx = h.trx(vec![action]);
        let vt = h.sign(&trx, keys);
        h.chain.apply_transient(&vt, Transient::DryRun)
    };
    let t = transfer("alice", "bob", "1.0000 CIV", "");
    // No signature, the wrong one, an extra one: all fine for a dry run.
    for keys in [&[][..], &[&key("bob")], &[&key("alice"), &key("carol")]] {
        let trace = dry(&mut h, keys, t.clone()).unwrap();
        assert_eq!(trace.actions, vec![t.clone()]);
    }
    // A declared permission that does not exist, or is not allowed for the action, still fails.
    let mut nosuch = t.clone();
    nosuch.authorization = vec![PermissionLevel::new(n("alice"), n("nosuch"))];
    assert!(matches!(dry(&mut h, &[], nosuch), Err(ChainError::UnknownPermission(_))));
    // The contract runs: its assertions fail the dry run.
    let overdrawn = transfer("alice", "bob", "5000.0000 CIV", "");
    assert_eq!(dry(&mut h, &[], overdrawn), Err(ChainError::Assert("overdrawn balance".into())));
    // Expiration, TAPOS and duplicates are checked as for a push.
    let mut trx = h.trx(vec![t.clone()]);
    trx.ref_block_prefix ^= 1;
    let vt = h.sign(&trx, &[]);
    assert!(matches!(h.chain.apply_transient(&vt, Transient::DryRun), Err(ChainError::InvalidRefBlock { .. })));
    let trx = h.trx(vec![t.clone()]);
    let vt = h.sign(&trx, &[&key("alice")]);
    h.chain.apply_transaction(&vt).unwrap();
    assert_eq!(h.chain.apply_transient(&vt, Transient::DryRun), Err(ChainError::Duplicate(vt.id)));
}

#[test]
fn a_read_only_transaction_declares_no_authority_and_skips_the_header_checks() {
    let mut h = Harness::new();
    let t = transfer("alice", "bob", "1.0000 CIV", "");
    let trx = h.trx(vec![t.clone()]);
    let vt = h.sign(&trx, &[&key("alice")]);
    match h.chain.apply_transient(&vt, Transient::ReadOnly) {
        Err(ChainError::InvalidTransaction(m)) => {
            assert_eq!(m, "read-only action 'transfer' cannot have authorizations")
        }
        other => panic!("{other:?}"),
    }
    // Without an authority, expired and on a wrong TAPOS block: the contract's own check fails.
    let mut bare = t.clone();
    bare.authorization.clear();
    let mut trx = h.trx(vec![bare.clone()]);
    trx.expiration.0 = 1;
    trx.ref_block_prefix ^= 1;
    let vt = h.sign(&trx, &[]);
    assert_eq!(h.chain.apply_transient(&vt, Transient::ReadOnly), Err(ChainError::MissingAuth(n("alice"))));
    let mut unknown = bare;
    unknown.account = n("nobody");
    let vt = h.sign(&h.trx(vec![unknown]), &[]);
    match h.chain.apply_transient(&vt, Transient::ReadOnly) {
        Err(ChainError::InvalidTransaction(m)) => assert_eq!(m, "action's code account 'nobody' does not exist"),
        other => panic!("{other:?}"),
    }
}
