//! `civitas key create|import|list` and unlocking the wallet for signing.

use std::io::Read;
use std::path::{Path, PathBuf};

use civitas_keystore::{KdfParams, Keystore, KeystoreError};
use clap::{Args, Subcommand};
use serde_json::{json, Value};
use zeroize::Zeroizing;

use crate::{format, Ctx, WalletError, WalletOpts};

/// `civitas key …`
#[derive(Debug, Args)]
pub struct KeyArgs {
    #[command(flatten)]
    #[allow(missing_docs)]
    pub wallet: WalletOpts,
    /// Print JSON for scripts instead of text.
    #[arg(long, global = true)]
    pub json: bool,
    #[command(subcommand)]
    #[allow(missing_docs)]
    pub command: KeyCommand,
}

/// The key subcommands.
#[derive(Debug, Subcommand)]
pub enum KeyCommand {
    /// Generate a new key in the wallet (creating the wallet if needed) and print its public key.
    Create {
        /// A label to remember the key by.
        #[arg(long)]
        label: Option<String>,
    },
    /// Import a private key (PVT_K1_… or WIF), read from standard input unless --key is given.
    Import {
        /// The private key. Warning: command-line arguments are visible to other users of the
        /// machine (ps, /proc) and may land in shell history; prefer standard input.
        #[arg(long, value_name = "PRIVATE_KEY")]
        key: Option<String>,
        /// A label to remember the key by.
        #[arg(long)]
        label: Option<String>,
    },
    /// List the wallet's public keys (no password needed).
    List {
        /// Also show the keys' labels (they are encrypted, so this asks for the password).
        #[arg(long)]
        labels: bool,
    },
}

pub(crate) fn run(args: KeyArgs, ctx: &mut Ctx<'_>) -> Result<(), WalletError> {
    let path = wallet_path(&args.wallet, ctx)?;
    match args.command {
        KeyCommand::Create { label } => {
            let (mut ks, created) = open_or_create(&path, &args.wallet, ctx)?;
            let public = ks.generate(label.as_deref())?;
            report_key(ctx, &path, created, &public, label.as_deref(), args.json, "created")
        }
        KeyCommand::Import { key, label } => {
            let text = match key {
                Some(k) => {
                    ctx.note(
                        "warning: a key given with --key is visible to other users (ps, /proc) and may be kept \
                         in shell history; prefer standard input",
                    );
                    Zeroizing::new(k)
                }
                None => read_private_key(ctx)?,
            };
            let private = crate::args::private_key(&text).map_err(|r| WalletError::arg("PRIVATE_KEY", r))?;
            let (mut ks, created) = open_or_create(&path, &args.wallet, ctx)?;
            let existed = ks.contains(&private.public_key());
            let public = ks.import(private, label.as_deref())?;
            let verb = if existed { "already present" } else { "imported" };
            report_key(ctx, &path, created, &public, label.as_deref(), args.json, verb)
        }
        KeyCommand::List { labels } => {
            let rows: Vec<(civitas_protocol::PublicKey, Option<String>)> = if labels {
                let ks = unlock_at(&path, &args.wallet, ctx)?;
                ks.entries().iter().map(|e| (e.public, e.label.clone())).collect()
            } else {
                Keystore::public_keys(&path).map_err(no_wallet_hint)?.into_iter().map(|k| (k, None)).collect()
            };
            if args.json {
                let keys: Vec<Value> = rows
                    .iter()
                    .map(|(k, l)| {
                        let mut v = json!({"public_key": k.to_string(), "legacy_public_key": k.to_legacy_string()});
                        if labels {
                            v["label"] = json!(l);
                        }
                        v
                    })
                    .collect();
                return ctx.print(&format::json(&json!({"wallet": path.display().to_string(), "keys": keys})));
            }
            if rows.is_empty() {
                ctx.note(&format!("no keys in {} (add one with `civitas key create`)", path.display()));
                return Ok(());
            }
            let mut text = String::new();
            for (k, l) in &rows {
                match l {
                    Some(l) if labels => text.push_str(&format!("{k}  {l}\n")),
                    _ => text.push_str(&format!("{k}\n")),
                }
            }
            ctx.print(&text)
        }
    }
}

fn report_key(
    ctx: &mut Ctx<'_>,
    path: &Path,
    created_wallet: bool,
    public: &civitas_protocol::PublicKey,
    label: Option<&str>,
    as_json: bool,
    verb: &str,
) -> Result<(), WalletError> {
    if as_json {
        let v = json!({
            "wallet": path.display().to_string(),
            "created_wallet": created_wallet,
            "public_key": public.to_string(),
            "legacy_public_key": public.to_legacy_string(),
            "label": label,
            "status": verb,
        });
        return ctx.print(&format::json(&v));
    }
    if created_wallet {
        ctx.note(&format!("created wallet {}", path.display()));
    }
    ctx.note(&format!("key {verb} in {}", path.display()));
    ctx.println(&public.to_string())
}

/// The wallet file of this invocation.
pub(crate) fn wallet_path(opts: &WalletOpts, ctx: &Ctx<'_>) -> Result<PathBuf, WalletError> {
    opts.wallet.clone().or_else(|| ctx.default_wallet.clone()).ok_or_else(|| {
        WalletError::arg("--wallet", "no wallet file given and no home directory to put one in (set CIVITAS_WALLET)")
    })
}

fn no_wallet_hint(e: KeystoreError) -> WalletError {
    match e {
        KeystoreError::NotFound(p) => WalletError::Other(format!(
            "no wallet at {} (create one with `civitas key create`, or pass --wallet PATH)",
            p.display()
        )),
        other => other.into(),
    }
}

/// The public keys in the wallet, without the password.
pub(crate) fn public_keys(opts: &WalletOpts, ctx: &Ctx<'_>) -> Result<Vec<civitas_protocol::PublicKey>, WalletError> {
    Keystore::public_keys(&wallet_path(opts, ctx)?).map_err(no_wallet_hint)
}

/// Opens the wallet with its password.
pub(crate) fn unlock(opts: &WalletOpts, ctx: &mut Ctx<'_>) -> Result<Keystore, WalletError> {
    let path = wallet_path(opts, ctx)?;
    unlock_at(&path, opts, ctx)
}

fn unlock_at(path: &Path, opts: &WalletOpts, ctx: &mut Ctx<'_>) -> Result<Keystore, WalletError> {
    if !path.exists() {
        return Err(no_wallet_hint(KeystoreError::NotFound(path.to_path_buf())));
    }
    let password = password(opts, ctx, &format!("Password for {}: ", path.display()), false)?;
    Ok(Keystore::open(path, &password)?)
}

fn open_or_create(path: &Path, opts: &WalletOpts, ctx: &mut Ctx<'_>) -> Result<(Keystore, bool), WalletError> {
    if path.exists() {
        return Ok((unlock_at(path, opts, ctx)?, false));
    }
    let prompt = format!("New password for {}: ", path.display());
    let password = password(opts, ctx, &prompt, true)?;
    if password.is_empty() {
        return Err(WalletError::arg("password", "the wallet password must not be empty"));
    }
    Ok((Keystore::create(path, &password, KdfParams::default())?, true))
}

/// The password: `--password-file`, else `CIVITAS_WALLET_PASSWORD`, else asked on the terminal
/// (twice for a new wallet).
fn password(opts: &WalletOpts, ctx: &mut Ctx<'_>, prompt: &str, new: bool) -> Result<Zeroizing<String>, WalletError> {
    if let Some(file) = &opts.password_file {
        let text = Zeroizing::new(
            std::fs::read_to_string(file)
                .map_err(|source| WalletError::Io { what: format!("--password-file {}", file.display()), source })?,
        );
        return Ok(Zeroizing::new(first_line(&text).to_string()));
    }
    if let Some(p) = &ctx.password_env {
        return Ok(Zeroizing::new(p.clone()));
    }
    if !ctx.interactive {
        return Err(WalletError::arg(
            "password",
            "no terminal to ask it on: use --password-file FILE or set CIVITAS_WALLET_PASSWORD",
        ));
    }
    let io = |source| WalletError::Io { what: "reading the password from the terminal".into(), source };
    let first = Zeroizing::new(rpassword::prompt_password(prompt).map_err(io)?);
    if new {
        let again = Zeroizing::new(rpassword::prompt_password("Repeat the password: ").map_err(io)?);
        if *first != *again {
            return Err(WalletError::arg("password", "the two passwords differ"));
        }
    }
    Ok(first)
}

/// The first line of a password file, without its line ending (editors add one).
fn first_line(text: &str) -> &str {
    text.split('\n').next().unwrap_or("").trim_end_matches('\r')
}

/// Reads a private key from standard input: hidden on a terminal, else the first line.
fn read_private_key(ctx: &mut Ctx<'_>) -> Result<Zeroizing<String>, WalletError> {
    if ctx.interactive {
        let key = rpassword::prompt_password("Private key: ")
            .map_err(|source| WalletError::Io { what: "reading the private key from the terminal".into(), source })?;
        return Ok(Zeroizing::new(key));
    }
    let mut text = Zeroizing::new(String::new());
    // A key is ~52 characters; anything much longer is not a key (and must not fill memory).
    let mut limited = (&mut ctx.input).take(4096);
    limited
        .read_to_string(&mut text)
        .map_err(|source| WalletError::Io { what: "reading the private key from standard input".into(), source })?;
    let line = text.lines().map(str::trim).find(|l| !l.is_empty()).unwrap_or("");
    if line.is_empty() {
        return Err(WalletError::arg("PRIVATE_KEY", "nothing on standard input (pipe the key in, or use --key)"));
    }
    Ok(Zeroizing::new(line.to_string()))
}

#[cfg(test)]
mod tests {
    use super::first_line;

    #[test]
    fn password_files_lose_their_line_ending_only() {
        assert_eq!(first_line("secret\n"), "secret");
        assert_eq!(first_line("secret\r\n"), "secret");
        assert_eq!(first_line(" sp ace \nsecond"), " sp ace ");
        assert_eq!(first_line(""), "");
    }
}
