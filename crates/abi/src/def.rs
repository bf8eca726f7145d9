//! The `abi_def` structure exactly as Antelope defines it, with nodeos's JSON field names
//! (`get_abi`) and the binary layout of `setabi` / `get_raw_abi`.

use base64::Engine as _;
use civitas_protocol::{Bytes, CodecError, Name, Pack, Reader, Unpack};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::AbiError;

/// Deserializes `null` like a missing field, because some tools write `"variants": null`
/// where Wharfkit and nodeos readers expect an empty list.
fn nullable<'de, D: Deserializer<'de>, T: Default + Deserialize<'de>>(d: D) -> Result<T, D::Error> {
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

/// An ABI: everything a client needs to convert a contract's actions and tables between JSON and
/// binary.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct AbiDef {
    /// `eosio::abi/1.x`; readers reject other major versions.
    #[serde(deserialize_with = "nullable")]
    pub version: String,
    /// Type aliases.
    #[serde(deserialize_with = "nullable")]
    pub types: Vec<TypeDef>,
    /// Structs, encoded as their base's fields followed by their own.
    #[serde(deserialize_with = "nullable")]
    pub structs: Vec<StructDef>,
    /// The contract's actions and their argument types.
    #[serde(deserialize_with = "nullable")]
    pub actions: Vec<ActionDef>,
    /// The contract's tables and their row types.
    #[serde(deserialize_with = "nullable")]
    pub tables: Vec<TableDef>,
    /// Ricardian clauses shown by wallets.
    #[serde(deserialize_with = "nullable")]
    pub ricardian_clauses: Vec<ClausePair>,
    /// Messages for `eosio_assert_code` codes.
    #[serde(deserialize_with = "nullable")]
    pub error_messages: Vec<ErrorMessage>,
    /// Reserved extensions; no tag is defined today.
    #[serde(deserialize_with = "nullable")]
    pub abi_extensions: Vec<AbiExtension>,
    /// Tagged unions (abi/1.1); a binary extension in the encoding.
    #[serde(deserialize_with = "nullable")]
    pub variants: Vec<VariantDef>,
    /// Action return value types (abi/1.2); a binary extension in the encoding.
    #[serde(deserialize_with = "nullable")]
    pub action_results: Vec<ActionResultDef>,
}

/// `new_type_name` is an alias of `type`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct TypeDef {
    /// The alias.
    pub new_type_name: String,
    /// The aliased type expression (may carry `[]`, `?`).
    #[serde(rename = "type")]
    pub ty: String,
}

/// A struct definition.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct StructDef {
    /// The struct's type name.
    pub name: String,
    /// A struct whose fields come first, or `""`.
    pub base: String,
    /// The struct's own fields, in encoding order.
    #[serde(deserialize_with = "nullable")]
    pub fields: Vec<FieldDef>,
}

/// One struct field.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct FieldDef {
    /// The JSON key.
    pub name: String,
    /// The type expression; a trailing `$` marks a binary extension.
    #[serde(rename = "type")]
    pub ty: String,
}

/// An action and the type of its data.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct ActionDef {
    /// The action name.
    pub name: Name,
    /// The type of the action's data.
    #[serde(rename = "type")]
    pub ty: String,
    /// The Ricardian contract text.
    pub ricardian_contract: String,
}

/// A table and the type of its rows.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct TableDef {
    /// The table name.
    pub name: Name,
    /// The index type (`i64` for ordinary tables).
    pub index_type: String,
    /// Names of the key columns (informational).
    #[serde(deserialize_with = "nullable")]
    pub key_names: Vec<String>,
    /// Types of the key columns (informational).
    #[serde(deserialize_with = "nullable")]
    pub key_types: Vec<String>,
    /// The row type.
    #[serde(rename = "type")]
    pub ty: String,
}

/// A Ricardian clause.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct ClausePair {
    /// The clause id.
    pub id: String,
    /// The clause text.
    pub body: String,
}

/// A message for an assertion error code.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct ErrorMessage {
    /// The code passed to `eosio_assert_code`.
    #[serde(with = "u64_json")]
    pub error_code: u64,
    /// The message.
    pub error_msg: String,
}

/// A tagged extension blob.
///
/// JSON is `{"tag":…, "value":"hex"}` as eosjs and Wharfkit write it; nodeos's `[tag, "hex"]`
/// pair form is accepted on input.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct AbiExtension {
    /// The extension kind.
    pub tag: u16,
    /// The payload, hex in JSON.
    pub value: Bytes,
}

impl<'de> Deserialize<'de> for AbiExtension {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Form {
            Object { tag: u16, value: Bytes },
            Pair(u16, Bytes),
        }
        Ok(match Form::deserialize(d)? {
            Form::Object { tag, value } | Form::Pair(tag, value) => AbiExtension { tag, value },
        })
    }
}

/// A tagged union: JSON `["type", value]`, binary `varuint32` index then the value.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct VariantDef {
    /// The variant's type name.
    pub name: String,
    /// The alternatives, in index order.
    #[serde(deserialize_with = "nullable")]
    pub types: Vec<String>,
}

/// The type an action returns.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct ActionResultDef {
    /// The action name.
    pub name: Name,
    /// The return value type.
    pub result_type: String,
}

civitas_protocol::packable_struct!(TypeDef { new_type_name, ty });
civitas_protocol::packable_struct!(StructDef { name, base, fields });
civitas_protocol::packable_struct!(FieldDef { name, ty });
civitas_protocol::packable_struct!(ActionDef { name, ty, ricardian_contract });
civitas_protocol::packable_struct!(TableDef { name, index_type, key_names, key_types, ty });
civitas_protocol::packable_struct!(ClausePair { id, body });
civitas_protocol::packable_struct!(ErrorMessage { error_code, error_msg });
civitas_protocol::packable_struct!(AbiExtension { tag, value });
civitas_protocol::packable_struct!(VariantDef { name, types });
civitas_protocol::packable_struct!(ActionResultDef { name, result_type });

impl Pack for AbiDef {
    /// Always writes `variants` and `action_results`, as eosjs's `jsonToRawAbi` does for an ABI
    /// that lists them (even empty); readers of abi/1.0 stop before them.
    fn pack(&self, out: &mut Vec<u8>) {
        self.version.pack(out);
        self.types.pack(out);
        self.structs.pack(out);
        self.actions.pack(out);
        self.tables.pack(out);
        self.ricardian_clauses.pack(out);
        self.error_messages.pack(out);
        self.abi_extensions.pack(out);
        self.variants.pack(out);
        self.action_results.pack(out);
    }
}

impl Unpack for AbiDef {
    fn unpack(r: &mut Reader<'_>) -> Result<Self, CodecError> {
        let mut def = AbiDef {
            version: Unpack::unpack(r)?,
            types: Unpack::unpack(r)?,
            structs: Unpack::unpack(r)?,
            actions: Unpack::unpack(r)?,
            tables: Unpack::unpack(r)?,
            ricardian_clauses: Unpack::unpack(r)?,
            error_messages: Unpack::unpack(r)?,
            abi_extensions: Unpack::unpack(r)?,
            variants: Vec::new(),
            action_results: Vec::new(),
        };
        // Binary extensions: older ABIs simply end here.
        if r.remaining() > 0 {
            def.variants = Unpack::unpack(r)?;
        }
        if r.remaining() > 0 {
            def.action_results = Unpack::unpack(r)?;
        }
        Ok(def)
    }
}

impl AbiDef {
    /// Decodes a binary `abi_def` that must use all of `bytes`.
    pub fn from_bytes(bytes: &[u8]) -> Result<AbiDef, AbiError> {
        Ok(AbiDef::unpack_exact(bytes)?)
    }

    /// The binary `abi_def` (what `setabi` carries and `get_raw_abi` returns).
    pub fn to_bytes(&self) -> Vec<u8> {
        self.packed()
    }

    /// The binary form as standard, padded base64, which eosjs's `base64ToBinary` requires.
    pub fn to_base64(&self) -> String {
        base64::engine::general_purpose::STANDARD.encode(self.to_bytes())
    }

    /// Decodes the base64 of a binary `abi_def`, tolerating the one surplus `=` that old fc
    /// versions appended.
    pub fn from_base64(text: &str) -> Result<AbiDef, AbiError> {
        let engine = base64::engine::general_purpose::STANDARD;
        let bytes = engine
            .decode(text)
            .or_else(|e| match text.strip_suffix('=') {
                Some(t) => engine.decode(t).map_err(|_| e),
                None => Err(e),
            })
            .map_err(|e| AbiError::Invalid(format!("abi is not valid base64: {e}")))?;
        AbiDef::from_bytes(&bytes)
    }
}

/// JSON for `u64` as nodeos writes it (a string once it no longer fits 32 bits, so JavaScript
/// readers do not lose precision), reading either a number or a decimal string.
mod u64_json {
    use super::*;

    pub fn serialize<S: Serializer>(v: &u64, s: S) -> Result<S::Ok, S::Error> {
        if *v > u64::from(u32::MAX) {
            s.collect_str(v)
        } else {
            s.serialize_u64(*v)
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Form {
            Num(u64),
            Text(String),
        }
        match Form::deserialize(d)? {
            Form::Num(n) => Ok(n),
            Form::Text(t) => t.parse().map_err(serde::de::Error::custom),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The transfer-only abi/1.0 ABI from client-surface.md §6 (96 bytes, no extensions).
    const TRANSFER_ABI_1_0: &str = "0e656f73696f3a3a6162692f312e300001087472616e7366657200040466726f6d046e616d6502746f046e616d65087175616e74697479056173736574046d656d6f06737472696e6701000000572d3ccdcd087472616e736665720000000000";

    const TRANSFER_ABI_JSON: &str = r#"{"version":"eosio::abi/1.2","types":[],
     "structs":[{"name":"transfer","base":"","fields":[{"name":"from","type":"name"},{"name":"to","type":"name"},
                 {"name":"quantity","type":"asset"},{"name":"memo","type":"string"}]}],
     "actions":[{"name":"transfer","type":"transfer","ricardian_contract":""}],
     "tables":[],"ricardian_clauses":[],"error_messages":[],"abi_extensions":[],"variants":[],"action_results":[]}"#;

    fn transfer_struct() -> StructDef {
        let f = |n: &str, t: &str| FieldDef { name: n.into(), ty: t.into() };
        StructDef {
            name: "transfer".into(),
            base: String::new(),
            fields: vec![f("from", "name"), f("to", "name"), f("quantity", "asset"), f("memo", "string")],
        }
    }

    #[test]
    fn decodes_the_abi_1_0_vector() {
        let bytes = hex::decode(TRANSFER_ABI_1_0).unwrap();
        assert_eq!(bytes.len(), 96);
        let def = AbiDef::from_bytes(&bytes).unwrap();
        assert_eq!(def.version, "eosio::abi/1.0");
        assert_eq!(def.structs, vec![transfer_struct()]);
        assert_eq!(def.actions.len(), 1);
        assert_eq!(def.actions[0].name, Name::constant("transfer"));
        assert_eq!(def.actions[0].ty, "transfer");
        assert!(def.variants.is_empty() && def.action_results.is_empty());
        // Re-encoding writes the (empty) extensions, as eosjs does for a JSON ABI listing them;
        // everything before them is byte-identical.
        let again = def.to_bytes();
        assert_eq!(&again[..96], &bytes[..]);
        assert_eq!(&again[96..], &[0, 0]);
        assert_eq!(AbiDef::from_bytes(&again).unwrap(), def);
    }

    #[test]
    fn json_abi_encodes_like_eosjs_json_to_raw_abi() {
        let def: AbiDef = serde_json::from_str(TRANSFER_ABI_JSON).unwrap();
        // Laid out by hand per client-surface.md §6.
        let mut expected = String::new();
        expected += "0e"; // version: 14 bytes
        expected += &hex::encode("eosio::abi/1.2");
        expected += "00"; // types
        expected += "01"; // structs: 1
        expected += "08"; // name "transfer"
        expected += &hex::encode("transfer");
        expected += "00"; // base ""
        expected += "04"; // 4 fields
        for (n, t) in [("from", "name"), ("to", "name"), ("quantity", "asset"), ("memo", "string")] {
            expected += &format!("{:02x}{}{:02x}{}", n.len(), hex::encode(n), t.len(), hex::encode(t));
        }
        expected += "01"; // actions: 1
        expected += "000000572d3ccdcd"; // name transfer
        expected += "08";
        expected += &hex::encode("transfer"); // type
        expected += "00"; // ricardian_contract ""
        expected += "00"; // tables
        expected += "00"; // ricardian_clauses
        expected += "00"; // error_messages
        expected += "00"; // abi_extensions
        expected += "00"; // variants$ (present in the JSON, so written)
        expected += "00"; // action_results$
        assert_eq!(hex::encode(def.to_bytes()), expected);
        // The same bytes as the published abi/1.0 vector apart from version and extensions.
        let v10 = TRANSFER_ABI_1_0.replace(&hex::encode("eosio::abi/1.0"), &hex::encode("eosio::abi/1.2"));
        assert_eq!(expected, format!("{v10}0000"));
        assert_eq!(AbiDef::from_bytes(&def.to_bytes()).unwrap(), def);
    }

    #[test]
    fn json_defaults_missing_and_null_arrays() {
        let def: AbiDef = serde_json::from_str(
            r#"{"version":"eosio::abi/1.1","structs":[{"name":"s","fields":[{"name":"a","type":"bool"}]}],
                "variants":null}"#,
        )
        .unwrap();
        assert!(def.types.is_empty() && def.actions.is_empty() && def.variants.is_empty());
        assert_eq!(def.structs[0].base, "");
        let def: AbiDef = serde_json::from_str("{}").unwrap();
        assert_eq!(def, AbiDef::default());
    }

    #[test]
    fn json_field_names_match_get_abi() {
        let def = AbiDef {
            version: "eosio::abi/1.2".into(),
            types: vec![TypeDef { new_type_name: "account_name".into(), ty: "name".into() }],
            tables: vec![TableDef {
                name: Name::constant("accounts"),
                index_type: "i64".into(),
                key_names: vec![],
                key_types: vec![],
                ty: "account".into(),
            }],
            error_messages: vec![
                ErrorMessage { error_code: 7, error_msg: "seven".into() },
                ErrorMessage { error_code: u64::MAX, error_msg: "max".into() },
            ],
            abi_extensions: vec![AbiExtension { tag: 3, value: Bytes(vec![0xab]) }],
            variants: vec![VariantDef { name: "v".into(), types: vec!["int8".into(), "string".into()] }],
            action_results: vec![ActionResultDef { name: Name::constant("get"), result_type: "uint64".into() }],
            ..AbiDef::default()
        };
        let json = serde_json::to_value(&def).unwrap();
        assert_eq!(json["types"][0]["new_type_name"], "account_name");
        assert_eq!(json["types"][0]["type"], "name");
        assert_eq!(json["tables"][0]["name"], "accounts");
        assert_eq!(json["tables"][0]["type"], "account");
        assert_eq!(json["error_messages"][0]["error_code"], 7);
        assert_eq!(json["error_messages"][1]["error_code"], "18446744073709551615");
        assert_eq!(json["abi_extensions"][0], serde_json::json!({"tag": 3, "value": "ab"}));
        assert_eq!(json["action_results"][0]["result_type"], "uint64");
        let back: AbiDef = serde_json::from_value(json).unwrap();
        assert_eq!(back, def);
        assert_eq!(AbiDef::from_bytes(&def.to_bytes()).unwrap(), def);
        let pair: AbiExtension = serde_json::from_str(r#"[3, "AB"]"#).unwrap();
        assert_eq!(pair, def.abi_extensions[0]);
    }

    #[test]
    fn base64_round_trip_and_fc_padding() {
        let def = AbiDef::from_bytes(&hex::decode(TRANSFER_ABI_1_0).unwrap()).unwrap();
        let text = def.to_base64();
        assert!(text.ends_with('='));
        assert_eq!(AbiDef::from_base64(&text).unwrap(), def);
        assert_eq!(AbiDef::from_base64(&format!("{text}=")).unwrap(), def);
        assert!(AbiDef::from_base64("not base64!").is_err());
    }

    #[test]
    fn truncated_and_trailing_binary_is_rejected() {
        let bytes = hex::decode(TRANSFER_ABI_1_0).unwrap();
        for n in 0..bytes.len() {
            assert!(AbiDef::from_bytes(&bytes[..n]).is_err(), "prefix of {n} bytes");
        }
        let mut long = bytes.clone();
        long.extend_from_slice(&[0, 0, 0]);
        assert!(matches!(AbiDef::from_bytes(&long), Err(AbiError::Codec(CodecError::TrailingBytes(1)))));
    }
}
