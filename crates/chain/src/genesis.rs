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
    /// Core tokens staked to the account itself at genesis, in addition to `balance` (half
    /// for NET, half for CPU). They give the account its vote weight.
    #[serde(default)]
    pub stake: Option<Asset>,
    /// Genesis producers the account votes for (strictly ascending, at most 30; needs `stake`).
    #[serde(default)]
    pub votes: Vec<Name>,
}

civitas_protocol::packable_struct!(GenesisAccount { name, owner_key, active_key, balance, stake, votes });

/// A genesis producer: the initial schedule, used until elections activate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GenesisProducer {
    /// The producer account (must be listed in `accounts`).
    pub name: Name,
    /// Its block signing key.
    pub signing_key: PublicKey,
    /// The web site published with its registration.
    #[serde(default)]
    pub url: String,
    /// The location code published with its registration.
    #[serde(default)]
    pub location: u16,
}

civitas_protocol::packable_struct!(GenesisProducer { name, signing_key, url, location });

/// The governance parameters (SPEC §4, §5, §12). Rates are in basis points (1/100 of a percent).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct GovernanceParams {
    /// Seconds between `undelegatebw` and the possible `refund` (default 3 days).
    pub unstake_delay_sec: u32,
    /// Share of the supply that must be staked and voting before elections replace the genesis
    /// producers, in basis points (default 1500 = 15%).
    pub activation_threshold: u16,
    /// Yearly inflation in basis points of the supply (default 100 = 1%; at most 500 = 5%).
    pub inflation_rate: u16,
    /// Share of the minted tokens that is producer block pay, in basis points (default 10000 =
    /// 100%); the rest goes to the worker fund.
    pub producer_share: u16,
    /// Seconds between two `claimrewards` of one producer (default 24 h).
    pub claim_interval_sec: u32,
}

impl Default for GovernanceParams {
    fn default() -> Self {
        GovernanceParams {
            unstake_delay_sec: 3 * 24 * 3600,
            activation_threshold: 1500,
            inflation_rate: 100,
            producer_share: 10_000,
            claim_interval_sec: 24 * 3600,
        }
    }
}

civitas_protocol::packable_struct!(GovernanceParams {
    unstake_delay_sec,
    activation_threshold,
    inflation_rate,
    producer_share,
    claim_interval_sec
});

/// The largest allowed `max_supply` in the smallest unit: 2^53. Vote weights are bounded by the
/// supply and stored as `float64` in the Antelope tables; below 2^53 every one is exact.
pub const MAX_EXACT_SUPPLY: i64 = 1 << 53;

/// The highest allowed `inflation_rate`: 5% a year (SPEC §5).
pub const MAX_INFLATION_RATE: u16 = 500;

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
    /// The initial producer schedule. Every genesis producer is also registered as a
    /// candidate (`regproducer`), so it is paid and can be voted for.
    pub producers: Vec<GenesisProducer>,
    /// Staking, election and pay parameters.
    #[serde(default)]
    pub governance: GovernanceParams,
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
        self.governance.pack(out);
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
            governance: Unpack::unpack(r)?,
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
        if self.max_supply.amount() > MAX_EXACT_SUPPLY {
            return err(format!(
                "max_supply {} exceeds 2^53 units: vote weights could no longer be exact float64",
                self.max_supply
            ));
        }
        self.validate_governance()?;
        if self.producers.is_empty() {
            return err("at least one genesis producer is required".into());
        }
        let mut names = std::collections::BTreeSet::new();
        let mut total: i128 = 0;
        let producers: std::collections::BTreeSet<Name> = self.producers.iter().map(|p| p.name).collect();
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
            if let Some(s) = a.stake {
                if s.symbol() != self.core_symbol || s.amount() < 0 {
                    return err(format!("stake of {} must be a non-negative amount of {}", a.name, self.core_symbol));
                }
                total += i128::from(s.amount());
            }
            self.validate_votes(a, &producers)?;
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
            if !p.signing_key.is_valid_point() {
                return err(format!("signing key of producer {} is not a valid key", p.name));
            }
            if p.url.len() >= crate::contracts::system::producers::MAX_URL_LEN {
                return err(format!("url of producer {} is too long", p.name));
            }
        }
        Ok(())
    }
}

impl Genesis {
    fn validate_governance(&self) -> Result<(), GenesisError> {
        let g = &self.governance;
        let err = |m: &str| Err(GenesisError(m.to_string()));
        if g.inflation_rate > MAX_INFLATION_RATE {
            return err("inflation_rate must be 0..=500 basis points (0% to 5% a year)");
        }
        if g.producer_share > 10_000 {
            return err("producer_share must be 0..=10000 basis points");
        }
        if g.activation_threshold > 10_000 {
            return err("activation_threshold must be 0..=10000 basis points");
        }
        Ok(())
    }

    fn validate_votes(
        &self,
        a: &GenesisAccount,
        producers: &std::collections::BTreeSet<Name>,
    ) -> Result<(), GenesisError> {
        if a.votes.is_empty() {
            return Ok(());
        }
        let err = |m: String| Err(GenesisError(m));
        if a.stake.is_none_or(|s| s.amount() == 0) {
            return err(format!("account {} votes but has no stake", a.name));
        }
        if a.votes.len() > crate::contracts::system::voting::MAX_VOTES {
            return err(format!("account {} votes for more than 30 producers", a.name));
        }
        if a.votes.windows(2).any(|w| w[0] >= w[1]) {
            return err(format!("votes of {} must be unique and sorted", a.name));
        }
        if let Some(p) = a.votes.iter().find(|p| !producers.contains(p)) {
            return err(format!("account {} votes for {p}, which is not a genesis producer", a.name));
        }
        Ok(())
    }
}
