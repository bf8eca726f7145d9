//! `eosio.token`, natively: the reference contract's actions and tables.
//!
//! Tables: `accounts` (scope = owner, key = symbol code) holding `{balance}`, and `stat`
//! (scope = symbol code, key = symbol code) holding `{supply, max_supply, issuer}`.

use civitas_protocol::{Asset, Name, Symbol};

use super::ApplyContext;
use crate::error::{check, ChainError};
use crate::names::{EOSIO_BPAY, EOSIO_STAKE, EOSIO_TOKEN};
use crate::state::{self, Kv, RowKey};

/// The `accounts` table.
pub const ACCOUNTS: Name = Name::constant("accounts");
/// The `stat` table.
pub const STAT: Name = Name::constant("stat");

/// A `stat` row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CurrencyStats {
    /// Tokens in existence.
    pub supply: Asset,
    /// The cap.
    pub max_supply: Asset,
    /// Who may issue.
    pub issuer: Name,
}

civitas_protocol::packable_struct!(CurrencyStats { supply, max_supply, issuer });

/// Key of a balance row.
pub fn balance_key(owner: Name, symbol: Symbol) -> RowKey {
    RowKey::contract(EOSIO_TOKEN.value(), owner.value(), ACCOUNTS.value(), symbol.code().raw())
}

/// Key of a stat row.
pub fn stat_key(symbol: Symbol) -> RowKey {
    RowKey::contract(EOSIO_TOKEN.value(), symbol.code().raw(), STAT.value(), symbol.code().raw())
}

/// The balance of `owner` in `symbol`'s token (zero if there is no row).
pub fn balance(kv: &Kv, owner: Name, symbol: Symbol) -> Asset {
    state::get(kv, &balance_key(owner, symbol)).unwrap_or_else(|| Asset::zero(symbol))
}

/// The stats of a token.
pub fn stats(kv: &Kv, symbol: Symbol) -> Option<CurrencyStats> {
    state::get(kv, &stat_key(symbol))
}

/// Debits `owner`.
pub fn sub_balance(kv: &mut Kv, owner: Name, value: Asset) -> Result<(), ChainError> {
    let key = balance_key(owner, value.symbol());
    let Some(from) = state::get::<Asset>(kv, &key) else {
        return Err(ChainError::Assert("no balance object found".into()));
    };
    check(from.symbol() == value.symbol(), "symbol precision mismatch")?;
    check(from.amount() >= value.amount(), "overdrawn balance")?;
    let left = from.checked_sub(value).map_err(|e| ChainError::Assert(e.to_string()))?;
    state::put(kv, key, &left);
    Ok(())
}

/// Credits `owner`, creating the row if needed.
pub fn add_balance(kv: &mut Kv, owner: Name, value: Asset) -> Result<(), ChainError> {
    let key = balance_key(owner, value.symbol());
    let next = match state::get::<Asset>(kv, &key) {
        Some(to) => to.checked_add(value).map_err(|e| ChainError::Assert(e.to_string()))?,
        None => value,
    };
    state::put(kv, key, &next);
    Ok(())
}

/// Creates new tokens out of thin air for `to` (system inflation and genesis), keeping the
/// supply in step.
pub fn mint(kv: &mut Kv, to: Name, value: Asset) -> Result<(), ChainError> {
    let key = stat_key(value.symbol());
    let mut st: CurrencyStats =
        state::get(kv, &key).ok_or_else(|| ChainError::Assert("token with symbol does not exist".into()))?;
    check(value.amount() >= 0, "must mint a non-negative quantity")?;
    check(value.amount() <= st.max_supply.amount() - st.supply.amount(), "quantity exceeds available supply")?;
    st.supply = st.supply.checked_add(value).map_err(|e| ChainError::Assert(e.to_string()))?;
    state::put(kv, key, &st);
    add_balance(kv, to, value)
}

/// Moves tokens between accounts without the action-level checks (used by system actions).
pub fn transfer_internal(kv: &mut Kv, from: Name, to: Name, value: Asset) -> Result<(), ChainError> {
    sub_balance(kv, from, value)?;
    add_balance(kv, to, value)
}

struct Create {
    issuer: Name,
    maximum_supply: Asset,
}
civitas_protocol::packable_struct!(Create { issuer, maximum_supply });

struct Issue {
    to: Name,
    quantity: Asset,
    memo: String,
}
civitas_protocol::packable_struct!(Issue { to, quantity, memo });

/// `transfer` arguments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transfer {
    /// Sender.
    pub from: Name,
    /// Recipient.
    pub to: Name,
    /// Amount.
    pub quantity: Asset,
    /// Free text, at most 256 bytes.
    pub memo: String,
}
civitas_protocol::packable_struct!(Transfer { from, to, quantity, memo });

struct Open {
    owner: Name,
    symbol: Symbol,
    ram_payer: Name,
}
civitas_protocol::packable_struct!(Open { owner, symbol, ram_payer });

struct Close {
    owner: Name,
    symbol: Symbol,
}
civitas_protocol::packable_struct!(Close { owner, symbol });

/// Applies an `eosio.token` action; `Ok(false)` for an unknown action.
pub fn apply(ctx: &mut ApplyContext<'_>) -> Result<bool, ChainError> {
    const TRANSFER: u64 = Name::constant("transfer").value();
    const CREATE: u64 = Name::constant("create").value();
    const ISSUE: u64 = Name::constant("issue").value();
    const OPEN: u64 = Name::constant("open").value();
    const CLOSE: u64 = Name::constant("close").value();
    match ctx.action.name.value() {
        TRANSFER => transfer(ctx)?,
        CREATE => create(ctx)?,
        ISSUE => issue(ctx)?,
        OPEN => open(ctx)?,
        CLOSE => close(ctx)?,
        _ => return Ok(false),
    }
    Ok(true)
}

fn transfer(ctx: &mut ApplyContext<'_>) -> Result<(), ChainError> {
    let t: Transfer = ctx.args()?;
    check(t.from != t.to, "cannot transfer to self")?;
    ctx.require_auth(t.from)?;
    check(ctx.is_account(t.to), "to account does not exist")?;
    // These accounts hold exactly what the system contract accounts for (stake and refunds,
    // unclaimed pay); a plain transfer in would break that invariant (docs/governance.md).
    check(t.to != EOSIO_STAKE, "cannot transfer to eosio.stake: use delegatebw to stake")?;
    check(t.to != EOSIO_BPAY, "cannot transfer to eosio.bpay: it holds unclaimed producer pay only")?;
    let st = stats(ctx.kv, t.quantity.symbol()).ok_or_else(|| ChainError::Assert("unable to find key".into()))?;
    check(t.quantity.amount() > 0, "must transfer positive quantity")?;
    check(t.quantity.symbol() == st.supply.symbol(), "symbol precision mismatch")?;
    check(t.memo.len() <= 256, "memo has more than 256 bytes")?;
    sub_balance(ctx.kv, t.from, t.quantity)?;
    add_balance(ctx.kv, t.to, t.quantity)
}

/// True if a token with this symbol code exists (whatever its precision).
fn token_code_exists(kv: &Kv, symbol: Symbol) -> bool {
    kv.contains(&RowKey::contract(EOSIO_TOKEN.value(), symbol.code().raw(), STAT.value(), symbol.code().raw()))
}

fn create(ctx: &mut ApplyContext<'_>) -> Result<(), ChainError> {
    let c: Create = ctx.args()?;
    ctx.require_auth(EOSIO_TOKEN)?;
    check(c.maximum_supply.amount() > 0, "max-supply must be positive")?;
    check(!token_code_exists(ctx.kv, c.maximum_supply.symbol()), "token with symbol already exists")?;
    let st = CurrencyStats {
        supply: Asset::zero(c.maximum_supply.symbol()),
        max_supply: c.maximum_supply,
        issuer: c.issuer,
    };
    state::put(ctx.kv, stat_key(c.maximum_supply.symbol()), &st);
    Ok(())
}

fn issue(ctx: &mut ApplyContext<'_>) -> Result<(), ChainError> {
    let i: Issue = ctx.args()?;
    check(i.memo.len() <= 256, "memo has more than 256 bytes")?;
    let st = stats(ctx.kv, i.quantity.symbol())
        .ok_or_else(|| ChainError::Assert("token with symbol does not exist, create token before issue".into()))?;
    check(i.to == st.issuer, "tokens can only be issued to issuer account")?;
    ctx.require_auth(st.issuer)?;
    check(i.quantity.amount() > 0, "must issue positive quantity")?;
    check(i.quantity.symbol() == st.supply.symbol(), "symbol precision mismatch")?;
    mint(ctx.kv, st.issuer, i.quantity)
}

fn open(ctx: &mut ApplyContext<'_>) -> Result<(), ChainError> {
    let o: Open = ctx.args()?;
    ctx.require_auth(o.ram_payer)?;
    check(ctx.is_account(o.owner), "owner account does not exist")?;
    let st = stats(ctx.kv, o.symbol).ok_or_else(|| ChainError::Assert("symbol does not exist".into()))?;
    check(st.supply.symbol() == o.symbol, "symbol precision mismatch")?;
    let key = balance_key(o.owner, o.symbol);
    if !ctx.kv.contains(&key) {
        state::put(ctx.kv, key, &Asset::zero(o.symbol));
    }
    Ok(())
}

fn close(ctx: &mut ApplyContext<'_>) -> Result<(), ChainError> {
    let c: Close = ctx.args()?;
    ctx.require_auth(c.owner)?;
    let key = balance_key(c.owner, c.symbol);
    let bal: Asset = state::get(ctx.kv, &key).ok_or_else(|| {
        ChainError::Assert("Balance row already deleted or never existed. Action won't have any effect.".into())
    })?;
    check(bal.amount() == 0, "Cannot close because the balance is not zero.")?;
    ctx.kv.remove(&key);
    Ok(())
}
