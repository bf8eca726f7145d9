//! Human-readable output: aligned tables and key–value blocks. Values are shown as the node
//! gives them (amounts keep their precision and symbol).

use serde_json::Value;

/// Column alignment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Align {
    /// Text.
    Left,
    /// Numbers.
    Right,
}

/// Renders rows under headers, columns padded to their widest cell (in characters), two spaces
/// apart, without trailing spaces.
pub fn table(headers: &[(&str, Align)], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = headers.iter().map(|(h, _)| h.chars().count()).collect();
    for row in rows {
        for (i, cell) in row.iter().enumerate().take(widths.len()) {
            widths[i] = widths[i].max(cell.chars().count());
        }
    }
    let mut out = String::new();
    let header_cells: Vec<String> = headers.iter().map(|(h, _)| h.to_string()).collect();
    for row in std::iter::once(&header_cells).chain(rows) {
        let mut line = String::new();
        for (i, (_, align)) in headers.iter().enumerate() {
            let cell = row.get(i).map(String::as_str).unwrap_or("");
            let pad = widths[i].saturating_sub(cell.chars().count());
            if i > 0 {
                line.push_str("  ");
            }
            match align {
                Align::Left => {
                    line.push_str(cell);
                    line.push_str(&" ".repeat(pad));
                }
                Align::Right => {
                    line.push_str(&" ".repeat(pad));
                    line.push_str(cell);
                }
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// Renders `key  value` lines with the keys padded to the widest.
pub fn fields(pairs: &[(&str, String)]) -> String {
    let width = pairs.iter().map(|(k, _)| k.chars().count()).max().unwrap_or(0);
    let mut out = String::new();
    for (k, v) in pairs {
        let pad = width - k.chars().count();
        out.push_str(format!("{k}{}  {v}", " ".repeat(pad)).trim_end());
        out.push('\n');
    }
    out
}

/// A JSON value as a table cell: strings without quotes, numbers and booleans as written,
/// `null` as `-`, arrays and objects as compact JSON.
pub fn cell(v: &Value) -> String {
    match v {
        Value::Null => "-".into(),
        Value::String(s) => s.clone(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        other => other.to_string(),
    }
}

/// A JSON number or numeric string as `f64` (the node writes doubles and large integers as
/// strings).
pub fn number(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// A vote weight for people: the integer part with thousands separators (weights are stake
/// units, so fractions are noise).
pub fn weight(v: &Value) -> String {
    match number(v) {
        Some(x) if (0.0..1e30).contains(&x) => group_thousands(&format!("{:.0}", x.floor())),
        _ => cell(v),
    }
}

fn group_thousands(digits: &str) -> String {
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// `part / total` as a percentage with two decimals, or `-` when the total is zero or unknown.
pub fn percent(part: &Value, total: &Value) -> String {
    match (number(part), number(total)) {
        (Some(p), Some(t)) if t > 0.0 && p.is_finite() => format!("{:.2}%", p * 100.0 / t),
        _ => "-".into(),
    }
}

/// Pretty JSON for `--json`.
pub fn json(v: &Value) -> String {
    let mut s = serde_json::to_string_pretty(v).unwrap_or_else(|_| v.to_string());
    s.push('\n');
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn tables_align_columns() {
        let t = table(
            &[("name", Align::Left), ("votes", Align::Right), ("url", Align::Left)],
            &[vec!["alice".into(), "5".into(), "".into()], vec!["bob".into(), "1,000".into(), "https://b".into()]],
        );
        assert_eq!(t, "name   votes  url\nalice      5\nbob    1,000  https://b\n");
    }

    #[test]
    fn tables_count_characters_not_bytes() {
        let t = table(&[("a", Align::Left), ("b", Align::Left)], &[vec!["é".into(), "x".into()]]);
        assert_eq!(t, "a  b\né  x\n");
    }

    #[test]
    fn field_blocks() {
        assert_eq!(fields(&[("a", "1".into()), ("long", "".into())]), "a     1\nlong\n");
    }

    #[test]
    fn cells_and_numbers() {
        assert_eq!(cell(&json!("x")), "x");
        assert_eq!(cell(&json!(null)), "-");
        assert_eq!(cell(&json!([1, "a"])), "[1,\"a\"]");
        assert_eq!(weight(&json!("1234567.00000000000000000")), "1,234,567");
        assert_eq!(weight(&json!(999)), "999");
        assert_eq!(weight(&json!(1000)), "1,000");
        assert_eq!(weight(&json!("n/a")), "n/a");
        assert_eq!(percent(&json!("25"), &json!(200)), "12.50%");
        assert_eq!(percent(&json!(1), &json!("0")), "-");
    }
}
