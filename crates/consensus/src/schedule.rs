//! Producer schedules: quorum sizes and the deterministic shuffle.

use civitas_protocol::checksum::{sha256_concat, Checksum256};
use civitas_protocol::{Name, ProducerKey, ProducerSchedule, PublicKey};

/// 2/3+1 of `n` (15 of 21).
pub fn quorum(n: usize) -> usize {
    n * 2 / 3 + 1
}

/// Position of `name` in the schedule.
pub fn index_of(s: &ProducerSchedule, name: Name) -> Option<usize> {
    s.producers.iter().position(|p| p.producer_name == name)
}

/// The signing key of `name` in the schedule.
pub fn key_of(s: &ProducerSchedule, name: Name) -> Option<PublicKey> {
    s.producers.iter().find(|p| p.producer_name == name).map(|p| p.block_signing_key)
}

/// Shuffles `list` with Fisher–Yates driven by SHA-256 of `seed ‖ counter`. Deterministic: every
/// node derives the same order from the same seed.
pub fn shuffle(mut list: Vec<ProducerKey>, seed: &Checksum256) -> Vec<ProducerKey> {
    let n = list.len();
    for i in (1..n).rev() {
        let h = sha256_concat(&[&seed.0, &(i as u64).to_le_bytes()]);
        let r = u64::from_le_bytes(h.0[..8].try_into().unwrap_or_default());
        // Modulo bias is below 2^-56 for any realistic set size.
        let j = (r % (i as u64 + 1)) as usize;
        list.swap(i, j);
    }
    list
}

/// The schedule that follows `prev` given the elected, shuffled producers: the version moves on
/// only when the ordered list changes.
pub fn next_schedule(prev: &ProducerSchedule, producers: Vec<ProducerKey>) -> ProducerSchedule {
    if producers == prev.producers {
        prev.clone()
    } else {
        ProducerSchedule { version: prev.version + 1, producers }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use civitas_protocol::{sha256, PrivateKey};

    fn list(n: usize) -> Vec<ProducerKey> {
        (0..n)
            .map(|i| ProducerKey {
                producer_name: Name(i as u64 + 1),
                block_signing_key: PrivateKey::from_seed(&i.to_string()).public_key(),
            })
            .collect()
    }

    #[test]
    fn shuffle_is_a_deterministic_permutation() {
        let a = shuffle(list(21), &sha256(b"s"));
        let b = shuffle(list(21), &sha256(b"s"));
        assert_eq!(a, b);
        let mut sorted = a.clone();
        sorted.sort();
        let mut orig = list(21);
        orig.sort();
        assert_eq!(sorted, orig);
        assert_ne!(shuffle(list(21), &sha256(b"t")), a);
    }

    #[test]
    fn quorum_sizes() {
        assert_eq!(quorum(21), 15);
        assert_eq!(quorum(4), 3);
        assert_eq!(quorum(1), 1);
        assert_eq!(quorum(3), 3);
    }
}
