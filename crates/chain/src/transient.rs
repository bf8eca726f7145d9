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
