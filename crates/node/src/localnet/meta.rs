//! Makes a new local network look like a real one: each producer publishes diversity metadata
//! (SPEC §8) and a keep rate, so the dashboard's diversity and pay views have something to show.

use civitas_chain::contracts::system::{SetPayRate, SetProdMeta};
use civitas_protocol::{
    Action, Bytes, Checksum256, Name, Pack, PermissionLevel, PrivateKey, TimePoint, TimePointSec, Transaction,
};

use super::http;

const COUNTRIES: [(&str, &str); 12] = [
    ("DE", "European Union"),
    ("US", "United States"),
    ("JP", "Japan"),
    ("BR", "Brazil"),
    ("FI", "European Union"),
    ("SG", "Singapore"),
    ("CA", "Canada"),
    ("ZA", "South Africa"),
    ("KR", "South Korea"),
    ("CH", "Switzerland"),
    ("AU", "Australia"),
    ("IN", "India"),
];
const NETWORKS: [&str; 6] = ["AS24940", "AS16509", "AS14061", "AS16276", "AS13335", "AS63949"];
const HARDWARE: [&str; 3] = ["x86_64", "aarch64", "x86_64"];

/// The metadata and keep rate the i-th producer of a local network publishes.
pub fn producer_meta(i: usize, producer: Name) -> (SetProdMeta, SetPayRate) {
    let (country, jurisdiction) = COUNTRIES[(i * 5) % COUNTRIES.len()];
    let meta = SetProdMeta {
        producer,
        country: country.into(),
        jurisdiction: jurisdiction.into(),
        network: NETWORKS[(i * 7) % NETWORKS.len()].into(),
        hardware: HARDWARE[i % HARDWARE.len()].into(),
        software: format!("civitas {}", env!("CARGO_PKG_VERSION")),
    };
    // Most keep all their pay; some return part of it to the worker fund.
    let keep_rate = [10_000, 10_000, 8_000, 10_000, 5_000, 9_000, 10_000][i % 7];
    (meta, SetPayRate { producer, keep_rate })
}

/// Signs and pushes each producer's `setprodmeta` + `setpayrate` through the API at `url`.
/// Returns how many were accepted.
pub fn publish(url: &str, producers: &[(Name, PrivateKey)]) -> anyhow::Result<usize> {
    let info = http::post_json(url, "/v1/chain/get_info", "{}")?;
    let field = |k: &str| info[k].as_str().unwrap_or_default().to_string();
    let chain_id: Checksum256 = field("chain_id").parse().map_err(|e| anyhow::anyhow!("chain_id: {e:?}"))?;
    let lib_id: Checksum256 =
        field("last_irreversible_block_id").parse().map_err(|e| anyhow::anyhow!("LIB id: {e:?}"))?;
    let head_time: TimePoint = field("head_block_time").parse().map_err(|e| anyhow::anyhow!("head time: {e:?}"))?;
    let mut accepted = 0;
    for (i, (name, key)) in producers.iter().enumerate() {
        let (meta, rate) = producer_meta(i, *name);
        let auth = vec![PermissionLevel::new(*name, Name::constant("active"))];
        let action = |n: &str, data: Vec<u8>| Action {
            account: Name::constant("eosio"),
            name: n.parse().expect("action name"),
            authorization: auth.clone(),
            data: Bytes(data),
        };
        let actions = vec![action("setprodmeta", meta.packed()), action("setpayrate", rate.packed())];
        let trx = Transaction::new(TimePointSec((head_time.secs() + 120) as u32), &lib_id, actions);
        let body = serde_json::to_string(&trx.sign(&chain_id, &[key]))?;
        let answer = http::post_json(url, "/v1/chain/push_transaction", &body)?;
        if answer.get("transaction_id").is_some() && answer.get("error").is_none() {
            accepted += 1;
        }
    }
    Ok(accepted)
}
