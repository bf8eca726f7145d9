//! `GET /v1/civitas/diversity`: the diversity report of SPEC §8 for the active set.
//!
//! For each dimension (country, jurisdiction, network provider, hardware architecture) the
//! active producers are grouped by the value they published, and the report gives the number
//! of distinct values and the smallest number of groups that together hold more than one third
//! of the producers: that many organisations (or countries, networks…) failing together could
//! halt finality. Producers that published nothing are counted as one `unknown` group, the
//! conservative choice: nothing shows they are independent of each other.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use civitas_chain::contracts::system::tables;
use civitas_protocol::Name;
use serde_json::{json, Value};

use crate::json::response;
use crate::server::Shared;

/// The dimensions, as `prodinfo` names them.
const DIMENSIONS: [&str; 4] = ["country", "jurisdiction", "network", "hardware"];

/// The group of producers that published nothing for a dimension.
const UNKNOWN: &str = "unknown";

/// The smallest number of groups (largest first) that hold more than a third of `total`.
pub(crate) fn min_groups_over_third(mut counts: Vec<usize>, total: usize) -> usize {
    counts.sort_unstable_by(|a, b| b.cmp(a));
    let mut sum = 0;
    for (i, c) in counts.iter().enumerate() {
        sum += c;
        if sum * 3 > total {
            return i + 1;
        }
    }
    counts.len()
}

/// The report for one dimension given each producer's value.
fn dimension(values: &[(Name, String)]) -> Value {
    let mut groups: BTreeMap<&str, Vec<Name>> = BTreeMap::new();
    for (p, v) in values {
        let key = if v.is_empty() { UNKNOWN } else { v.as_str() };
        groups.entry(key).or_default().push(*p);
    }
    let total = values.len();
    let mut list: Vec<(&str, Vec<Name>)> = groups.into_iter().collect();
    list.sort_by(|a, b| b.1.len().cmp(&a.1.len()).then(a.0.cmp(b.0)));
    let unknown = list.iter().find(|g| g.0 == UNKNOWN).map_or(0, |g| g.1.len());
    json!({
        "distinct": list.iter().filter(|g| g.0 != UNKNOWN).count(),
        "unknown": unknown,
        "min_groups_over_one_third": min_groups_over_third(list.iter().map(|g| g.1.len()).collect(), total),
        "groups": list.iter().map(|(v, ps)| json!({"value": v, "count": ps.len(), "producers": ps})).collect::<Vec<_>>(),
    })
}

/// `GET /v1/civitas/diversity`.
pub(crate) async fn diversity(State(s): State<Arc<Shared>>) -> Response {
    let (schedule, infos) = s.read(|c| {
        let schedule = c.head().schedule.clone();
        let kv = c.chain().kv();
        let infos: Vec<_> =
            schedule.producers.iter().map(|k| (k.producer_name, tables::prodinfo(kv, k.producer_name))).collect();
        (schedule, infos)
    });
    let n = infos.len();
    let mut dims = serde_json::Map::new();
    for d in DIMENSIONS {
        let values: Vec<(Name, String)> = infos
            .iter()
            .map(|(p, info)| {
                let v = info.as_ref().map(|i| match d {
                    "country" => i.country.clone(),
                    "jurisdiction" => i.jurisdiction.clone(),
                    "network" => i.network.clone(),
                    _ => i.hardware.clone(),
                });
                (*p, v.unwrap_or_default())
            })
            .collect();
        dims.insert(d.to_string(), dimension(&values));
    }
    response(
        StatusCode::OK,
        &json!({
            "schedule_version": schedule.version,
            "active_producers": n,
            // More than a third of the active producers can halt finality (2/3+1 must vote).
            "producers_to_halt_finality": n / 3 + 1,
            "dimensions": dims,
        }),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn smallest_set_of_groups_over_a_third() {
        // 21 producers: 7 is exactly a third, so 8 are needed.
        assert_eq!(min_groups_over_third(vec![7, 7, 7], 21), 2);
        assert_eq!(min_groups_over_third(vec![8, 7, 6], 21), 1);
        assert_eq!(min_groups_over_third(vec![1; 21], 21), 8);
        assert_eq!(min_groups_over_third(vec![], 0), 0);
        assert_eq!(min_groups_over_third(vec![1], 1), 1);
    }

    #[test]
    fn unknown_values_form_one_group() {
        let v = dimension(&[
            (Name::constant("a"), "DE".into()),
            (Name::constant("b"), String::new()),
            (Name::constant("c"), String::new()),
        ]);
        assert_eq!(v["distinct"], 1);
        assert_eq!(v["unknown"], 2);
        assert_eq!(v["groups"][0]["value"], "unknown");
        assert_eq!(v["min_groups_over_one_third"], 1);
    }
}
