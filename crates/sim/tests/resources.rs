//! Issue 11's spam attack in a simulated 21-producer network: accounts holding the minimum
//! stake flood transfers. Each is refused once its CPU allowance is spent, its refused
//! transactions never reach a block, and an honest user's transfer is in a block within 2
//! blocks of its submission throughout.

use civitas_chain::contracts::token::Transfer;
use civitas_chain::names::EOSIO_TOKEN;
use civitas_chain::resources::{self, billing};
use civitas_protocol::{Name, Pack, Unpack};
use civitas_sim::sim::user_name;
use civitas_sim::{Sim, SimConfig};

const SPAMMERS: usize = 20;
const HONEST: usize = SPAMMERS;

fn transfer(from: usize, to: usize, memo: String) -> Vec<u8> {
    let quantity = "0.0001 CIV".parse().unwrap();
    Transfer { from: user_name(from), to: user_name(to), quantity, memo }.packed()
}

fn head(sim: &Sim) -> u32 {
    sim.nodes[sim.honest()[0]].core.as_ref().unwrap().head().num
}

/// Every transfer in an honest node's chain: (block number, sender, memo).
fn transfers_in_chain(sim: &Sim) -> Vec<(u32, Name, String)> {
    let mut out = vec![];
    for b in sim.chain_of(sim.honest()[0]) {
        for p in &b.transactions {
            let (trx, _) = p.unpack_trx(1 << 20).unwrap();
            for a in trx.actions.iter().filter(|a| a.account == EOSIO_TOKEN) {
                let t = Transfer::unpack_exact(&a.data.0).unwrap();
                out.push((b.block_num(), t.from, t.memo));
            }
        }
    }
    out
}

#[test]
fn minimum_stake_spammers_are_refused_and_others_still_get_in_within_two_blocks() {
    // 20 spammers with 0.0002 CIV staked (1 unit of CPU and NET weight each), an honest user
    // with 8,000 CIV, 21 producers with 1 CIV each: a spammer's allowance is about 110
    // transfers a day.
    let cfg = SimConfig {
        seed: 77,
        accounts: SPAMMERS + 1,
        tx_per_slot: 0,
        user_stakes: (0..SPAMMERS).map(|u| (u, 2)).chain([(HONEST, 80_000_000)]).collect(),
        ..Default::default()
    };
    let mut sim = Sim::new(cfg);
    let (mut accepted, mut refused) = (vec![0u64; SPAMMERS], vec![0u64; SPAMMERS]);
    let mut honest_sent = vec![];
    let mut t = 2_000;
    while t <= 8_000 {
        sim.run_until(t).unwrap();
        // 20 spammers × 20 transfers every 100 ms for 4 s: 4,000 transfers/s.
        for s in (0..SPAMMERS).filter(|_| t <= 6_000) {
            for k in 0..20 {
                let memo = format!("spam {s} {t} {k}");
                if sim.submit_action(s, EOSIO_TOKEN, Name::constant("transfer"), transfer(s, HONEST, memo)) {
                    accepted[s] += 1;
                } else {
                    refused[s] += 1;
                }
            }
        }
        if t % 500 == 0 {
            let h = head(&sim);
            let memo = format!("honest {h}");
            assert!(sim.submit_action(HONEST, EOSIO_TOKEN, Name::constant("transfer"), transfer(HONEST, 0, memo)));
            honest_sent.push(h);
        }
        t += 100;
    }
    sim.run_until(t + 2_000).unwrap();

    // Each spammer got its allowance and no more: its share of the virtual CPU limit over the
    // window, at ~39 µs per transfer, then every further transfer was refused at admission.
    let core = sim.nodes[sim.honest()[0]].core.as_ref().unwrap();
    let kv = core.chain().kv();
    let rs = resources::resource_state(kv);
    let window = u128::from(core.chain().config().resources.account_window);
    let allowance = u128::from(rs.virtual_cpu_limit) * window / u128::from(rs.total_cpu_weight);
    let chain = transfers_in_chain(&sim);
    for s in 0..SPAMMERS {
        let in_chain = chain.iter().filter(|(_, from, _)| *from == user_name(s)).count() as u64;
        // Admission at one node is not inclusion: the producers hold each spammer to its
        // allowance whatever other nodes admitted.
        assert!(in_chain <= accepted[s], "spammer {s}: {in_chain} in the chain, {} admitted", accepted[s]);
        assert!(refused[s] > accepted[s], "spammer {s}: {} admitted, {} refused", accepted[s], refused[s]);
        // A transfer costs the base, one signature, the action and 1–2 µs of bytes; what the
        // spammer got is its allowance (which grew a little with the virtual limit).
        let (low, high) = (billing::BASE_US + billing::SIGNATURE_US + 3, billing::BASE_US + billing::SIGNATURE_US + 5);
        let spent = u128::from(in_chain);
        assert!(
            spent * u128::from(low) <= allowance * 11 / 10 && spent * u128::from(high) >= allowance * 8 / 10,
            "spammer {s}: {in_chain} transfers for an allowance of {allowance} µs"
        );
    }
    // The honest user's transfers all got in, each within 2 blocks of the head it was sent at.
    let honest: Vec<(u32, u32)> = chain
        .iter()
        .filter(|(_, from, _)| *from == user_name(HONEST))
        .map(|(num, _, memo)| (*num, memo.trim_start_matches("honest ").parse().unwrap()))
        .collect();
    assert_eq!(honest.len(), honest_sent.len());
    for (num, sent_at) in honest {
        assert!(num <= sent_at + 2, "an honest transfer sent at head {sent_at} got into block {num}");
    }
    let total: u64 = accepted.iter().sum();
    let total_refused: u64 = refused.iter().sum();
    println!("spam: {total} admitted by some node, {total_refused} refused; allowance {allowance} µs per spammer");
}
