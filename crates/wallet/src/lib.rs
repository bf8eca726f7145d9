//! The command-line wallet of `civitas`: an encrypted keystore, reads of chain state, and
//! signed transactions, all against a node's HTTP API (`/v1/chain/*`, the Antelope API).
//!
//! The binary flattens [`WalletCommand`] into its own subcommands and calls [`run`]:
//!
//! * `civitas key create|import|list` — keys in the wallet file ([`civitas_keystore`]);
//! * `civitas get info|account|producers|schedule|block|table|currency` — reads;
//! * `civitas transfer FROM TO QUANTITY [MEMO]` — token transfers;
//! * `civitas system newaccount|delegatebw|undelegatebw|refund|regproducer|unregprod|voteproducer|
//!   regproxy|unregproxy|claimrewards|setpayrate|setprodmeta` — the `eosio` system contract;
//! * `civitas push action CONTRACT ACTION JSON -p ACTOR@PERM` — any action.
//!
//! Output is human-readable by default and JSON with `--json` (the node's own answer for reads;
//! documented objects for keys and transactions, see `docs/wallet.md`). Errors name the argument
//! or the node endpoint that failed, with the node's Antelope message (`error.details[0]`).
//!
//! Transactions are built like Wharfkit builds them: TAPOS from the last irreversible block,
//! expiration = head block time + `--expire-secs`, action data encoded with the contract's ABI
//! from `get_abi` ([`civitas_abi`]), the signing keys chosen by the node's `get_required_keys`
//! among the wallet's public keys (so the password is asked only when something must be signed),
//! and the transaction pushed uncompressed with `push_transaction`.
//!
//! HTTP goes through `ureq`: blocking and small, which suits a tool making a few sequential
//! calls, and it needs no async runtime.

#![warn(missing_docs)]
// A command-line tool, not part of the deterministic core: it waits for blocks with the clock.
#![allow(clippy::disallowed_methods, clippy::disallowed_types)]

pub mod args;
pub mod client;
mod error;
pub mod format;
mod get;
mod keys;
mod system;
mod tx;

use std::io::{BufRead, IsTerminal, Write};
use std::path::PathBuf;

use clap::{Args, Subcommand};

pub use client::Client;
pub use error::{NodeError, WalletError};
pub use get::{CurrencyCommand, GetArgs, GetCommand};
pub use keys::{KeyArgs, KeyCommand};
pub use system::{SystemArgs, SystemCommand, VoteCommand};
pub use tx::{PushArgs, PushCommand, TransferArgs, TxOpts};

/// The node's HTTP API address when neither `--url` nor `CIVITAS_URL` is given.
pub const DEFAULT_URL: &str = "http://127.0.0.1:8888";

/// The wallet commands; the binary flattens them into its top-level subcommands.
#[derive(Debug, Subcommand)]
pub enum WalletCommand {
    /// Keys in the encrypted wallet file: create, import, list.
    Key(KeyArgs),
    /// Read chain state from a node: info, account, producers, schedule, block, table, currency.
    Get(GetArgs),
    /// Transfer tokens: FROM TO QUANTITY [MEMO].
    Transfer(TransferArgs),
    /// System contract actions: accounts, staking, producers, votes, pay.
    System(SystemArgs),
    /// Push any action: push action CONTRACT ACTION JSON -p ACTOR@PERM.
    Push(PushArgs),
}

/// Options for talking to a node.
#[derive(Debug, Clone, Args)]
pub struct NodeOpts {
    /// The node's HTTP API.
    #[arg(long, global = true, env = "CIVITAS_URL", default_value = DEFAULT_URL, value_name = "URL")]
    pub url: String,
    /// Print JSON for scripts instead of text.
    #[arg(long, global = true)]
    pub json: bool,
}

/// Options for the wallet file.
#[derive(Debug, Clone, Args)]
pub struct WalletOpts {
    /// The wallet file [default: $XDG_DATA_HOME/civitas/wallet.json, else
    /// ~/.local/share/civitas/wallet.json].
    #[arg(long, global = true, env = "CIVITAS_WALLET", value_name = "PATH")]
    pub wallet: Option<PathBuf>,
    /// Read the wallet password from this file (its first line). Otherwise the password comes
    /// from CIVITAS_WALLET_PASSWORD, else it is asked on the terminal.
    #[arg(long, global = true, value_name = "FILE")]
    pub password_file: Option<PathBuf>,
}

/// Where a command reads and writes, and what it knows of its environment. [`run`] fills it from
/// the process; tests fill it with buffers.
pub struct Ctx<'a> {
    /// Command output (stdout).
    pub out: &'a mut dyn Write,
    /// Warnings and notes (stderr).
    pub err: &'a mut dyn Write,
    /// Standard input (private keys for `key import`).
    pub input: &'a mut dyn BufRead,
    /// Whether a person is at the terminal (passwords may be asked).
    pub interactive: bool,
    /// `CIVITAS_WALLET_PASSWORD`.
    pub password_env: Option<String>,
    /// The wallet file used when `--wallet` and `CIVITAS_WALLET` are absent.
    pub default_wallet: Option<PathBuf>,
}

impl Ctx<'_> {
    pub(crate) fn print(&mut self, text: &str) -> Result<(), WalletError> {
        self.out.write_all(text.as_bytes()).map_err(WalletError::output)
    }

    pub(crate) fn println(&mut self, text: &str) -> Result<(), WalletError> {
        writeln!(self.out, "{text}").map_err(WalletError::output)
    }

    pub(crate) fn note(&mut self, text: &str) {
        // A note that cannot be written to stderr is not worth failing the command for.
        let _ = writeln!(self.err, "{text}");
    }
}

/// The default wallet file: `$XDG_DATA_HOME/civitas/wallet.json`, else
/// `$HOME/.local/share/civitas/wallet.json`.
pub fn default_wallet_path() -> Option<PathBuf> {
    let base = match std::env::var_os("XDG_DATA_HOME").filter(|v| !v.is_empty()) {
        Some(xdg) => PathBuf::from(xdg),
        None => PathBuf::from(std::env::var_os("HOME").filter(|v| !v.is_empty())?).join(".local/share"),
    };
    Some(base.join("civitas/wallet.json"))
}

/// Runs a wallet command against the process's stdin, stdout, stderr and environment.
pub fn run(command: WalletCommand) -> Result<(), WalletError> {
    let stdin = std::io::stdin();
    let interactive = stdin.is_terminal();
    let mut input = stdin.lock();
    let mut out = std::io::stdout().lock();
    let mut err = std::io::stderr().lock();
    let mut ctx = Ctx {
        out: &mut out,
        err: &mut err,
        input: &mut input,
        interactive,
        password_env: std::env::var("CIVITAS_WALLET_PASSWORD").ok(),
        default_wallet: default_wallet_path(),
    };
    let result = run_with(command, &mut ctx);
    ctx.out.flush().map_err(WalletError::output)?;
    result
}

/// Runs a wallet command with explicit input and output.
pub fn run_with(command: WalletCommand, ctx: &mut Ctx<'_>) -> Result<(), WalletError> {
    match command {
        WalletCommand::Key(a) => keys::run(a, ctx),
        WalletCommand::Get(a) => get::run(a, ctx),
        WalletCommand::Transfer(a) => tx::transfer(a, ctx),
        WalletCommand::System(a) => system::run(a, ctx),
        WalletCommand::Push(a) => tx::push(a, ctx),
    }
}

#[cfg(test)]
mod cli_tests;
#[cfg(test)]
mod fake_node;
