//! Antelope time types and their ISO-8601 text form (UTC, no zone suffix).

use std::fmt;
use std::str::FromStr;

use crate::codec::{Pack, Reader, Unpack};
use crate::error::{CodecError, ParseError};

/// Microseconds since 1970-01-01T00:00:00 UTC (`time_point`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct TimePoint(pub i64);

/// Seconds since 1970-01-01T00:00:00 UTC (`time_point_sec`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct TimePointSec(pub u32);

/// Half-seconds since 2000-01-01T00:00:00 UTC (`block_timestamp_type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct BlockTimestamp(pub u32);

/// Milliseconds from the Unix epoch to the block timestamp epoch (2000-01-01).
pub const BLOCK_TIMESTAMP_EPOCH_MS: i64 = 946_684_800_000;

impl TimePoint {
    /// From milliseconds since the Unix epoch.
    pub const fn from_millis(ms: i64) -> TimePoint {
        TimePoint(ms * 1000)
    }

    /// Milliseconds since the Unix epoch (rounded down).
    pub const fn millis(self) -> i64 {
        self.0.div_euclid(1000)
    }

    /// Whole seconds since the Unix epoch (rounded down).
    pub const fn secs(self) -> i64 {
        self.0.div_euclid(1_000_000)
    }

    /// The second this point falls in, saturated to the `u32` range.
    pub fn to_sec(self) -> TimePointSec {
        TimePointSec(self.secs().clamp(0, i64::from(u32::MAX)) as u32)
    }
}

impl TimePointSec {
    /// As a microsecond time point.
    pub fn to_time_point(self) -> TimePoint {
        TimePoint(i64::from(self.0) * 1_000_000)
    }
}

impl BlockTimestamp {
    /// As a microsecond time point.
    pub fn to_time_point(self) -> TimePoint {
        TimePoint::from_millis(BLOCK_TIMESTAMP_EPOCH_MS + i64::from(self.0) * 500)
    }

    /// The block timestamp slot containing `t` (saturating).
    pub fn from_time_point(t: TimePoint) -> BlockTimestamp {
        let slots = (t.millis() - BLOCK_TIMESTAMP_EPOCH_MS).div_euclid(500);
        BlockTimestamp(slots.clamp(0, i64::from(u32::MAX)) as u32)
    }
}

// Howard Hinnant's days_from_civil / civil_from_days, valid for the proleptic Gregorian calendar.
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (i64::from(m) + 9) % 12;
    let doy = (153 * mp + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

fn write_iso(f: &mut fmt::Formatter<'_>, micros: i64, with_millis: bool) -> fmt::Result {
    let secs = micros.div_euclid(1_000_000);
    let days = secs.div_euclid(86_400);
    let sod = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    write!(f, "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}", sod / 3600, (sod / 60) % 60, sod % 60)?;
    if with_millis {
        write!(f, ".{:03}", micros.rem_euclid(1_000_000) / 1000)?;
    }
    Ok(())
}

/// Parses `YYYY-MM-DDTHH:MM:SS[.fff...][Z]` into microseconds since the Unix epoch.
fn parse_iso(s: &str) -> Result<i64, ParseError> {
    let err = |r: &str| ParseError::new("time", s, r.to_string());
    let t = s.strip_suffix('Z').unwrap_or(s);
    let (date, time) = t.split_once('T').ok_or_else(|| err("expected YYYY-MM-DDTHH:MM:SS"))?;
    let mut dp = date.split('-');
    let (y, m, d) = match (dp.next(), dp.next(), dp.next(), dp.next()) {
        (Some(y), Some(m), Some(d), None) if y.len() == 4 && m.len() == 2 && d.len() == 2 => (y, m, d),
        _ => return Err(err("expected YYYY-MM-DD")),
    };
    let num = |v: &str| -> Result<u32, ParseError> {
        if v.is_empty() || !v.bytes().all(|b| b.is_ascii_digit()) {
            return Err(err("expected digits"));
        }
        v.parse::<u32>().map_err(|_| err("number out of range"))
    };
    let (y, m, d) = (num(y)?, num(m)?, num(d)?);
    let (hms, frac) = match time.split_once('.') {
        Some((a, b)) => (a, Some(b)),
        None => (time, None),
    };
    let mut tp = hms.split(':');
    let (hh, mm, ss) = match (tp.next(), tp.next(), tp.next(), tp.next()) {
        (Some(h), Some(mi), Some(se), None) if h.len() == 2 && mi.len() == 2 && se.len() == 2 => {
            (num(h)?, num(mi)?, num(se)?)
        }
        _ => return Err(err("expected HH:MM:SS")),
    };
    if !(1..=12).contains(&m) || d == 0 || d > 31 || hh > 23 || mm > 59 || ss > 59 {
        return Err(err("field out of range"));
    }
    let days = days_from_civil(i64::from(y), m, d);
    if civil_from_days(days) != (i64::from(y), m, d) {
        return Err(err("no such date"));
    }
    let mut micros = (days * 86_400 + i64::from(hh) * 3600 + i64::from(mm) * 60 + i64::from(ss)) * 1_000_000;
    if let Some(frac) = frac {
        if frac.is_empty() || frac.len() > 9 || !frac.bytes().all(|b| b.is_ascii_digit()) {
            return Err(err("bad fractional seconds"));
        }
        let mut digits = frac.to_string();
        digits.truncate(6);
        while digits.len() < 6 {
            digits.push('0');
        }
        micros += i64::from(num(&digits)?);
    }
    Ok(micros)
}

impl fmt::Display for TimePoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_iso(f, self.0, true)
    }
}

impl FromStr for TimePoint {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse_iso(s).map(TimePoint)
    }
}

impl fmt::Display for TimePointSec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_iso(f, i64::from(self.0) * 1_000_000, false)
    }
}

impl FromStr for TimePointSec {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let us = parse_iso(s)?;
        u32::try_from(us.div_euclid(1_000_000))
            .map(TimePointSec)
            .map_err(|_| ParseError::new("time_point_sec", s, "outside 1970..2106"))
    }
}

impl fmt::Display for BlockTimestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_iso(f, self.to_time_point().0, true)
    }
}

impl FromStr for BlockTimestamp {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let tp = TimePoint(parse_iso(s)?);
        let bt = BlockTimestamp::from_time_point(tp);
        if bt.to_time_point() != tp {
            return Err(ParseError::new("block_timestamp_type", s, "not on a half-second boundary"));
        }
        Ok(bt)
    }
}

impl Pack for TimePoint {
    fn pack(&self, out: &mut Vec<u8>) {
        self.0.pack(out);
    }
}
impl Unpack for TimePoint {
    fn unpack(r: &mut Reader<'_>) -> Result<Self, CodecError> {
        Ok(TimePoint(i64::unpack(r)?))
    }
}
impl Pack for TimePointSec {
    fn pack(&self, out: &mut Vec<u8>) {
        self.0.pack(out);
    }
}
impl Unpack for TimePointSec {
    fn unpack(r: &mut Reader<'_>) -> Result<Self, CodecError> {
        Ok(TimePointSec(u32::unpack(r)?))
    }
}
impl Pack for BlockTimestamp {
    fn pack(&self, out: &mut Vec<u8>) {
        self.0.pack(out);
    }
}
impl Unpack for BlockTimestamp {
    fn unpack(r: &mut Reader<'_>) -> Result<Self, CodecError> {
        Ok(BlockTimestamp(u32::unpack(r)?))
    }
}

crate::asset::serde_via_string!(TimePoint, TimePointSec, BlockTimestamp);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_without_zone_suffix() {
        let t = TimePointSec(0x6592_009e);
        assert_eq!(t.to_string(), "2024-01-01T00:00:30");
        assert_eq!("2024-01-01T00:00:30".parse::<TimePointSec>().unwrap(), t);
        assert_eq!("2024-01-01T00:00:30Z".parse::<TimePointSec>().unwrap(), t);
        let tp: TimePoint = "2026-11-24T11:12:39.913".parse().unwrap();
        assert_eq!(tp.to_string(), "2026-11-24T11:12:39.913");
        assert_eq!(BlockTimestamp(0).to_string(), "2000-01-01T00:00:00.000");
        assert_eq!(BlockTimestamp(3).to_string(), "2000-01-01T00:00:01.500");
    }

    #[test]
    fn rejects_bad_times() {
        for s in [
            "2024-02-30T00:00:00",
            "2024-01-01 00:00:00",
            "2024-1-01T00:00:00",
            "2024-01-01T24:00:00",
            "x",
            "2024-01-01T00:00:00.",
            "2024-01-01T00:00:00.1234567890",
        ] {
            assert!(s.parse::<TimePoint>().is_err(), "{s}");
        }
    }

    #[test]
    fn civil_round_trip() {
        for days in [-1_000_000i64, -1, 0, 1, 10_957, 20_000, 2_932_896] {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
    }
}
