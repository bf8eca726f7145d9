//! Text forms of the reads, on answers shaped as docs/api.md describes them.

use serde_json::json;

use super::*;

#[test]
fn info() {
    let v = json!({"server_version": "738cde6a", "chain_id": "ab", "head_block_num": 6,
        "last_irreversible_block_num": 5, "last_irreversible_block_id": "05", "head_block_id": "06",
        "head_block_time": "2027-01-15T08:00:02.500", "head_block_producer": "bp1", "server_version_string": "v0.1.0"});
    assert_eq!(
        render_info(&v),
        "chain id            ab\n\
         head block          6 06\n\
         head block time     2027-01-15T08:00:02.500\n\
         head producer       bp1\n\
         irreversible block  5 05\n\
         server version      v0.1.0\n"
    );
}

#[test]
fn account_with_stake_votes_and_permission_tree() {
    let key = "PUB_K1_6MRyAjQq8ud7hVNYcfnVPJqcVpscN5So8BhtHuGYqET5BoDq63";
    let v = json!({"account_name": "alice", "created": "2027-01-15T08:00:00.000", "privileged": false,
        "core_liquid_balance": "980.0000 CIV", "ram_quota": 9592, "ram_usage": 3409,
        "net_limit": {"used": 120, "available": 99880, "max": 100000},
        "cpu_limit": {"used": 64, "available": -1, "max": -1},
        "total_resources": {"owner": "alice", "net_weight": "10.0000 CIV", "cpu_weight": "10.0000 CIV", "ram_bytes": 8192},
        "self_delegated_bandwidth": {"from": "alice", "to": "alice", "net_weight": "10.0000 CIV",
                                     "cpu_weight": "10.0000 CIV"},
        "refund_request": null,
        "voter_info": {"owner": "alice", "proxy": "", "producers": ["bp1", "bp2"], "staked": 200000,
                       "last_vote_weight": "200000.00000000000000000", "proxied_vote_weight": "0.00000000000000000",
                       "is_proxy": 0},
        "permissions": [
            {"perm_name": "active", "parent": "owner", "required_auth": {"threshold": 1,
                "keys": [{"key": key, "weight": 1}], "accounts": [], "waits": []}},
            {"perm_name": "owner", "parent": "", "required_auth": {"threshold": 2,
                "keys": [{"key": key, "weight": 1}],
                "accounts": [{"permission": {"actor": "bob", "permission": "active"}, "weight": 1}],
                "waits": [{"wait_sec": 60, "weight": 1}]}}]});
    assert_eq!(
        render_account(&v),
        format!(
            "account       alice\n\
             created       2027-01-15T08:00:00.000\n\
             privileged    false\n\
             balance       980.0000 CIV\n\
             ram           3409 of 9592 bytes used, 6183 bytes available\n\
             net           120 of 100000 bytes used, 99880 bytes available\n\
             cpu           unlimited\n\
             staked to it  net 10.0000 CIV, cpu 10.0000 CIV\n\
             self-staked   net 10.0000 CIV, cpu 10.0000 CIV\n\
             votes         bp1, bp2\n\
             vote stake    200000\n\
             permissions:\n  owner (threshold 2): 1 {key}, 1 bob@active, 1 wait 60s\n    \
             active (threshold 1): 1 {key}\n"
        )
    );
}

#[test]
fn account_without_balance_or_votes() {
    let v = json!({"account_name": "newbie", "created": "x", "privileged": false, "permissions": [],
                   "total_resources": null, "voter_info": {"owner": "newbie", "proxy": "prox", "producers": [],
                   "staked": 5, "is_proxy": false}});
    let text = render_account(&v);
    assert!(text.contains("\nbalance     -\n"), "{text}");
    assert!(text.contains("\nvotes       through proxy prox\n"), "{text}");
    assert!(!text.contains("staked to it"), "{text}");
}

#[test]
fn cyclic_permissions_do_not_recurse_forever() {
    let p = |name: &str, parent: &str| {
        json!({"perm_name": name, "parent": parent, "required_auth": {"threshold": 1, "keys": [], "accounts": [],
               "waits": []}})
    };
    let v = json!({"account_name": "x", "permissions": [p("a", ""), p("b", "a"), p("a", "b")]});
    assert!(render_account(&v).lines().count() < 40);
}

#[test]
fn producers_ranked_with_shares() {
    let v = json!({"rows": [
        {"owner": "bp2", "total_votes": "3000000.00000000000000000", "producer_key": "PUB_K1_x", "is_active": 1,
         "url": "https://bp2"},
        {"owner": "bp1", "total_votes": "1000000.00000000000000000", "producer_key": "PUB_K1_y", "is_active": false,
         "url": ""}],
        "total_producer_vote_weight": "4000000.00000000000000000", "more": "bp0"});
    assert_eq!(
        render_producers(&v),
        "#  producer      votes   share  active  key       url\n\
         1  bp2       3,000,000  75.00%  yes     PUB_K1_x  https://bp2\n\
         2  bp1       1,000,000  25.00%  no      PUB_K1_y\n\
         total vote weight: 4,000,000\n\
         more: --lower bp0\n"
    );
    assert_eq!(render_producers(&json!({"rows": [], "more": ""})), "no producers\n");
}

#[test]
fn schedule_marks_the_current_producer() {
    let v = json!({"round": 5, "slot": 5, "schedule_version": 3, "current_producer": "bp1", "head_block_num": 6,
        "head_block_producer": "bp1", "seconds_to_next_round": 0.5, "elections_active": true,
        "producers": [{"position": 0, "producer_name": "bp1", "block_signing_key": "PUB_K1_a", "is_current": true},
                      {"position": 1, "producer_name": "bp2", "block_signing_key": "PUB_K1_b", "is_current": false}]});
    let text = render_schedule(&v);
    assert!(
        text.ends_with("#  producer  signing key\n0  bp1       PUB_K1_a     <- now\n1  bp2       PUB_K1_b\n"),
        "{text}"
    );
    assert!(text.starts_with("round             5\n"), "{text}");
}

#[test]
fn block_lists_transactions_and_actions() {
    let v = json!({"block_num": 7, "id": "07", "timestamp": "t", "producer": "bp1", "previous": "06",
        "irreversible": false,
        "transactions": [{"status": "executed", "trx": {"id": "aa", "transaction": {"actions": [
            {"account": "eosio.token", "name": "transfer", "authorization": [{"actor": "alice", "permission": "active"}],
             "data": {"from": "alice", "to": "bob", "quantity": "1.0000 CIV", "memo": ""}}]}}}]});
    let text = render_block(&v);
    assert!(text.contains("transactions  1\n"), "{text}");
    assert!(
        text.ends_with(
            "\ntransaction aa (executed)\n  eosio.token::transfer alice@active \
             {\"from\":\"alice\",\"to\":\"bob\",\"quantity\":\"1.0000 CIV\",\"memo\":\"\"}\n"
        ),
        "{text}"
    );
}

#[test]
fn tables_show_columns_in_row_order_and_the_next_key() {
    let v = json!({"rows": [{"owner": "alice", "staked": 10, "producers": ["bp1"]},
                            {"owner": "bob", "staked": 5, "producers": [], "extra": null}],
                   "more": true, "next_key": "3773036822876127232"});
    assert_eq!(
        render_table(&v),
        "owner  staked  producers  extra\n\
         alice  10      [\"bp1\"]    -\n\
         bob    5       []         -\n\
         more: --lower 3773036822876127232\n"
    );
    assert_eq!(render_table(&json!({"rows": ["00ff"], "more": false})), "00ff\n");
    assert_eq!(render_table(&json!({"rows": [], "more": false})), "no rows\n");
}

#[test]
fn currency() {
    assert_eq!(render_balance(&json!(["1.0000 CIV", "2 XYZ"])), "1.0000 CIV\n2 XYZ\n");
    assert_eq!(render_balance(&json!([])), "no balance\n");
    let v = json!({"CIV": {"supply": "1000.0000 CIV", "max_supply": "10000.0000 CIV", "issuer": "eosio"}});
    assert_eq!(
        render_stats(&v),
        "symbol         supply      max supply  issuer\nCIV     1000.0000 CIV  10000.0000 CIV  eosio\n"
    );
    assert_eq!(render_stats(&json!({})), "no such token\n");
}

#[test]
fn odd_answers_do_not_panic() {
    for v in [json!(null), json!([]), json!("x"), json!({"rows": "x", "permissions": 5, "transactions": {}})] {
        for render in [
            render_info,
            render_account,
            render_producers,
            render_schedule,
            render_block,
            render_table,
            render_balance,
            render_stats,
        ] {
            let _ = render(&v);
        }
    }
}
