//! Parsers for command-line values. clap reports their errors as
//! `invalid value 'X' for '<FIELD>': <reason>`, so each reason says what was expected.

use civitas_protocol::{Asset, Name, PermissionLevel, PrivateKey, PublicKey};

/// An account name (`alice`, `eosio.token`).
pub fn name(s: &str) -> Result<Name, String> {
    s.parse::<Name>().map_err(|e| format!("expected an account name (up to 12 of a-z, 1-5 and '.'): {}", e.reason))
}

/// An amount with its symbol (`1.0000 CIV`).
pub fn quantity(s: &str) -> Result<Asset, String> {
    let asset: Asset = s
        .parse()
        .map_err(|e: civitas_protocol::ParseError| format!("expected an amount like 1.0000 CIV: {}", e.reason))?;
    if asset.amount() < 0 {
        return Err("expected an amount like 1.0000 CIV: the amount must not be negative".into());
    }
    Ok(asset)
}

/// A public key (`PUB_K1_…` or legacy `EOS…`).
pub fn public_key(s: &str) -> Result<PublicKey, String> {
    let key: PublicKey = s
        .trim()
        .parse()
        .map_err(|e: civitas_protocol::ParseError| format!("expected a public key (PUB_K1_… or EOS…): {}", e.reason))?;
    if !key.is_valid_point() {
        return Err("expected a public key (PUB_K1_… or EOS…): not a point on secp256k1".into());
    }
    Ok(key)
}

/// A private key (`PVT_K1_…` or WIF).
pub fn private_key(s: &str) -> Result<PrivateKey, String> {
    // The input is a secret: never echo it back in the message.
    s.trim().parse::<PrivateKey>().map_err(|e| format!("expected a private key (PVT_K1_… or WIF 5…): {}", e.reason))
}

/// `actor@permission` (or `actor`, meaning `actor@active`).
pub fn permission(s: &str) -> Result<PermissionLevel, String> {
    s.parse::<PermissionLevel>().map_err(|e| format!("expected ACTOR@PERMISSION like alice@active: {}", e.reason))
}

/// A keep rate: basis points `0`..=`10000`, or a percentage `0%`..=`100%` (at most two decimals).
pub fn keep_rate(s: &str) -> Result<u16, String> {
    const EXPECTED: &str = "expected basis points 0 to 10000 (e.g. 4000) or a percentage 0% to 100% (e.g. 40%)";
    let t = s.trim();
    let bp: u64 = if let Some(pct) = t.strip_suffix('%') {
        let (int, frac) = pct.trim().split_once('.').unwrap_or((pct.trim(), ""));
        if int.is_empty() || frac.len() > 2 || !int.bytes().chain(frac.bytes()).all(|b| b.is_ascii_digit()) {
            return Err(EXPECTED.into());
        }
        let int: u64 = int.parse().map_err(|_| EXPECTED.to_string())?;
        let frac: u64 =
            if frac.is_empty() { 0 } else { format!("{frac:0<2}").parse().map_err(|_| EXPECTED.to_string())? };
        int.saturating_mul(100).saturating_add(frac)
    } else {
        t.parse().map_err(|_| EXPECTED.to_string())?
    };
    u16::try_from(bp).ok().filter(|b| *b <= 10_000).ok_or_else(|| format!("{EXPECTED}; {s} is out of range"))
}

/// A token symbol: `CIV` or `4,CIV` (passed to the node as written).
pub fn symbol(s: &str) -> Result<String, String> {
    let t = s.trim();
    let code = match t.split_once(',') {
        Some((p, code)) if !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()) => code,
        Some(_) => return Err("expected a symbol like CIV or 4,CIV".into()),
        None => t,
    };
    if code.is_empty() || code.len() > 7 || !code.bytes().all(|b| b.is_ascii_uppercase()) {
        return Err("expected a symbol like CIV or 4,CIV (1 to 7 upper-case letters)".into());
    }
    Ok(t.to_string())
}

/// A block number or a 64-hex block id.
pub fn block_ref(s: &str) -> Result<String, String> {
    let t = s.trim();
    let is_num = !t.is_empty() && t.len() <= 10 && t.bytes().all(|b| b.is_ascii_digit()) && t.parse::<u32>().is_ok();
    let is_id = t.len() == 64 && t.bytes().all(|b| b.is_ascii_hexdigit());
    if is_num || is_id {
        Ok(t.to_ascii_lowercase())
    } else {
        Err("expected a block number or a 64-hex block id".into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert_eq!(name("eosio.token").unwrap().to_string(), "eosio.token");
        let e = name("Alice").unwrap_err();
        assert!(e.starts_with("expected an account name"), "{e}");
        assert!(name("abcdefghijklmn").is_err());
    }

    #[test]
    fn quantities() {
        assert_eq!(quantity("1.0000 CIV").unwrap().to_string(), "1.0000 CIV");
        assert_eq!(quantity("5 SYS").unwrap().to_string(), "5 SYS");
        for bad in ["1.0000", "CIV", "1,0 CIV", "-1.0000 CIV", "1.0000 civ", ""] {
            let e = quantity(bad).unwrap_err();
            assert!(e.starts_with("expected an amount like 1.0000 CIV"), "{bad}: {e}");
        }
    }

    #[test]
    fn keys() {
        let k = PrivateKey::from_seed("x");
        assert_eq!(public_key(&k.public_key().to_string()).unwrap(), k.public_key());
        assert_eq!(public_key(&k.public_key().to_legacy_string()).unwrap(), k.public_key());
        assert!(public_key("PUB_K1_abc").unwrap_err().starts_with("expected a public key"));
        assert_eq!(private_key(&k.to_wif()).unwrap(), k);
        assert_eq!(private_key(&format!(" {k}\n")).unwrap(), k);
        let e = private_key("5KQwrPbwdL6PhXujxW37FSSQZ1JiwsST4cqQzDeyXtP79zkvFD4").unwrap_err();
        assert!(!e.contains("5KQwr"), "secret echoed: {e}");
    }

    #[test]
    fn permissions() {
        assert_eq!(permission("alice@owner").unwrap().to_string(), "alice@owner");
        assert_eq!(permission("alice").unwrap().to_string(), "alice@active");
        assert!(permission("Alice@active").unwrap_err().starts_with("expected ACTOR@PERMISSION"));
    }

    #[test]
    fn keep_rates() {
        assert_eq!(keep_rate("4000"), Ok(4000));
        assert_eq!(keep_rate("0"), Ok(0));
        assert_eq!(keep_rate("10000"), Ok(10000));
        assert_eq!(keep_rate("40%"), Ok(4000));
        assert_eq!(keep_rate("12.5%"), Ok(1250));
        assert_eq!(keep_rate("0.01%"), Ok(1));
        assert_eq!(keep_rate("100%"), Ok(10000));
        for bad in ["10001", "100.01%", "-1", "x", "%", "1.234%", "", "99999999999999999999%"] {
            assert!(keep_rate(bad).unwrap_err().starts_with("expected basis points"), "{bad}");
        }
    }

    #[test]
    fn symbols_and_blocks() {
        assert_eq!(symbol("CIV").unwrap(), "CIV");
        assert_eq!(symbol("4,CIV").unwrap(), "4,CIV");
        for bad in ["civ", "", ",CIV", "4,", "TOOLONGSYM"] {
            assert!(symbol(bad).is_err(), "{bad}");
        }
        assert_eq!(block_ref("12").unwrap(), "12");
        assert_eq!(block_ref(&"AB".repeat(32)).unwrap(), "ab".repeat(32));
        for bad in ["", "-1", "99999999999", "xyz", &"ab".repeat(31)] {
            assert!(block_ref(bad).is_err(), "{bad}");
        }
    }
}
