//! The ABIs the native contracts publish (SPEC §2: "each built-in contract account publishes an
//! ABI"), so eosjs and Wharfkit can serialize their actions and decode their tables.
//!
//! The JSON sources live in `crates/chain/abi/`; genesis stores each one in binary `abi_def`
//! form under [`records::abi_key`], which is what `get_raw_abi` serves.

use civitas_abi::AbiDef;
use civitas_protocol::Name;

use crate::chain::Chain;
use crate::names::{EOSIO, EOSIO_TOKEN};
use crate::records;
use crate::state::Kv;

/// The `eosio` ABI (JSON).
pub const EOSIO_ABI_JSON: &str = include_str!("../abi/eosio.abi.json");
/// The `eosio.token` ABI (JSON).
pub const EOSIO_TOKEN_ABI_JSON: &str = include_str!("../abi/eosio.token.abi.json");

/// The native contracts' ABIs, parsed.
pub fn native_abis() -> Result<Vec<(Name, AbiDef)>, String> {
    [(EOSIO, EOSIO_ABI_JSON), (EOSIO_TOKEN, EOSIO_TOKEN_ABI_JSON)]
        .into_iter()
        .map(|(account, json)| {
            serde_json::from_str::<AbiDef>(json).map(|d| (account, d)).map_err(|e| format!("ABI of {account}: {e}"))
        })
        .collect()
}

/// Stores the native ABIs in binary form (genesis).
pub fn install(kv: &mut Kv) -> Result<(), String> {
    for (account, def) in native_abis()? {
        kv.put(records::abi_key(account), def.to_bytes());
    }
    Ok(())
}

impl Chain {
    /// The binary `abi_def` an account publishes (what `get_raw_abi` returns, base64-encoded).
    pub fn raw_abi(&self, account: Name) -> Option<&[u8]> {
        self.kv().get(&records::abi_key(account))
    }

    /// The ABI an account publishes, decoded.
    pub fn abi(&self, account: Name) -> Option<AbiDef> {
        self.raw_abi(account).and_then(|b| AbiDef::from_bytes(b).ok())
    }
}
