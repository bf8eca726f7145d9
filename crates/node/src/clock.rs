//! Wall-clock time for the shell. The core never reads a clock; the shell passes it the time.

use civitas_protocol::TimePoint;

/// Now, in the chain's time type.
pub fn now() -> TimePoint {
    let ms =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0);
    TimePoint::from_millis(ms)
}
