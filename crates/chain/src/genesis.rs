//! Genesis: the JSON file that defines a chain, its chain id and its initial state.

use civitas_protocol::codec::{Pack, Reader, Unpack};
use civitas_protocol::{sha256, Asset, Checksum256, CodecError, Name, PublicKey, Symbol, TimePoint};
use serde::{Deserialize, Serialize};

/// A genesis account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GenesisAccount {
    /// The account name.
    pub name: Name,
    /// Key of the `owner` permission.
    pub owner_key: PublicKey,
    /// Key of the `active` permission (defaults to the owner key).
    #[serde(default)]
    pub active_key: Option<PublicKey>,
    /// Liquid core-token balance.
    #[serde(default)]
    pub balance: Option<Asset>,
}

civitas_protocol::packable_struct!(GenesisAccount { name, owner_key, active_key, balance });

/// A genesis producer: the initial schedule, used until elections activate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GenesisProducer {
    /// The producer account (must be listed in `accounts`).
    pub name: Name,
    /// Its block signing key.
    pub signing_key: PublicKey,
}

civitas_protocol::packable_struct!(GenesisProducer { name, signing_key });

fn default_symbol() -> Symbol {
    Symbol::new(4, "CIV".parse().unwrap_or_default()).unwrap_or_else(|_| unreachable!())
}
fn default_max_supply() -> Asset {
    Asset::new(10_000_000_000 * 10_000, default_symbol()).unwrap_or_else(|_| unreachable!())
}
fn default_interval() -> u32 {
    3000
}
fn one() -> u32 {
    1
}
fn default_active() -> u32 {
    21
}
fn default_lifetime() -> u32 {
    3600
}
fn default_chain_name() -> String {
    "civitas".into()
}

/// The genesis file. Its packed form hashes to the chain id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Genesis {
    /// A human name for the network.
    #[serde(default = "default_chain_name")]
    pub chain_name: String,
    /// Time of slot 0.
    pub initial_timestamp: TimePoint,
    /// The core token's symbol (default `4,CIV`).
    #[serde(default = "default_symbol")]
    pub core_symbol: Symbol,
    /// Maximum supply of the core token.
    #[serde(default = "default_max_supply")]
    pub max_supply: Asset,
    /// Slot length in milliseconds (≥ 100).
    #[serde(default = "default_interval")]
    pub block_interval_ms: u32,
    /// Consecutive slots per producer turn.
    #[serde(default = "one")]
    pub blocks_per_turn: u32,
    /// Size of the active producer set.
    #[serde(default = "default_active")]
    pub active_producers: u32,
    /// Longest allowed transaction lifetime in seconds.
    #[serde(default = "default_lifetime")]
    pub max_transaction_lifetime_sec: u32,
    /// Accounts with keys and balances.
    #[serde(default)]
    pub accounts: Vec<GenesisAccount>,
    /// The initial producer schedule.
    pub producers: Vec<GenesisProducer>,
}

impl Pack for Genesis {
    fn pack(&self, out: &mut Vec<u8>) {
        self.chain_name.pack(out);
        self.initial_timestamp.pack(out);
        self.core_symbol.pack(out);
        self.max_supply.pack(out);
        self.block_interval_ms.pack(out);
        self.blocks_per_turn.pack(out);
        self.active_producers.pack(out);
        self.max_transaction_lifetime_sec.pack(out);
        self.accounts.pack(out);
        self.producers.pack(out);
    }
}

impl Unpack for Genesis {
    fn unpack(r: &mut Reader<'_>) -> Result<Self, CodecError> {
        Ok(Genesis {
            chain_name: Unpack::unpack(r)?,
            initial_timestamp: Unpack::unpack(r)?,
            core_symbol: Unpack::unpack(r)?,
            max_supply: Unpack::unpack(r)?,
            block_interval_ms: Unpack::unpack(r)?,
            blocks_per_turn: Unpack::unpack(r)?,
            active_producers: Unpack::unpack(r)?,
            max_transaction_lifetime_sec: Unpack::unpack(r)?,
            accounts: Unpack::unpack(r)?,
            producers: Unpack::unpack(r)?,
        })
    }
}

/// A genesis that cannot start a chain.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid genesis: {0}")]
pub struct GenesisError(pub String);

impl Genesis {
    /// The chain id: SHA-256 of the packed genesis.
    pub fn chain_id(&self) -> Checksum256 {
        sha256(&self.packed())
    }

    /// Parses and validates genesis JSON.
    pub fn from_json(text: &str) -> Result<Genesis, GenesisError> {
        let g: Genesis = serde_json::from_str(text).map_err(|e| GenesisError(e.to_string()))?;
        g.validate()?;
        Ok(g)
    }

    /// Checks the parameters and cross-references.
    pub fn validate(&self) -> Result<(), GenesisError> {
        let err = |m: String| Err(GenesisError(m));
        if self.block_interval_ms < 100 {
            return err(format!("block_interval_ms {} is below 100", self.block_interval_ms));
        }
        if self.blocks_per_turn == 0 || self.blocks_per_turn > 1000 {
            return err("blocks_per_turn must be 1..=1000".into());
        }
        if self.active_producers == 0 || self.active_producers > 125 {
            return err("active_producers must be 1..=125".into());
        }
        if self.max_transaction_lifetime_sec == 0 {
            return err("max_transaction_lifetime_sec must be positive".into());
        }
        if self.max_supply.symbol() != self.core_symbol || self.max_supply.amount() <= 0 {
            return err(format!("max_supply {} must be a positive amount of {}", self.max_supply, self.core_symbol));
        }
        if self.producers.is_empty() {
            return err("at least one genesis producer is required".into());
        }
        let mut names = std::collections::BTreeSet::new();
        let mut total: i128 = 0;
        for a in &self.accounts {
            if !names.insert(a.name) {
                return err(format!("account {} is listed twice", a.name));
            }
            if a.name.is_empty() || a.name.to_string().len() > 12 {
                return err(format!("account name {:?} must be 1 to 12 characters", a.name.to_string()));
            }
            if crate::names::SYSTEM_ACCOUNTS.contains(&a.name) {
                return err(format!("account {} is a system account created by the chain", a.name));
            }
            if let Some(b) = a.balance {
                if b.symbol() != self.core_symbol || b.amount() < 0 {
                    return err(format!("balance of {} must be a non-negative amount of {}", a.name, self.core_symbol));
                }
                total += i128::from(b.amount());
            }
        }
        if total > i128::from(self.max_supply.amount()) {
            return err("genesis balances exceed max_supply".into());
        }
        let mut prods = std::collections::BTreeSet::new();
        for p in &self.producers {
            if !names.contains(&p.name) {
                return err(format!("producer {} is not a genesis account", p.name));
            }
            if !prods.insert(p.name) {
                return err(format!("producer {} is listed twice", p.name));
            }
        }
        Ok(())
    }
}
