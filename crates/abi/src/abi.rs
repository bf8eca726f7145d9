//! [`Abi`]: an [`AbiDef`] resolved once and then used for any number of conversions.

use std::collections::BTreeMap;

use civitas_protocol::Name;
use serde_json::Value;

use crate::def::AbiDef;
use crate::error::AbiError;
use crate::resolve::resolve;
use crate::types::{Node, TypeId, Types};
use crate::{from_json, to_json};

/// A validated ABI that converts values between nodeos-style JSON and Antelope binary.
///
/// All type checking happens in [`Abi::new`]; conversions only fail on bad data.
#[derive(Debug, Clone)]
pub struct Abi {
    def: AbiDef,
    nodes: Vec<Node>,
    names: BTreeMap<String, TypeId>,
    actions: BTreeMap<Name, usize>,
    tables: BTreeMap<Name, usize>,
    action_results: BTreeMap<Name, usize>,
}

/// A suffix peeled off a type expression that the ABI itself never spells out.
enum Wrapper {
    Array,
    Optional,
}

fn index_by_name<T>(items: &[T], name: impl Fn(&T) -> Name) -> BTreeMap<Name, usize> {
    items.iter().enumerate().map(|(i, item)| (name(item), i)).collect()
}

impl Abi {
    /// Resolves and validates every type in `def`: typedefs, structs (with bases), variants,
    /// `[]`, `?` and `$` suffixes, and the types of actions, tables and action results.
    pub fn new(def: AbiDef) -> Result<Abi, AbiError> {
        let resolved = resolve(&def)?;
        Ok(Abi {
            actions: index_by_name(&def.actions, |a| a.name),
            tables: index_by_name(&def.tables, |t| t.name),
            action_results: index_by_name(&def.action_results, |a| a.name),
            nodes: resolved.nodes,
            names: resolved.names,
            def,
        })
    }

    /// The definition this ABI was built from (what `get_abi` returns).
    pub fn def(&self) -> &AbiDef {
        &self.def
    }

    /// Gives the definition back.
    pub fn into_def(self) -> AbiDef {
        self.def
    }

    /// The data type of `action`, if the ABI declares it.
    pub fn action_type(&self, action: Name) -> Option<&str> {
        self.actions.get(&action).map(|&i| self.def.actions[i].ty.as_str())
    }

    /// The row type of `table`, if the ABI declares it.
    pub fn table_type(&self, table: Name) -> Option<&str> {
        self.tables.get(&table).map(|&i| self.def.tables[i].ty.as_str())
    }

    /// The return type of `action`, if the ABI declares one.
    pub fn action_result_type(&self, action: Name) -> Option<&str> {
        self.action_results.get(&action).map(|&i| self.def.action_results[i].result_type.as_str())
    }

    /// The message registered for an `eosio_assert_code` code.
    pub fn error_message(&self, code: u64) -> Option<&str> {
        self.def.error_messages.iter().find(|e| e.error_code == code).map(|e| e.error_msg.as_str())
    }

    /// Whether `type_name` (possibly with `[]` / `?` suffixes) names a type of this ABI.
    pub fn has_type(&self, type_name: &str) -> bool {
        self.lookup(type_name).is_ok()
    }

    /// Decodes `bytes` as one value of `type_name` into nodeos-style JSON. All bytes must be
    /// used, except that trailing binary-extension (`$`) fields may be missing.
    pub fn binary_to_json(&self, type_name: &str, bytes: &[u8]) -> Result<Value, AbiError> {
        let (extra, root) = self.lookup(type_name)?;
        to_json::decode(self.types(&extra), root, type_name, bytes)
    }

    /// Encodes a JSON value as `type_name`. Unknown object keys are ignored; missing optional
    /// fields encode as absent, and trailing `$` fields may be left out.
    pub fn json_to_binary(&self, type_name: &str, value: &Value) -> Result<Vec<u8>, AbiError> {
        let (extra, root) = self.lookup(type_name)?;
        from_json::encode(self.types(&extra), root, type_name, value)
    }

    fn types<'a>(&'a self, extra: &'a [Node]) -> Types<'a> {
        Types { table: &self.nodes, extra }
    }

    /// Finds the node of a type expression. Expressions the ABI never spells out (such as
    /// `name[]` for a `get_table_rows` key) get temporary wrapper nodes, so the shared table
    /// stays immutable.
    fn lookup(&self, expr: &str) -> Result<(Vec<Node>, TypeId), AbiError> {
        let mut wrappers = Vec::new();
        let mut base = expr;
        let base_id = loop {
            if let Some(&id) = self.names.get(base) {
                break id;
            }
            if let Some(inner) = base.strip_suffix("[]") {
                wrappers.push(Wrapper::Array);
                base = inner;
            } else if let Some(inner) = base.strip_suffix('?') {
                wrappers.push(Wrapper::Optional);
                base = inner;
            } else {
                return Err(AbiError::UnknownType { ty: expr.to_string(), used_by: "the request".into() });
            }
        };
        let mut extra = Vec::with_capacity(wrappers.len());
        let mut id = base_id;
        for w in wrappers.iter().rev() {
            extra.push(match w {
                Wrapper::Array => Node::Array(id),
                Wrapper::Optional => Node::Optional(id),
            });
            id = self.nodes.len() + extra.len() - 1;
        }
        Ok((extra, id))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn token_and_system_abi() -> Abi {
        let def: AbiDef = serde_json::from_value(json!({
            "version": "eosio::abi/1.2",
            "types": [{"new_type_name": "account_name", "type": "name"}],
            "structs": [
                {"name": "transfer", "base": "", "fields": [
                    {"name": "from", "type": "account_name"}, {"name": "to", "type": "name"},
                    {"name": "quantity", "type": "asset"}, {"name": "memo", "type": "string"}]},
                {"name": "voteproducer", "base": "", "fields": [
                    {"name": "voter", "type": "name"}, {"name": "proxy", "type": "name"},
                    {"name": "producers", "type": "name[]"}]},
                {"name": "account", "base": "", "fields": [{"name": "balance", "type": "asset"}]}
            ],
            "actions": [
                {"name": "transfer", "type": "transfer", "ricardian_contract": ""},
                {"name": "voteproducer", "type": "voteproducer", "ricardian_contract": ""}
            ],
            "tables": [{"name": "accounts", "index_type": "i64", "key_names": [], "key_types": [], "type": "account"}],
            "error_messages": [{"error_code": 5, "error_msg": "five"}],
            "action_results": [{"name": "transfer", "result_type": "uint64"}]
        }))
        .unwrap();
        Abi::new(def).unwrap()
    }

    const TRANSFER_DATA: &str = "0000000000855c340000000000000e3d102700000000000004454f5300000000026869";
    const VOTE_DATA: &str = "0000000000855c34000000000000000002000000000000423d000000000000463d";

    #[test]
    fn transfer_vector_both_ways() {
        let abi = token_and_system_abi();
        let json = json!({"from": "alice", "to": "bob", "quantity": "1.0000 EOS", "memo": "hi"});
        assert_eq!(hex::encode(abi.json_to_binary("transfer", &json).unwrap()), TRANSFER_DATA);
        assert_eq!(abi.binary_to_json("transfer", &hex::decode(TRANSFER_DATA).unwrap()).unwrap(), json);
    }

    #[test]
    fn voteproducer_vector_both_ways() {
        let abi = token_and_system_abi();
        let json = json!({"voter": "alice", "proxy": "", "producers": ["bp1", "bp3"]});
        assert_eq!(hex::encode(abi.json_to_binary("voteproducer", &json).unwrap()), VOTE_DATA);
        assert_eq!(abi.binary_to_json("voteproducer", &hex::decode(VOTE_DATA).unwrap()).unwrap(), json);
    }

    #[test]
    fn lookups_by_name() {
        let abi = token_and_system_abi();
        assert_eq!(abi.action_type(Name::constant("transfer")), Some("transfer"));
        assert_eq!(abi.action_type(Name::constant("voteproducer")), Some("voteproducer"));
        assert_eq!(abi.action_type(Name::constant("nope")), None);
        assert_eq!(abi.table_type(Name::constant("accounts")), Some("account"));
        assert_eq!(abi.table_type(Name::constant("stat")), None);
        assert_eq!(abi.action_result_type(Name::constant("transfer")), Some("uint64"));
        assert_eq!(abi.error_message(5), Some("five"));
        assert_eq!(abi.error_message(6), None);
        assert!(abi.has_type("account_name") && abi.has_type("account_name[]?") && abi.has_type("transfer[]"));
        assert!(!abi.has_type("transfer$") && !abi.has_type("nope") && !abi.has_type("[]"));
        assert_eq!(abi.def().actions.len(), 2);
    }

    #[test]
    fn expressions_not_spelled_in_the_abi_still_convert() {
        let abi = token_and_system_abi();
        let v = json!([null, ["alice", "bob"], []]);
        let bytes = abi.json_to_binary("account_name[]?[]", &v).unwrap();
        let expected = concat!("03", "00", "0102", "0000000000855c34", "0000000000000e3d", "0100");
        assert_eq!(hex::encode(&bytes), expected);
        assert_eq!(abi.binary_to_json("account_name[]?[]", &bytes).unwrap(), v);
    }

    #[test]
    fn errors_name_the_failing_path() {
        let abi = token_and_system_abi();
        let err = abi
            .json_to_binary("voteproducer", &json!({"voter": "alice", "proxy": "", "producers": ["bp1", "bp2", "Bob"]}))
            .unwrap_err();
        assert_eq!(err.path(), Some("voteproducer.producers[2]"));
        assert!(err.to_string().starts_with("voteproducer.producers[2]: invalid name \"Bob\""), "{err}");
        let err = abi.json_to_binary("transfer", &json!({"from": "alice", "to": "bob", "memo": ""})).unwrap_err();
        assert_eq!(err.to_string(), "transfer.quantity: expected asset string, field is missing");
        let err = abi
            .json_to_binary("transfer", &json!({"from": "alice", "to": "bob", "quantity": 1, "memo": ""}))
            .unwrap_err();
        assert_eq!(err.to_string(), "transfer.quantity: expected asset string, found number 1");
        let err = abi.json_to_binary("transfer", &json!([])).unwrap_err();
        assert_eq!(err.to_string(), "transfer: expected object (struct transfer), found array");
        let err = abi.binary_to_json("nope", &[]).unwrap_err();
        assert!(matches!(err, AbiError::UnknownType { .. }), "{err}");
    }

    #[test]
    fn extra_json_fields_are_ignored() {
        let abi = token_and_system_abi();
        let json = json!({"from": "alice", "to": "bob", "quantity": "1.0000 EOS", "memo": "hi", "x": [1]});
        assert_eq!(hex::encode(abi.json_to_binary("transfer", &json).unwrap()), TRANSFER_DATA);
    }

    #[test]
    fn truncated_and_trailing_bytes_are_rejected() {
        let abi = token_and_system_abi();
        let bytes = hex::decode(TRANSFER_DATA).unwrap();
        for n in 0..bytes.len() {
            let err = abi.binary_to_json("transfer", &bytes[..n]).unwrap_err();
            assert!(matches!(err, AbiError::Binary { .. }), "{n}: {err}");
        }
        let err = abi.binary_to_json("transfer", &hex::decode("0000000000855c34").unwrap()).unwrap_err();
        assert!(err.to_string().starts_with("transfer.to: unexpected end of input"), "{err}");
        let mut long = bytes.clone();
        long.push(0);
        let err = abi.binary_to_json("transfer", &long).unwrap_err();
        assert_eq!(err.to_string(), "transfer: 1 trailing bytes after the value (at offset 35)");
    }
}
