//! The RAM market, Antelope's: `buyram`, `buyrambytes`, `sellram` against the `rammarket`
//! Bancor exchange (RAM bytes ⇄ core tokens, equal weights).
//!
//! Buying pays the tokens (less a 0.5% fee, rounded up, to `eosio.ramfee`) into `eosio.ram` and
//! adds the bytes to the receiver's `userres.ram_bytes`; selling returns tokens from `eosio.ram`
//! (less the fee) and takes the bytes back. The prices use Antelope's formula
//! `out = in × out_reserve / (in_reserve + in)` in exact integer arithmetic (Antelope rounds
//! through `double`), so every node computes the same amounts and no rounding creates tokens:
//! `eosio.ram` always holds exactly `global.total_ram_stake`, which is `quote − initial quote`.

use civitas_protocol::{Asset, Name, Symbol, SymbolCode};

use super::global;
use super::tables::{self, UserResources};
use crate::contracts::{token, ApplyContext};
use crate::error::{check, ChainError};
use crate::names::{EOSIO, EOSIO_RAM, EOSIO_RAMFEE};
use crate::state::{self, Kv, RowKey};

/// The `rammarket` table (scope `eosio`, key = the `RAMCORE` symbol).
pub const RAMMARKET: Name = Name::constant("rammarket");

/// `RAMCORE`, the market's own supply token (precision 4).
pub fn ramcore_symbol() -> Symbol {
    Symbol::new(4, "RAMCORE".parse::<SymbolCode>().unwrap_or_default()).unwrap_or_else(|_| unreachable!())
}

/// `RAM`, bytes (precision 0).
pub fn ram_symbol() -> Symbol {
    Symbol::new(0, "RAM".parse::<SymbolCode>().unwrap_or_default()).unwrap_or_else(|_| unreachable!())
}

/// One side of the exchange (`connector`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Connector {
    /// The reserve.
    pub balance: Asset,
    /// Its weight (0.5 for both sides, as Antelope; the formula does not use it).
    pub weight: f64,
}
civitas_protocol::packable_struct!(Connector { balance, weight });

/// The `rammarket` row (`exchange_state`): `base` is RAM bytes for sale, `quote` the tokens.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ExchangeState {
    /// The market's supply token (constant; kept for the Antelope layout).
    pub supply: Asset,
    /// RAM bytes not held by anyone.
    pub base: Connector,
    /// The token reserve: an initial virtual amount plus everything paid for RAM.
    pub quote: Connector,
}
civitas_protocol::packable_struct!(ExchangeState { supply, base, quote });

/// Key of the `rammarket` row.
pub fn market_key() -> RowKey {
    RowKey::contract(EOSIO.value(), EOSIO.value(), RAMMARKET.value(), ramcore_symbol().raw())
}

/// The market (written at genesis, so it always exists).
pub fn market(kv: &Kv) -> ExchangeState {
    state::get(kv, &market_key()).expect("the rammarket row is written at genesis")
}

/// The tokens (or bytes) `inp` buys from a reserve pair: `⌊inp × out_reserve / (inp_reserve +
/// inp)⌋` (Antelope's `get_bancor_output`), exact in 128-bit integers.
pub fn bancor_output(inp_reserve: i64, out_reserve: i64, inp: i64) -> i64 {
    let den = i128::from(inp_reserve) + i128::from(inp);
    if den <= 0 || inp <= 0 || out_reserve <= 0 {
        return 0;
    }
    (i128::from(inp) * i128::from(out_reserve) / den) as i64
}

/// What must go in to get `out` from a reserve pair: `⌈inp_reserve × out / (out_reserve −
/// out)⌉` (Antelope's `get_bancor_input`, rounded up so that the buyer gets at least `out`).
pub fn bancor_input(out_reserve: i64, inp_reserve: i64, out: i64) -> Option<i64> {
    if out <= 0 || out >= out_reserve {
        return None;
    }
    let num = i128::from(inp_reserve) * i128::from(out);
    let den = i128::from(out_reserve) - i128::from(out);
    i64::try_from((num + den - 1) / den).ok()
}

/// The 0.5% fee on an amount, rounded up (Antelope's `(amount + 199) / 200`).
pub fn fee(amount: i64) -> i64 {
    (amount + 199) / 200
}

/// What buying `bytes` costs with the fee (what `buyrambytes` pays; the buyer gets at least
/// `bytes`).
pub fn cost_of_bytes(m: &ExchangeState, bytes: i64) -> Option<i64> {
    let cost = bancor_input(m.base.balance.amount(), m.quote.balance.amount(), bytes)?;
    // ⌈cost × 200 / 199⌉: after the fee at least `cost` remains.
    i64::try_from((i128::from(cost) * 200 + 198) / 199).ok()
}

/// Writes the genesis market: `max_ram_size` bytes for sale against a virtual reserve of
/// `quote` tokens.
pub fn init_market(kv: &mut Kv, max_ram_size: u64, quote: Asset) {
    let m = ExchangeState {
        supply: Asset::new(100_000_000_000_000, ramcore_symbol()).unwrap_or_else(|_| unreachable!()),
        base: Connector {
            balance: Asset::new(max_ram_size as i64, ram_symbol()).unwrap_or_else(|_| unreachable!()),
            weight: 0.5,
        },
        quote: Connector { balance: quote, weight: 0.5 },
    };
    state::put(kv, market_key(), &m);
}

/// Exchanges `tokens` (fee already taken) for bytes and gives them to `receiver`; the tokens
/// must already be in `eosio.ram`. Returns the bytes.
pub fn reserve(kv: &mut Kv, receiver: Name, tokens: Asset) -> Result<i64, ChainError> {
    let mut m = market(kv);
    let bytes = bancor_output(m.quote.balance.amount(), m.base.balance.amount(), tokens.amount());
    check(bytes > 0, "must reserve a positive amount")?;
    m.quote.balance = m.quote.balance.checked_add(tokens).map_err(|e| ChainError::Assert(e.to_string()))?;
    m.base.balance =
        Asset::new(m.base.balance.amount() - bytes, ram_symbol()).map_err(|e| ChainError::Assert(e.to_string()))?;
    state::put(kv, market_key(), &m);
    let mut g = global::get(kv);
    g.total_ram_bytes_reserved += bytes as u64;
    g.total_ram_stake += tokens.amount();
    global::put(kv, &g);
    add_ram(kv, receiver, bytes, tokens.symbol())?;
    Ok(bytes)
}

fn add_ram(kv: &mut Kv, owner: Name, bytes: i64, core: Symbol) -> Result<(), ChainError> {
    check(crate::records::account_exists(kv, owner), &format!("owner={owner} account does not exist"))?;
    let mut res = tables::userres(kv, owner).unwrap_or(UserResources {
        owner,
        net_weight: Asset::zero(core),
        cpu_weight: Asset::zero(core),
        ram_bytes: 0,
    });
    res.ram_bytes += bytes;
    state::put(kv, tables::userres_key(owner), &res);
    Ok(())
}

/// `buyram` arguments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuyRam {
    /// Who pays.
    pub payer: Name,
    /// Who gets the bytes.
    pub receiver: Name,
    /// Tokens to spend, fee included.
    pub quant: Asset,
}
civitas_protocol::packable_struct!(BuyRam { payer, receiver, quant });

/// `buyrambytes` arguments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuyRamBytes {
    /// Who pays.
    pub payer: Name,
    /// Who gets the bytes.
    pub receiver: Name,
    /// Bytes to buy.
    pub bytes: u32,
}
civitas_protocol::packable_struct!(BuyRamBytes { payer, receiver, bytes });

/// `sellram` arguments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SellRam {
    /// Who sells.
    pub account: Name,
    /// Bytes to sell.
    pub bytes: i64,
}
civitas_protocol::packable_struct!(SellRam { account, bytes });

fn buy(ctx: &mut ApplyContext<'_>, payer: Name, receiver: Name, quant: Asset) -> Result<(), ChainError> {
    ctx.require_auth(payer)?;
    let core = tables::global(ctx.kv).core_symbol;
    check(quant.symbol() == core, "must buy ram with core token")?;
    check(quant.amount() > 0, "must purchase a positive amount")?;
    let fee = fee(quant.amount());
    let after = quant.amount() - fee;
    check(after > 0, "must purchase a positive amount")?;
    let asset = |a: i64| Asset::new(a, core).map_err(|e| ChainError::Assert(e.to_string()));
    token::transfer_internal(ctx.kv, payer, EOSIO_RAM, asset(after)?)?;
    token::transfer_internal(ctx.kv, payer, EOSIO_RAMFEE, asset(fee)?)?;
    reserve(ctx.kv, receiver, asset(after)?)?;
    Ok(())
}

pub(super) fn buyram(ctx: &mut ApplyContext<'_>) -> Result<(), ChainError> {
    let a: BuyRam = ctx.args()?;
    buy(ctx, a.payer, a.receiver, a.quant)
}

pub(super) fn buyrambytes(ctx: &mut ApplyContext<'_>) -> Result<(), ChainError> {
    let a: BuyRamBytes = ctx.args()?;
    ctx.require_auth(a.payer)?;
    let core = tables::global(ctx.kv).core_symbol;
    let cost = cost_of_bytes(&market(ctx.kv), i64::from(a.bytes))
        .ok_or_else(|| ChainError::Assert("must reserve a positive amount of bytes the market has".into()))?;
    let quant = Asset::new(cost, core).map_err(|e| ChainError::Assert(e.to_string()))?;
    buy(ctx, a.payer, a.receiver, quant)
}

pub(super) fn sellram(ctx: &mut ApplyContext<'_>) -> Result<(), ChainError> {
    let a: SellRam = ctx.args()?;
    ctx.require_auth(a.account)?;
    check(a.bytes > 0, "cannot reduce negative byte")?;
    let mut res = tables::userres(ctx.kv, a.account).ok_or_else(|| ChainError::Assert("no resource row".into()))?;
    check(res.ram_bytes >= a.bytes, "insufficient quota")?;
    res.ram_bytes -= a.bytes;
    state::put(ctx.kv, tables::userres_key(a.account), &res);

    let mut m = market(ctx.kv);
    let tokens = bancor_output(m.base.balance.amount(), m.quote.balance.amount(), a.bytes);
    check(tokens > 1, "token amount received from selling ram is too low")?;
    let core = tables::global(ctx.kv).core_symbol;
    let mut g = global::get(ctx.kv);
    let asset = |a: i64, s: Symbol| Asset::new(a, s).map_err(|e| ChainError::Assert(e.to_string()));
    m.base.balance = asset(m.base.balance.amount() + a.bytes, ram_symbol())?;
    m.quote.balance = asset(m.quote.balance.amount() - tokens, core)?;
    state::put(ctx.kv, market_key(), &m);
    g.total_ram_bytes_reserved = g.total_ram_bytes_reserved.saturating_sub(a.bytes as u64);
    g.total_ram_stake -= tokens;
    check(g.total_ram_stake >= 0, "error, attempt to unstake more tokens than previously staked")?;
    global::put(ctx.kv, &g);
    token::transfer_internal(ctx.kv, EOSIO_RAM, a.account, asset(tokens, core)?)?;
    token::transfer_internal(ctx.kv, a.account, EOSIO_RAMFEE, asset(fee(tokens), core)?)?;
    // The smaller quota is checked against the account's usage when the transaction settles.
    Ok(())
}
