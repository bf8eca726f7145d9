//! JSON forms of integers and floats, following nodeos so JavaScript clients keep full precision.
//!
//! nodeos (fc's JSON writer) prints 64- and 128-bit integers as decimal strings once their
//! magnitude exceeds `0xffffffff`, and floats as strings. Clients send numbers or strings, so
//! input accepts both.

use serde_json::Value;

/// Integers whose magnitude exceeds this are written as strings.
const MAX_JSON_NUMBER_MAGNITUDE: u128 = 0xffff_ffff;

/// Largest integer an `f64` holds exactly; JSON numbers beyond it have already lost precision.
const MAX_EXACT_F64: f64 = 9_007_199_254_740_992.0;

/// JSON for a wide integer given its sign and magnitude.
fn wide_to_json(negative: bool, magnitude: u128) -> Value {
    if magnitude <= MAX_JSON_NUMBER_MAGNITUDE {
        // Fits both i64 and u64, so serde_json keeps it exact.
        let n = magnitude as i64;
        Value::from(if negative { -n } else { n })
    } else if negative {
        Value::String(format!("-{magnitude}"))
    } else {
        Value::String(magnitude.to_string())
    }
}

/// JSON for a signed 64- or 128-bit integer.
pub(crate) fn signed_to_json(v: i128) -> Value {
    wide_to_json(v < 0, v.unsigned_abs())
}

/// JSON for an unsigned 64- or 128-bit integer.
pub(crate) fn unsigned_to_json(v: u128) -> Value {
    wide_to_json(false, v)
}

/// A short description of a JSON value for error messages.
pub(crate) fn describe(v: &Value) -> String {
    match v {
        Value::Null => "null".into(),
        Value::Bool(b) => format!("bool {b}"),
        Value::Number(n) => format!("number {n}"),
        Value::String(s) => {
            let short: String = s.chars().take(40).collect();
            if short.len() < s.len() {
                format!("string {short:?}…")
            } else {
                format!("string {short:?}")
            }
        }
        Value::Array(_) => "array".into(),
        Value::Object(_) => "object".into(),
    }
}

/// An integer read from JSON: sign and magnitude, so both `i128` and `u128` ranges are covered.
struct Wide {
    negative: bool,
    magnitude: u128,
}

fn parse_wide(v: &Value, ty: &str) -> Result<Wide, String> {
    let expected = || format!("expected {ty} (number or decimal string), found {}", describe(v));
    match v {
        Value::Number(n) => {
            if let Some(u) = n.as_u64() {
                Ok(Wide { negative: false, magnitude: u128::from(u) })
            } else if let Some(i) = n.as_i64() {
                Ok(Wide { negative: i < 0, magnitude: u128::from(i.unsigned_abs()) })
            } else {
                // A float such as `2.0`: accept it only when it is an integer held exactly.
                let f = n.as_f64().unwrap_or(f64::NAN);
                if f.fract() != 0.0 || !f.is_finite() {
                    return Err(format!("expected {ty}, found non-integer number {n}"));
                }
                if f.abs() > MAX_EXACT_F64 {
                    return Err(format!("{ty} value {n} is too large for a JSON number; send a string"));
                }
                Ok(Wide { negative: f < 0.0, magnitude: f.abs() as u128 })
            }
        }
        Value::String(s) => {
            let (negative, digits) = match s.strip_prefix('-') {
                Some(rest) => (true, rest),
                None => (false, s.as_str()),
            };
            if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return Err(expected());
            }
            let magnitude = digits.parse::<u128>().map_err(|_| format!("{ty} value {s:?} is out of range"))?;
            Ok(Wide { negative, magnitude })
        }
        _ => Err(expected()),
    }
}

fn out_of_range(ty: &str, w: &Wide) -> String {
    let sign = if w.negative { "-" } else { "" };
    format!("{ty} value {sign}{} is out of range", w.magnitude)
}

/// Reads a signed integer of type `ty`, checking it against `[min, max]`.
pub(crate) fn json_to_signed(v: &Value, ty: &str, min: i128, max: i128) -> Result<i128, String> {
    let w = parse_wide(v, ty)?;
    let value = if w.negative {
        // i128::MIN's magnitude is one more than i128::MAX.
        if w.magnitude > i128::MIN.unsigned_abs() {
            return Err(out_of_range(ty, &w));
        }
        0i128.wrapping_sub_unsigned(w.magnitude)
    } else {
        i128::try_from(w.magnitude).map_err(|_| out_of_range(ty, &w))?
    };
    if value < min || value > max {
        return Err(out_of_range(ty, &w));
    }
    Ok(value)
}

/// Reads an unsigned integer of type `ty`, checking it against `max`.
pub(crate) fn json_to_unsigned(v: &Value, ty: &str, max: u128) -> Result<u128, String> {
    let w = parse_wide(v, ty)?;
    if w.negative && w.magnitude != 0 {
        return Err(format!("{ty} cannot be negative (found -{})", w.magnitude));
    }
    if w.negative {
        // "-0" is not a form any client writes for an unsigned value.
        return Err(format!("expected {ty} (number or decimal string), found {}", describe(v)));
    }
    if w.magnitude > max {
        return Err(out_of_range(ty, &w));
    }
    Ok(w.magnitude)
}

/// Reads `bool` as `true`/`false`, `1`/`0`, or those spelled as strings.
pub(crate) fn json_to_bool(v: &Value) -> Result<bool, String> {
    match v {
        Value::Bool(b) => Ok(*b),
        Value::Number(n) if n.as_u64() == Some(1) => Ok(true),
        Value::Number(n) if n.as_u64() == Some(0) => Ok(false),
        Value::String(s) if s == "true" || s == "1" => Ok(true),
        Value::String(s) if s == "false" || s == "0" => Ok(false),
        _ => Err(format!("expected bool (true/false or 1/0), found {}", describe(v))),
    }
}

/// Text form of a float: Rust's shortest round-trip digits, with fc's spellings of non-finite
/// values.
fn float_text(nan: bool, inf: bool, negative: bool, shortest: String) -> String {
    if nan {
        "nan".into()
    } else if inf && negative {
        "-inf".into()
    } else if inf {
        "inf".into()
    } else {
        shortest
    }
}

/// JSON for a `float64`: a string, as nodeos writes doubles.
pub(crate) fn f64_to_json(v: f64) -> Value {
    Value::String(float_text(v.is_nan(), v.is_infinite(), v < 0.0, format!("{v:?}")))
}

/// JSON for a `float32`.
pub(crate) fn f32_to_json(v: f32) -> Value {
    Value::String(float_text(v.is_nan(), v.is_infinite(), v < 0.0, format!("{v:?}")))
}

/// Reads a `float64` from a number or a string.
pub(crate) fn json_to_f64(v: &Value) -> Result<f64, String> {
    match v {
        Value::Number(n) => n.as_f64().ok_or_else(|| format!("float64 value {n} is not representable")),
        Value::String(s) => {
            s.trim().parse::<f64>().map_err(|_| format!("expected float64 (number or string), found {}", describe(v)))
        }
        _ => Err(format!("expected float64 (number or string), found {}", describe(v))),
    }
}

/// Reads a `float32`; strings are parsed as `f32` directly so no double rounding occurs.
pub(crate) fn json_to_f32(v: &Value) -> Result<f32, String> {
    match v {
        Value::Number(n) => {
            n.as_f64().map(|f| f as f32).ok_or_else(|| format!("float32 value {n} is not representable"))
        }
        Value::String(s) => {
            s.trim().parse::<f32>().map_err(|_| format!("expected float32 (number or string), found {}", describe(v)))
        }
        _ => Err(format!("expected float32 (number or string), found {}", describe(v))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn wide_integers_become_strings_past_32_bits() {
        assert_eq!(signed_to_json(0xffff_ffff), json!(4294967295u64));
        assert_eq!(signed_to_json(-0xffff_ffff), json!(-4294967295i64));
        assert_eq!(signed_to_json(0x1_0000_0000), json!("4294967296"));
        assert_eq!(signed_to_json(-0x1_0000_0000), json!("-4294967296"));
        assert_eq!(signed_to_json(i128::MIN), json!(i128::MIN.to_string()));
        assert_eq!(unsigned_to_json(u128::MAX), json!(u128::MAX.to_string()));
        assert_eq!(unsigned_to_json(7), json!(7));
    }

    #[test]
    fn integer_input_forms_and_ranges() {
        let i8r = |v: Value| json_to_signed(&v, "int8", -128, 127);
        assert_eq!(i8r(json!(-128)), Ok(-128));
        assert_eq!(i8r(json!("127")), Ok(127));
        assert_eq!(i8r(json!(2.0)), Ok(2));
        assert!(i8r(json!(128)).unwrap_err().contains("out of range"));
        assert!(i8r(json!("-129")).unwrap_err().contains("out of range"));
        assert!(i8r(json!(1.5)).unwrap_err().contains("non-integer"));
        for bad in [json!("1.0"), json!(""), json!("+1"), json!(" 1"), json!("0x10"), json!(null), json!(true)] {
            assert!(i8r(bad.clone()).is_err(), "{bad}");
        }
        let i128r = |v: Value| json_to_signed(&v, "int128", i128::MIN, i128::MAX);
        assert_eq!(i128r(json!(i128::MIN.to_string())), Ok(i128::MIN));
        assert_eq!(i128r(json!(i128::MAX.to_string())), Ok(i128::MAX));
        assert!(i128r(json!("170141183460469231731687303715884105728")).is_err());
        assert!(i128r(json!("-170141183460469231731687303715884105729")).is_err());
        assert!(i128r(json!("999999999999999999999999999999999999999999")).is_err());

        let u64r = |v: Value| json_to_unsigned(&v, "uint64", u128::from(u64::MAX));
        assert_eq!(u64r(json!(u64::MAX)), Ok(u128::from(u64::MAX)));
        assert_eq!(u64r(json!("18446744073709551615")), Ok(u128::from(u64::MAX)));
        assert!(u64r(json!("18446744073709551616")).unwrap_err().contains("out of range"));
        assert!(u64r(json!(-1)).unwrap_err().contains("negative"));
        assert!(u64r(json!("-5")).unwrap_err().contains("negative"));
        assert!(u64r(json!("-0")).is_err());
        assert!(u64r(json!(1e300)).unwrap_err().contains("too large"));
        let u128r = |v: Value| json_to_unsigned(&v, "uint128", u128::MAX);
        assert_eq!(u128r(json!(u128::MAX.to_string())), Ok(u128::MAX));
    }

    #[test]
    fn bool_forms() {
        for (v, b) in
            [(json!(true), true), (json!(0), false), (json!(1), true), (json!("false"), false), (json!("1"), true)]
        {
            assert_eq!(json_to_bool(&v), Ok(b));
        }
        for v in [json!(2), json!("yes"), json!(null), json!(-1)] {
            assert!(json_to_bool(&v).is_err());
        }
    }

    #[test]
    fn floats_round_trip_through_strings() {
        for v in [0.0, -0.0, 1.0, 0.1, -2.5e-300, 1e300, f64::MAX, f64::MIN_POSITIVE, f64::INFINITY] {
            let j = f64_to_json(v);
            assert!(j.is_string());
            let back = json_to_f64(&j).unwrap();
            assert_eq!(back.to_bits(), v.to_bits(), "{j}");
        }
        assert_eq!(f64_to_json(1.0), json!("1.0"));
        assert_eq!(f64_to_json(f64::NEG_INFINITY), json!("-inf"));
        assert!(json_to_f64(&f64_to_json(f64::NAN)).unwrap().is_nan());
        assert_eq!(json_to_f64(&json!(1.5)), Ok(1.5));
        assert_eq!(json_to_f64(&json!("1.00000000000000000")), Ok(1.0));
        for v in [0.1f32, f32::MAX, -3.25, f32::MIN_POSITIVE] {
            assert_eq!(json_to_f32(&f32_to_json(v)).unwrap().to_bits(), v.to_bits());
        }
        assert!(json_to_f32(&json!("abc")).is_err());
        assert!(json_to_f64(&json!([])).is_err());
    }
}
