//! Elections in a running network: votes cast in round r decide the ring of round r+1, the
//! activation threshold holds elections back, and pay follows irreversible blocks only.

use std::collections::BTreeSet;

use civitas_chain::contracts::system::voting::VoteProducer;
use civitas_protocol::{Name, Pack};
use civitas_sim::scenario::quiesce;
use civitas_sim::sim::{producer_name, user_name};
use civitas_sim::{LinkModel, Sim, SimConfig};

const ROUND_MS: u64 = 21 * 500;

fn names(idx: impl IntoIterator<Item = usize>) -> Vec<Name> {
    let mut v: Vec<Name> = idx.into_iter().map(producer_name).collect();
    v.sort();
    v
}

fn vote(sim: &mut Sim, user: usize, producers: &[Name]) {
    let data = VoteProducer { voter: user_name(user), proxy: Name(0), producers: producers.to_vec() }.packed();
    assert!(
        sim.submit_action(user, civitas_chain::names::EOSIO, Name::constant("voteproducer"), data),
        "vote accepted"
    );
}

/// The set of producers that produced blocks in `round` on node 0's chain.
fn producers_of_round(sim: &Sim, round: u64) -> BTreeSet<Name> {
    let params = *sim.nodes[0].core.as_ref().unwrap().params();
    sim.chain_of(0)
        .map(|b| (params.round_of(b.header.slot), b.header.producer))
        .take_while(|(r, _)| *r >= round)
        .filter(|(r, _)| *r == round)
        .map(|(_, p)| p)
        .collect()
}

#[test]
fn votes_in_round_r_decide_the_ring_of_round_r_plus_1() {
    // 30 candidates, 21 seats. 40 users each stake 500 CIV; 5 of them vote at genesis, which is
    // below the 15% activation threshold of the ~70,000 CIV supply.
    let cfg = SimConfig {
        seed: 21,
        producers: 21,
        candidates: 30,
        accounts: 40,
        user_stake: 5_000_000,
        genesis_votes: (0..5).map(|u| (u, (9..30).collect())).collect(),
        tx_per_slot: 0,
        link: LinkModel { latency_ms: 30, jitter_ms: 10, loss: 0.0 },
        ..Default::default()
    };
    let mut sim = Sim::new(cfg);
    let genesis_set: BTreeSet<Name> = names(0..21).into_iter().collect();
    sim.run_until(3 * ROUND_MS).unwrap();
    for r in 1..3 {
        assert_eq!(producers_of_round(&sim, r), genesis_set, "round {r}: genesis producers before activation");
    }
    // Round 3: 25 more users vote for 20 safe seats (candidates 10..29) and 10 swing voters give
    // the contested 21st seat to candidate 8 — crossing the threshold (stake counts in supply:
    // 90,000 CIV, so 15% is 13,500 CIV; 35 voters × 500 CIV = 17,500 CIV).
    let safe: Vec<usize> = (10..30).collect();
    let contested = [8usize, 9];
    for u in 5..30 {
        vote(&mut sim, u, &names(safe.iter().copied()));
    }
    let swing: Vec<usize> = (30..40).collect();
    for &u in &swing {
        vote(&mut sim, u, &names([contested[0]]));
    }
    sim.run_until(4 * ROUND_MS).unwrap();
    let core = sim.nodes[0].core.as_ref().unwrap();
    assert!(core.chain().elections_active(), "the threshold was reached in round 3");
    // Every round the swing voters move the contested seat; the round after the one in which
    // their votes land seats the new choice. `standing[r]` is the winner of the votes that had
    // landed when round r began.
    let mut standing: std::collections::BTreeMap<u64, usize> = [(4, contested[0]), (5, contested[0])].into();
    for r in 4..12u64 {
        sim.run_until((r + 1) * ROUND_MS).unwrap();
        let winner = standing[&r];
        let expected: BTreeSet<Name> = names(safe.iter().copied().chain([winner])).into_iter().collect();
        let got = producers_of_round(&sim, r);
        // A round may lose a slot or two to forks, but never a seat to a loser.
        assert!(got.is_subset(&expected) && got.len() >= 19, "round {r}: {got:?} vs {expected:?}");
        assert!(got.contains(&producer_name(winner)), "round {r} seats candidate {winner}");
        // Votes cast now land in round r+1 and decide round r+2.
        let next = if winner == contested[0] { contested[1] } else { contested[0] };
        for &u in &swing {
            vote(&mut sim, u, &names([next]));
        }
        standing.insert(r + 2, next);
        sim.run_until((r + 1) * ROUND_MS + ROUND_MS / 2).unwrap();
    }
    quiesce(&mut sim, 1000);
    sim.checker.check_end(&sim.nodes);
    assert_eq!(sim.checker.violation, None);
}
