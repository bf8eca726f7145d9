//! `civitas system …`: the `eosio` system contract's actions (see docs/governance.md for their
//! rules). Arguments are checked here; the contract's own checks come back as the node's error.

use civitas_protocol::{Asset, Name, PermissionLevel, PublicKey};
use clap::{Args, Subcommand};
use serde_json::{json, Value};

use crate::tx::{auth_or, execute, ActionSpec, TxOpts};
use crate::{args, Ctx, WalletError};

const EOSIO: Name = Name::constant("eosio");

/// `civitas system …`
#[derive(Debug, Args)]
pub struct SystemArgs {
    #[command(flatten)]
    #[allow(missing_docs)]
    pub tx: TxOpts,
    /// Authorize as ACTOR@PERMISSION [default: the acting account's active permission]; may be
    /// repeated.
    #[arg(short = 'p', long = "permission", global = true, value_name = "ACTOR@PERM", value_parser = args::permission)]
    pub permission: Vec<PermissionLevel>,
    #[command(subcommand)]
    #[allow(missing_docs)]
    pub command: SystemCommand,
}

/// The system subcommands.
#[derive(Debug, Subcommand)]
pub enum SystemCommand {
    /// Create an account whose owner (and active) permission is a single key.
    Newaccount {
        /// The paying account, which authorizes the creation.
        #[arg(value_parser = args::name)]
        creator: Name,
        /// The new account's name.
        #[arg(value_parser = args::name)]
        name: Name,
        /// The owner permission's key.
        #[arg(value_parser = args::public_key)]
        owner_key: PublicKey,
        /// The active permission's key [default: OWNER_KEY].
        #[arg(value_parser = args::public_key)]
        active_key: Option<PublicKey>,
        /// Also stake this much for network from CREATOR to the new account (same transaction).
        /// The account needs NET and CPU stake to send transactions of its own.
        #[arg(long, value_name = "QUANTITY", value_parser = args::quantity)]
        stake_net: Option<Asset>,
        /// Also stake this much for CPU from CREATOR to the new account (same transaction).
        #[arg(long, value_name = "QUANTITY", value_parser = args::quantity)]
        stake_cpu: Option<Asset>,
        /// Give the stake (and its vote) to the new account instead of keeping it.
        #[arg(long)]
        transfer: bool,
        /// RAM to buy for the new account, in KiB (same transaction) [default: 8 unless
        /// --buy-ram-bytes or --buy-ram is given]. Its own records take about 2.8 KB.
        #[arg(long, value_name = "KIB", conflicts_with_all = ["buy_ram_bytes", "buy_ram"])]
        buy_ram_kbytes: Option<u32>,
        /// RAM to buy for the new account, in bytes.
        #[arg(long, value_name = "BYTES", conflicts_with = "buy_ram")]
        buy_ram_bytes: Option<u32>,
        /// Tokens to spend on RAM for the new account, e.g. "1.0000 CIV".
        #[arg(long, value_name = "QUANTITY", value_parser = args::quantity)]
        buy_ram: Option<Asset>,
    },
    /// Buy RAM on the market: AMOUNT is tokens (e.g. "1.0000 CIV"), or a size with --kbytes or
    /// --bytes.
    Buyram {
        /// Who pays.
        #[arg(value_parser = args::name)]
        payer: Name,
        /// Who gets the RAM.
        #[arg(value_parser = args::name)]
        receiver: Name,
        /// Tokens to spend, or the size to buy with --kbytes / --bytes.
        amount: String,
        /// AMOUNT is KiB of RAM.
        #[arg(long, short = 'k', conflicts_with = "bytes")]
        kbytes: bool,
        /// AMOUNT is bytes of RAM.
        #[arg(long, short = 'b')]
        bytes: bool,
    },
    /// Sell RAM back to the market (0.5% fee).
    Sellram {
        /// The account selling.
        #[arg(value_parser = args::name)]
        account: Name,
        /// Bytes to sell.
        bytes: i64,
    },
    /// Bid on a premium name (shorter than 12 characters, no dot); the highest bid a day old wins.
    Bidname {
        /// Who bids.
        #[arg(value_parser = args::name)]
        bidder: Name,
        /// The name.
        #[arg(value_parser = args::name)]
        newname: Name,
        /// The bid, e.g. "10.0000 CIV" (at least 10% above the current one).
        #[arg(value_parser = args::quantity)]
        bid: Asset,
    },
    /// Stake tokens (vote weight) to an account.
    Delegatebw {
        /// The account whose tokens are staked.
        #[arg(value_parser = args::name)]
        from: Name,
        /// The account the stake is for.
        #[arg(value_parser = args::name)]
        receiver: Name,
        /// Stake for network, e.g. "10.0000 CIV".
        #[arg(value_parser = args::quantity)]
        stake_net_quantity: Asset,
        /// Stake for CPU, e.g. "10.0000 CIV".
        #[arg(value_parser = args::quantity)]
        stake_cpu_quantity: Asset,
        /// Give the stake (and its vote) to RECEIVER.
        #[arg(long)]
        transfer: bool,
    },
    /// Unstake tokens; they come back with `refund` after the unstaking delay.
    Undelegatebw {
        /// The account that staked.
        #[arg(value_parser = args::name)]
        from: Name,
        /// The account the stake was for.
        #[arg(value_parser = args::name)]
        receiver: Name,
        /// Network stake to release.
        #[arg(value_parser = args::quantity)]
        unstake_net_quantity: Asset,
        /// CPU stake to release.
        #[arg(value_parser = args::quantity)]
        unstake_cpu_quantity: Asset,
    },
    /// Claim unstaked tokens once the unstaking delay has passed.
    Refund {
        /// The account to refund.
        #[arg(value_parser = args::name)]
        owner: Name,
    },
    /// Register (or update) a block producer candidate.
    Regproducer {
        /// The producer account.
        #[arg(value_parser = args::name)]
        producer: Name,
        /// The key it signs blocks with.
        #[arg(value_parser = args::public_key)]
        producer_key: PublicKey,
        /// Its web site (shorter than 512 bytes).
        // Not named `url`: that id belongs to the global --url.
        #[arg(value_name = "URL", default_value = "")]
        website: String,
        /// Location code.
        #[arg(default_value_t = 0)]
        location: u16,
    },
    /// Unregister a producer candidate (votes for it stay attached).
    Unregprod {
        /// The producer account.
        #[arg(value_parser = args::name)]
        producer: Name,
    },
    /// Vote for producers, or through a proxy.
    Voteproducer {
        #[command(subcommand)]
        #[allow(missing_docs)]
        vote: VoteCommand,
    },
    /// Register an account as a voting proxy.
    Regproxy {
        /// The account.
        #[arg(value_parser = args::name)]
        proxy: Name,
    },
    /// Unregister a voting proxy.
    Unregproxy {
        /// The account.
        #[arg(value_parser = args::name)]
        proxy: Name,
    },
    /// Move a producer's kept, unclaimed pay to its balance.
    Claimrewards {
        /// The producer account.
        #[arg(value_parser = args::name)]
        owner: Name,
    },
    /// Set the share of its pay a producer keeps (the rest goes to the worker fund).
    Setpayrate {
        /// The producer account.
        #[arg(value_parser = args::name)]
        producer: Name,
        /// Basis points 0 to 10000 (e.g. 4000) or a percentage (e.g. 40%).
        #[arg(value_parser = args::keep_rate)]
        keep_rate: u16,
    },
    /// Publish a producer's diversity metadata.
    Setprodmeta {
        /// The producer account.
        #[arg(value_parser = args::name)]
        producer: Name,
        /// ISO 3166-1 alpha-2 country code, e.g. DE.
        #[arg(long)]
        country: String,
        /// Legal jurisdiction.
        #[arg(long)]
        jurisdiction: String,
        /// Network provider or autonomous system (AS13335).
        #[arg(long)]
        network: String,
        /// Hardware or hosting.
        #[arg(long)]
        hardware: String,
        /// Node software.
        #[arg(long)]
        software: String,
    },
}

/// `civitas system voteproducer …`
#[derive(Debug, Subcommand)]
pub enum VoteCommand {
    /// Vote for up to 30 producers (none: withdraw the vote). Sorted for the contract.
    Prods {
        /// The voting account.
        #[arg(value_parser = args::name)]
        voter: Name,
        /// The producers.
        #[arg(value_parser = args::name)]
        producers: Vec<Name>,
    },
    /// Vote through a proxy.
    Proxy {
        /// The voting account.
        #[arg(value_parser = args::name)]
        voter: Name,
        /// The proxy.
        #[arg(value_parser = args::name)]
        proxy: Name,
    },
}

fn eosio(action: &'static str, auth: Vec<PermissionLevel>, data: Value) -> ActionSpec {
    ActionSpec { account: EOSIO, name: Name::constant(action), authorization: auth, data, data_field: "arguments" }
}

fn single_key(key: &PublicKey) -> Value {
    json!({"threshold": 1, "keys": [{"key": key.to_string(), "weight": 1}], "accounts": [], "waits": []})
}

/// The actions a system command sends.
pub(crate) fn actions(command: SystemCommand, p: &[PermissionLevel]) -> Result<Vec<ActionSpec>, WalletError> {
    let n = |x: Name| x.to_string();
    Ok(match command {
        SystemCommand::Newaccount {
            creator,
            name,
            owner_key,
            active_key,
            stake_net,
            stake_cpu,
            transfer,
            buy_ram_kbytes,
            buy_ram_bytes,
            buy_ram,
        } => {
            let active = active_key.unwrap_or(owner_key);
            let auth = auth_or(p, creator);
            let mut list = vec![eosio(
                "newaccount",
                auth.clone(),
                json!({"creator": n(creator), "name": n(name), "owner": single_key(&owner_key),
                       "active": single_key(&active)}),
            )];
            // The new account pays for its own records, so RAM is bought in the same
            // transaction (cleos's default: 8 KiB).
            list.push(match (buy_ram, buy_ram_bytes) {
                (Some(quant), _) => buy_tokens(creator, name, quant, auth.clone()),
                (None, Some(bytes)) => buy_bytes(creator, name, bytes, auth.clone()),
                (None, None) => {
                    buy_bytes(creator, name, kib("--buy-ram-kbytes", buy_ram_kbytes.unwrap_or(8))?, auth.clone())
                }
            });
            if let Some(first) = stake_net.or(stake_cpu) {
                // A stake given for one resource only stakes zero of the same token for the other.
                let zero = Asset::zero(first.symbol());
                list.push(delegate(
                    creator,
                    name,
                    stake_net.unwrap_or(zero),
                    stake_cpu.unwrap_or(zero),
                    transfer,
                    auth,
                ));
            } else if transfer {
                return Err(WalletError::arg("--transfer", "needs --stake-net or --stake-cpu"));
            }
            list
        }
        SystemCommand::Buyram { payer, receiver, amount, kbytes, bytes } => {
            let auth = auth_or(p, payer);
            if kbytes || bytes {
                let size: u32 = amount
                    .trim()
                    .parse()
                    .map_err(|_| WalletError::arg("AMOUNT", format!("{amount:?} is not a whole number of bytes")))?;
                vec![buy_bytes(payer, receiver, if kbytes { kib("AMOUNT", size)? } else { size }, auth)]
            } else {
                let quant = args::quantity(&amount).map_err(|e| WalletError::arg("AMOUNT", e))?;
                vec![buy_tokens(payer, receiver, quant, auth)]
            }
        }
        SystemCommand::Sellram { account, bytes } => {
            vec![eosio("sellram", auth_or(p, account), json!({"account": n(account), "bytes": bytes}))]
        }
        SystemCommand::Bidname { bidder, newname, bid } => vec![eosio(
            "bidname",
            auth_or(p, bidder),
            json!({"bidder": n(bidder), "newname": n(newname), "bid": bid.to_string()}),
        )],
        SystemCommand::Delegatebw { from, receiver, stake_net_quantity, stake_cpu_quantity, transfer } => {
            vec![delegate(from, receiver, stake_net_quantity, stake_cpu_quantity, transfer, auth_or(p, from))]
        }
        SystemCommand::Undelegatebw { from, receiver, unstake_net_quantity, unstake_cpu_quantity } => vec![eosio(
            "undelegatebw",
            auth_or(p, from),
            json!({"from": n(from), "receiver": n(receiver), "unstake_net_quantity": unstake_net_quantity.to_string(),
                   "unstake_cpu_quantity": unstake_cpu_quantity.to_string()}),
        )],
        SystemCommand::Refund { owner } => vec![eosio("refund", auth_or(p, owner), json!({"owner": n(owner)}))],
        SystemCommand::Regproducer { producer, producer_key, website: url, location } => {
            if url.len() >= 512 {
                return Err(WalletError::arg("URL", format!("{} bytes; must be shorter than 512", url.len())));
            }
            vec![eosio(
                "regproducer",
                auth_or(p, producer),
                json!({"producer": n(producer), "producer_key": producer_key.to_string(), "url": url,
                       "location": location}),
            )]
        }
        SystemCommand::Unregprod { producer } => {
            vec![eosio("unregprod", auth_or(p, producer), json!({"producer": n(producer)}))]
        }
        SystemCommand::Voteproducer { vote: VoteCommand::Prods { voter, mut producers } } => {
            // The contract wants them strictly ascending by name value (so without duplicates).
            producers.sort();
            producers.dedup();
            if producers.len() > 30 {
                return Err(WalletError::arg("PRODUCERS", format!("{} producers; at most 30", producers.len())));
            }
            let prods: Vec<String> = producers.into_iter().map(n).collect();
            vec![eosio("voteproducer", auth_or(p, voter), json!({"voter": n(voter), "proxy": "", "producers": prods}))]
        }
        SystemCommand::Voteproducer { vote: VoteCommand::Proxy { voter, proxy } } => vec![eosio(
            "voteproducer",
            auth_or(p, voter),
            json!({"voter": n(voter), "proxy": n(proxy), "producers": []}),
        )],
        SystemCommand::Regproxy { proxy } => {
            vec![eosio("regproxy", auth_or(p, proxy), json!({"proxy": n(proxy), "isproxy": true}))]
        }
        SystemCommand::Unregproxy { proxy } => {
            vec![eosio("regproxy", auth_or(p, proxy), json!({"proxy": n(proxy), "isproxy": false}))]
        }
        SystemCommand::Claimrewards { owner } => {
            vec![eosio("claimrewards", auth_or(p, owner), json!({"owner": n(owner)}))]
        }
        SystemCommand::Setpayrate { producer, keep_rate } => {
            vec![eosio("setpayrate", auth_or(p, producer), json!({"producer": n(producer), "keep_rate": keep_rate}))]
        }
        SystemCommand::Setprodmeta { producer, country, jurisdiction, network, hardware, software } => vec![eosio(
            "setprodmeta",
            auth_or(p, producer),
            json!({"producer": n(producer), "country": country, "jurisdiction": jurisdiction, "network": network,
                   "hardware": hardware, "software": software}),
        )],
    })
}

fn kib(field: &str, k: u32) -> Result<u32, WalletError> {
    k.checked_mul(1024).ok_or_else(|| WalletError::arg(field, format!("{k} KiB is too much")))
}

fn buy_bytes(payer: Name, receiver: Name, bytes: u32, auth: Vec<PermissionLevel>) -> ActionSpec {
    eosio("buyrambytes", auth, json!({"payer": payer.to_string(), "receiver": receiver.to_string(), "bytes": bytes}))
}

fn buy_tokens(payer: Name, receiver: Name, quant: Asset, auth: Vec<PermissionLevel>) -> ActionSpec {
    eosio(
        "buyram",
        auth,
        json!({"payer": payer.to_string(), "receiver": receiver.to_string(), "quant": quant.to_string()}),
    )
}

fn delegate(
    from: Name,
    receiver: Name,
    net: Asset,
    cpu: Asset,
    transfer: bool,
    auth: Vec<PermissionLevel>,
) -> ActionSpec {
    eosio(
        "delegatebw",
        auth,
        json!({"from": from.to_string(), "receiver": receiver.to_string(), "stake_net_quantity": net.to_string(),
               "stake_cpu_quantity": cpu.to_string(), "transfer": transfer}),
    )
}

pub(crate) fn run(a: SystemArgs, ctx: &mut Ctx<'_>) -> Result<(), WalletError> {
    let specs = actions(a.command, &a.permission)?;
    execute(ctx, &a.tx, specs)
}
