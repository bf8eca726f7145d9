//! Token buckets for per-peer inbound limits, and the decaying penalty score.
//!
//! Both take the current time as an argument so they can be tested without a clock.

use tokio::time::Instant;

use crate::config::RateLimitConfig;

/// A token bucket: `rate` tokens per second up to `burst`.
#[derive(Debug, Clone)]
pub struct TokenBucket {
    rate: f64,
    burst: f64,
    tokens: f64,
    last: Instant,
}

impl TokenBucket {
    /// A full bucket.
    pub fn new(rate: f64, burst: f64, now: Instant) -> TokenBucket {
        TokenBucket { rate, burst, tokens: burst, last: now }
    }

    fn refill(&mut self, now: Instant) {
        let dt = now.saturating_duration_since(self.last).as_secs_f64();
        self.tokens = (self.tokens + dt * self.rate).min(self.burst);
        self.last = now;
    }

    /// Takes `n` tokens if available.
    pub fn try_take(&mut self, n: f64, now: Instant) -> bool {
        self.refill(now);
        if self.tokens >= n {
            self.tokens -= n;
            true
        } else {
            false
        }
    }
}

/// Inbound limits of one peer: messages and unsolicited bytes.
#[derive(Debug, Clone)]
pub struct PeerLimiter {
    messages: TokenBucket,
    bytes: TokenBucket,
}

impl PeerLimiter {
    /// Full buckets; the byte burst is at least one maximal frame.
    pub fn new(cfg: &RateLimitConfig, max_frame: usize, now: Instant) -> PeerLimiter {
        PeerLimiter {
            messages: TokenBucket::new(cfg.messages_per_sec, cfg.message_burst, now),
            bytes: TokenBucket::new(cfg.bytes_per_sec, cfg.byte_burst.max(max_frame as f64), now),
        }
    }

    /// Charges one message of `bytes` bytes (bytes only when `charge_bytes`); false when the
    /// peer is over its limit. Nothing is taken from a bucket when the other one refuses.
    pub fn check(&mut self, bytes: usize, charge_bytes: bool, now: Instant) -> bool {
        if !self.messages.try_take(1.0, now) {
            return false;
        }
        if charge_bytes && !self.bytes.try_take(bytes as f64, now) {
            // Give the message token back: the message is dropped.
            self.messages.tokens = (self.messages.tokens + 1.0).min(self.messages.burst);
            return false;
        }
        true
    }
}

/// How bad an offence is. Points add to the peer's score; a peer whose score reaches the
/// threshold (default 100) is disconnected and banned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    /// 10 points: exceeding a rate limit, a useless duplicate request.
    Minor,
    /// 50 points: an unsolicited or oversized response, a repeated `Hello`.
    Major,
    /// Immediate ban: an invalid block or other provable misbehaviour.
    Fatal,
}

impl Severity {
    /// Points added to the score (`Fatal` is infinite).
    pub fn points(self) -> f64 {
        match self {
            Severity::Minor => 10.0,
            Severity::Major => 50.0,
            Severity::Fatal => f64::INFINITY,
        }
    }
}

/// A penalty score that decays linearly over time.
#[derive(Debug, Clone)]
pub struct Score {
    value: f64,
    decay_per_sec: f64,
    last: Instant,
}

impl Score {
    /// A zero score.
    pub fn new(decay_per_sec: f64, now: Instant) -> Score {
        Score { value: 0.0, decay_per_sec, last: now }
    }

    /// The score now.
    pub fn value(&mut self, now: Instant) -> f64 {
        let dt = now.saturating_duration_since(self.last).as_secs_f64();
        self.value = (self.value - dt * self.decay_per_sec).max(0.0);
        self.last = now;
        self.value
    }

    /// Adds points and returns the new score.
    pub fn add(&mut self, points: f64, now: Instant) -> f64 {
        let v = self.value(now) + points;
        self.value = v;
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn bucket_refills_at_its_rate() {
        let t0 = Instant::now();
        let mut b = TokenBucket::new(10.0, 5.0, t0);
        for _ in 0..5 {
            assert!(b.try_take(1.0, t0));
        }
        assert!(!b.try_take(1.0, t0));
        assert!(!b.try_take(1.0, t0 + Duration::from_millis(50)));
        assert!(b.try_take(1.0, t0 + Duration::from_millis(110)));
        // Never above the burst.
        let later = t0 + Duration::from_secs(100);
        assert!(b.try_take(5.0, later));
        assert!(!b.try_take(1.0, later));
    }

    #[test]
    fn limiter_charges_bytes_only_for_unsolicited_traffic() {
        let t0 = Instant::now();
        let cfg =
            RateLimitConfig { messages_per_sec: 100.0, message_burst: 100.0, bytes_per_sec: 10.0, byte_burst: 10.0 };
        let mut l = PeerLimiter::new(&cfg, 100, t0);
        assert!(l.check(100, true, t0));
        assert!(!l.check(1, true, t0));
        assert!(l.check(1_000_000, false, t0));
    }

    #[test]
    fn score_decays() {
        let t0 = Instant::now();
        let mut s = Score::new(1.0, t0);
        assert_eq!(s.add(Severity::Major.points(), t0), 50.0);
        assert_eq!(s.value(t0 + Duration::from_secs(20)), 30.0);
        assert_eq!(s.value(t0 + Duration::from_secs(100)), 0.0);
        assert!(s.add(Severity::Fatal.points(), t0 + Duration::from_secs(100)).is_infinite());
    }
}
