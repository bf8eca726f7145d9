//! The native ABIs: valid, stored at genesis, matching the actions' encodings, and decoding
//! every table row the contracts write.

// Token amounts are written as whole tokens then four decimals: `100_0000` is 100.0000 CIV.
#![allow(clippy::inconsistent_digit_grouping)]

mod common;

use civitas_abi::Abi;
use civitas_chain::abis::native_abis;
use civitas_chain::state::{RowKey, Space};
use civitas_protocol::{Name, Pack};
use common::*;
use serde_json::json;

#[test]
fn native_abis_are_valid_and_published_at_genesis() {
    let h = Harness::with_genesis(&gov_genesis());
    for (account, def) in native_abis().unwrap() {
        Abi::new(def.clone()).unwrap_or_else(|e| panic!("ABI of {account}: {e}"));
        assert!(def.version.starts_with("eosio::abi/1."));
        assert_eq!(h.chain.abi(account).as_ref(), Some(&def));
        assert_eq!(h.chain.raw_abi(account).unwrap(), def.to_bytes().as_slice());
    }
    assert!(h.chain.abi(n("alice")).is_none());
    let eosio = Abi::new(h.chain.abi(n("eosio")).unwrap()).unwrap();
    for action in [
        "newaccount",
        "updateauth",
        "deleteauth",
        "delegatebw",
        "undelegatebw",
        "refund",
        "regproducer",
        "unregprod",
        "setprodmeta",
        "setpayrate",
        "voteproducer",
        "regproxy",
        "claimrewards",
    ] {
        assert!(eosio.action_type(n(action)).is_some(), "eosio ABI lacks {action}");
    }
    for (table, ty) in [
        ("producers", "producer_info"),
        ("voters", "voter_info"),
        ("delband", "delegated_bandwidth"),
        ("userres", "user_resources"),
        ("refunds", "refund_request"),
        ("global", "eosio_global_state"),
        ("civglobal", "global_state"),
        ("rammarket", "exchange_state"),
        ("namebids", "name_bid"),
        ("prodinfo", "producer_pay_info"),
        ("prodstats", "producer_stats"),
    ] {
        assert_eq!(eosio.table_type(n(table)), Some(ty));
    }
    let token = Abi::new(h.chain.abi(n("eosio.token")).unwrap()).unwrap();
    for action in ["transfer", "create", "issue", "open", "close"] {
        assert!(token.action_type(n(action)).is_some());
    }
    assert_eq!(token.table_type(n("accounts")), Some("account"));
    assert_eq!(token.table_type(n("stat")), Some("currency_stats"));
}

/// What a client serializes from JSON with the ABI is exactly what the native contract reads.
#[test]
fn abi_action_encodings_match_the_native_contracts() {
    let abis: Vec<(Name, Abi)> = native_abis().unwrap().into_iter().map(|(a, d)| (a, Abi::new(d).unwrap())).collect();
    let abi_of = |acct: &str| &abis.iter().find(|(a, _)| *a == n(acct)).unwrap().1;
    let eosio = abi_of("eosio");
    let cases = [
        (
            delegatebw("alice", "bob", "1.0000 CIV", "2.0000 CIV", true),
            json!({"from":"alice","receiver":"bob","stake_net_quantity":"1.0000 CIV","stake_cpu_quantity":"2.0000 CIV","transfer":true}),
        ),
        (
            undelegatebw("alice", "bob", "1.0000 CIV", "0.0000 CIV"),
            json!({"from":"alice","receiver":"bob","unstake_net_quantity":"1.0000 CIV","unstake_cpu_quantity":"0.0000 CIV"}),
        ),
        (refund("alice"), json!({"owner":"alice"})),
        (
            regproducer("bp2"),
            json!({"producer":"bp2","producer_key":key("bp2-sign").public_key().to_string(),"url":"https://bp2.example","location":0}),
        ),
        (unregprod("bp2"), json!({"producer":"bp2"})),
        (
            setprodmeta("bp2", ["DE", "Germany", "AS24940", "x86_64", "civitas 0.1"]),
            json!({"producer":"bp2","country":"DE","jurisdiction":"Germany","network":"AS24940","hardware":"x86_64","software":"civitas 0.1"}),
        ),
        (setpayrate("bp2", 4000), json!({"producer":"bp2","keep_rate":4000})),
        (voteproducer("alice", "", &["bp1", "bp2"]), json!({"voter":"alice","proxy":"","producers":["bp1","bp2"]})),
        (regproxy("carol", true), json!({"proxy":"carol","isproxy":true})),
        (claimrewards("bp1"), json!({"owner":"bp1"})),
    ];
    for (action, value) in cases {
        let ty = eosio.action_type(action.name).unwrap();
        assert_eq!(eosio.json_to_binary(ty, &value).unwrap(), action.data.0, "{}", action.name);
    }
    let token = abi_of("eosio.token");
    let t = transfer("alice", "bob", "1.5000 CIV", "hi");
    let v = json!({"from":"alice","to":"bob","quantity":"1.5000 CIV","memo":"hi"});
    assert_eq!(token.json_to_binary("transfer", &v).unwrap(), t.data.0);
    let na = civitas_chain::contracts::system::NewAccount {
        creator: n("alice"),
        name: n("dave"),
        owner: civitas_protocol::Authority::single_key(key("dave").public_key()),
        active: civitas_protocol::Authority::single_key(key("dave").public_key()),
    };
    let decoded = eosio.binary_to_json("newaccount", &na.packed()).unwrap();
    assert_eq!(eosio.json_to_binary("newaccount", &decoded).unwrap(), na.packed());
}

/// Runs a scenario that writes a row of every table, then decodes every contract row in the
/// state with the ABI of its contract.
#[test]
fn every_table_row_decodes_with_the_abi() {
    let mut g = gov_genesis();
    g.governance.activation_threshold = 0;
    let mut h = Harness::with_genesis(&g);
    h.ok(regproducer("bp2"));
    h.ok(regproducer("bp3"));
    h.ok(setprodmeta("bp2", ["DE", "Germany", "AS24940", "x86_64", "civitas 0.1"]));
    h.ok(setpayrate("bp2", 4000));
    h.ok(delegatebw("alice", "alice", "10.0000 CIV", "10.0000 CIV", false));
    h.ok(delegatebw("bob", "carol", "10.0000 CIV", "0.0000 CIV", false));
    h.ok(delegatebw("dave", "dave", "10.0000 CIV", "0.0000 CIV", false));
    h.ok(undelegatebw("alice", "alice", "1.0000 CIV", "0.0000 CIV"));
    h.ok(regproxy("dave", true));
    h.ok(voteproducer("dave", "", &["bp1", "bp2"]));
    h.ok(voteproducer("bob", "dave", &[]));
    h.ok(voteproducer("alice", "", &["bp2", "bp3"]));
    h.ok(unregprod("bp3"));
    h.chain.on_block_produced(n("bp1"), 2);
    h.chain.on_slot_missed(n("bp2"));
    h.chain.on_block_irreversible(n("bp2"), 1);
    h.ok(claimrewards("bp2"));
    h.chain.on_block_irreversible(n("bp2"), 2);
    h.ok(bidname("carol", "short", "1.0000 CIV"));
    // The end of a block copies the election figures into Antelope's `global`.
    h.next_block();
    let civ = global(&h.chain);
    let ant = civitas_chain::contracts::system::global::get(h.chain.kv());
    assert_eq!(ant.total_activated_stake, civ.total_voted_stake);
    assert_eq!(ant.thresh_activated_stake_time, civ.thresh_activated_stake_time);
    assert_eq!(ant.total_producer_vote_weight, civ.total_producer_vote_weight as f64);
    assert!(civ.total_voted_stake > 0 && ant.max_ram_size > ant.total_ram_bytes_reserved);
    assert_eq!((ant.max_authority_depth, ant.target_block_cpu_usage_pct), (6, 1000));

    let mut seen = std::collections::BTreeSet::new();
    for (account, def) in native_abis().unwrap() {
        let abi = Abi::new(def).unwrap();
        let lo = RowKey::contract(account.value(), 0, 0, 0);
        let hi = RowKey::contract(account.value(), u64::MAX, u64::MAX, u64::MAX);
        for (k, v) in h.chain.kv().range(lo, hi) {
            assert_eq!(k.space, Space::Contract);
            let table = Name(k.table);
            let ty = abi.table_type(table).unwrap_or_else(|| panic!("{account} ABI lacks table {table}"));
            let value = abi.binary_to_json(ty, v).unwrap_or_else(|e| panic!("{account}::{table} row: {e}"));
            // Re-encoding gives the same bytes: the ABI describes the row exactly.
            assert_eq!(abi.json_to_binary(ty, &value).unwrap(), v, "{account}::{table}");
            seen.insert(table.to_string());
        }
    }
    let all = [
        "producers",
        "voters",
        "delband",
        "userres",
        "refunds",
        "global",
        "civglobal",
        "rammarket",
        "namebids",
        "prodinfo",
        "prodstats",
        "accounts",
        "stat",
    ];
    for t in all {
        assert!(seen.contains(t), "the scenario wrote no {t} row");
    }

    // The client-surface shape of a producers row.
    let eosio = Abi::new(h.chain.abi(n("eosio")).unwrap()).unwrap();
    let bp2 = h.chain.kv().get(&civitas_chain::contracts::system::tables::producer_key(n("bp2"))).unwrap();
    let row = eosio.binary_to_json("producer_info", bp2).unwrap();
    assert_eq!(row["owner"], "bp2");
    assert_eq!(row["url"], "https://bp2.example");
    assert_eq!(row["producer_authority"][0], "block_signing_authority_v0");
    assert_eq!(row["producer_authority"][1]["keys"][0]["weight"], 1);
    let bp3 = h.chain.kv().get(&civitas_chain::contracts::system::tables::producer_key(n("bp3"))).unwrap();
    let row = eosio.binary_to_json("producer_info", bp3).unwrap();
    assert!(row.get("producer_authority").is_none_or(|v| v.is_null()), "no authority once unregistered: {row}");
    let info = eosio
        .binary_to_json(
            "producer_pay_info",
            h.chain.kv().get(&civitas_chain::contracts::system::tables::prodinfo_key(n("bp2"))).unwrap(),
        )
        .unwrap();
    assert_eq!(info["country"], "DE");
    assert_eq!(info["keep_rate"], 4000);
}

#[test]
fn table_rows_pages_in_both_directions() {
    let mut h = Harness::with_genesis(&gov_genesis());
    for p in ["bp2", "bp3", "bp4", "bp5"] {
        h.ok(regproducer(p));
    }
    let (eosio, producers) = (n("eosio"), n("producers"));
    let page = h.chain.table_rows(eosio, eosio.value(), producers, 0, u64::MAX, 2, false);
    let keys: Vec<u64> = page.rows.iter().map(|(k, _)| *k).collect();
    assert_eq!(keys, [n("bp1").value(), n("bp2").value()]);
    assert_eq!(page.next_key, Some(n("bp3").value()));
    let page = h.chain.table_rows(eosio, eosio.value(), producers, n("bp3").value(), u64::MAX, 10, false);
    assert_eq!(page.rows.len(), 3);
    assert_eq!(page.next_key, None);
    let page = h.chain.table_rows(eosio, eosio.value(), producers, 0, n("bp4").value(), 2, true);
    let keys: Vec<u64> = page.rows.iter().map(|(k, _)| *k).collect();
    assert_eq!(keys, [n("bp4").value(), n("bp3").value()]);
    assert_eq!(page.next_key, Some(n("bp2").value()));
    assert!(h.chain.table_rows(eosio, eosio.value(), producers, 5, 4, 10, false).rows.is_empty());
    // Balances are scoped by owner.
    let scopes = h.chain.table_scopes(n("eosio.token"), n("accounts"), 100);
    assert!(scopes.contains(&n("alice").value()) && scopes.contains(&n("bp5").value()));
}
