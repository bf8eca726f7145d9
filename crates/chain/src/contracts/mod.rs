//! The native contracts and the context they run in.

pub mod system;
pub mod token;

use civitas_protocol::codec::Unpack;
use civitas_protocol::{Action, Name, TimePoint};

use crate::error::ChainError;
use crate::names::{EOSIO, EOSIO_TOKEN};
use crate::state::Kv;

/// What an action can see of the block it runs in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BlockInfo {
    /// Height of the block being built or applied.
    pub block_num: u32,
    /// Its slot time.
    pub time: TimePoint,
    /// Its producer.
    pub producer: Name,
}

/// The context of one action.
pub struct ApplyContext<'a> {
    /// The state.
    pub kv: &'a mut Kv,
    /// The action being applied.
    pub action: &'a Action,
    /// The block.
    pub block: BlockInfo,
    /// Chain parameters.
    pub config: &'a crate::ChainConfig,
}

impl ApplyContext<'_> {
    /// Decodes the action's arguments.
    pub fn args<T: Unpack>(&self) -> Result<T, ChainError> {
        T::unpack_exact(&self.action.data.0).map_err(|e| ChainError::InvalidArgs {
            action: format!("{}::{}", self.action.account, self.action.name),
            reason: e.to_string(),
        })
    }

    /// Fails unless the action declares an authorization by `account`.
    pub fn require_auth(&self, account: Name) -> Result<(), ChainError> {
        if self.has_auth(account) {
            Ok(())
        } else {
            Err(ChainError::MissingAuth(account))
        }
    }

    /// True if the action declares an authorization by `account`.
    pub fn has_auth(&self, account: Name) -> bool {
        self.action.authorization.iter().any(|l| l.actor == account)
    }

    /// True if the account exists.
    pub fn is_account(&self, name: Name) -> bool {
        crate::records::account_exists(self.kv, name)
    }
}

/// Runs an action on its native contract.
pub fn dispatch(ctx: &mut ApplyContext<'_>) -> Result<(), ChainError> {
    let (contract, action) = (ctx.action.account, ctx.action.name);
    let handled = match contract {
        EOSIO => system::apply(ctx)?,
        EOSIO_TOKEN => token::apply(ctx)?,
        _ => {
            if !ctx.is_account(contract) {
                return Err(ChainError::UnknownAccount(contract));
            }
            return Err(ChainError::NoContract(contract));
        }
    };
    if handled {
        Ok(())
    } else {
        Err(ChainError::ActionNotFound { contract, action })
    }
}
