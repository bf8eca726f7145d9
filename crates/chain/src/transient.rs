//! Transactions that are executed and then forgotten: nodeos's *transient* transactions, the
//! dry run of `compute_transaction` and the read-only transaction of
//! `send_read_only_transaction` (Leap `controller.cpp` `push_transaction`,
//! `transaction_context.cpp`, `apply_context.cpp`). The caller runs them in a block it aborts
//! afterwards; here they differ from an ordinary transaction only in what is checked:
//!
//! * a dry run is checked like a pushed transaction (shape, expiration, TAPOS, duplicates,
//!   declared permissions that exist and satisfy each action's minimum permission) except that
//!   the signatures need not satisfy the declared authority, and unused signatures are no
//!   error (nodeos's `check_but_dont_fail`);
//! * a read-only transaction skips expiration, TAPOS, duplicate and authority checks, is not
//!   remembered, must declare no authorization at all ("read-only action … cannot have
//!   authorizations"), and fails as soon as an action changes the state
//!   (`table_operation_not_permitted`).

use civitas_protocol::transaction::VerifiedTransaction;
use civitas_protocol::{Action, Transaction};

use crate::chain::{Chain, TransactionTrace};
use crate::error::ChainError;
use crate::records;

/// Which kind of transient transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transient {
    /// `compute_transaction`: everything a push checks except whether the signatures satisfy
    /// the declared authority.
    DryRun,
    /// `send_read_only_transaction`: no authorizations, no state changes.
    ReadOnly,
}

impl Chain {
    /// Applies a transient transaction to the open block. The state changes it makes are kept
    /// in the open block like any other (later transactions of a dry-run batch see them); the
    /// caller aborts the block to forget them.
    pub fn apply_transient(
        &mut self,
        vt: &VerifiedTransaction,
        kind: Transient,
    ) -> Result<TransactionTrace, ChainError> {
        let block = self.pending().expect("apply_transient without an open block");
        match kind {
            Transient::DryRun => {
                self.check_input(vt, block)?;
                self.check_declared_permissions(&vt.trx.actions)?;
                self.execute(vt, block, false)
            }
            Transient::ReadOnly => {
                self.check_read_only(&vt.trx, vt.size)?;
                self.execute(vt, block, true)
            }
        }
    }

    /// The declared permissions exist and satisfy each action's minimum permission; whether
    /// the signatures satisfy them is not asked.
    fn check_declared_permissions(&self, actions: &[Action]) -> Result<(), ChainError> {
        for action in actions {
            for level in &action.authorization {
                self.check_minimum_permission(action, level)?;
            }
        }
        Ok(())
    }

    /// A read-only transaction's shape: the common rules, contracts that exist, and no
    /// authorization on any action (nodeos's `validate_referenced_accounts`).
    fn check_read_only(&self, trx: &Transaction, size: usize) -> Result<(), ChainError> {
        self.check_form(trx, size)?;
        for a in &trx.actions {
            if !records::account_exists(self.kv(), a.account) {
                return Err(ChainError::InvalidTransaction(format!(
                    "action's code account '{}' does not exist",
                    a.account
                )));
            }
            if !a.authorization.is_empty() {
                return Err(ChainError::InvalidTransaction(format!(
                    "read-only action '{}' cannot have authorizations",
                    a.name
                )));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use civitas_protocol::{Bytes, Checksum256, Name, Pack, PermissionLevel, PrivateKey, TimePointSec};

    use super::*;
    use crate::contracts::token::Transfer;
    use crate::{BlockInfo, Genesis};

    /// No native action writes without an authority, so a read-only transaction never reaches
    /// the write check through [`Chain::apply_transient`]; the check itself is tried here.
    #[test]
    fn a_read_only_execution_that_writes_fails_and_leaves_nothing() {
        let key = PrivateKey::from_seed("transient-test").public_key().to_string();
        let g: Genesis = serde_json::from_value(serde_json::json!({
            "initial_timestamp": "2027-01-01T00:00:00.000",
            "accounts": [{"name": "alice", "owner_key": key, "balance": "10.0000 CIV", "stake": "1.0000 CIV"}, {"name": "bob", "owner_key": key}],
            "producers": [{"name": "alice", "signing_key": key}],
        }))
        .unwrap();
        let mut chain = Chain::from_genesis(&g).unwrap();
        let block = BlockInfo { block_num: 2, time: g.initial_timestamp, producer: Name(0) };
        chain.start_block(block, Checksum256::ZERO);
        let data = Transfer {
            from: Name::constant("alice"),
            to: Name::constant("bob"),
            quantity: "1.0000 CIV".parse().unwrap(),
            memo: String::new(),
        };
        let action = Action {
            account: crate::names::EOSIO_TOKEN,
            name: Name::constant("transfer"),
            authorization: vec![PermissionLevel::new(Name::constant("alice"), Name::constant("active"))],
            data: Bytes(data.packed()),
        };
        let trx = Transaction::new(TimePointSec(1_900_000_000), &Checksum256::ZERO, vec![action]);
        let vt = VerifiedTransaction::trusted(trx.clone(), trx.sign(&chain.config().chain_id, &[]), vec![]);
        let (before, changes) = (chain.kv().full_hash(), chain.kv().block_changes());
        assert_eq!(chain.execute(&vt, block, true), Err(ChainError::ReadOnlyWrite("eosio.token::transfer".into())));
        assert_eq!((chain.kv().full_hash(), chain.kv().block_changes()), (before, changes));
        // The same execution, not read-only, writes.
        assert!(chain.execute(&vt, block, false).is_ok());
        assert_ne!(chain.kv().full_hash(), before);
    }
}
