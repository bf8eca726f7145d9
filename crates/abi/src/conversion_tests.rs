//! Conversions through nested structs, bases, arrays, optionals, variants and binary extensions,
//! and the ABI validation rules.

use serde_json::{json, Value};

use crate::{Abi, AbiDef, AbiError};

fn abi(v: Value) -> Result<Abi, AbiError> {
    Abi::new(serde_json::from_value::<AbiDef>(v).unwrap())
}

fn field(name: &str, ty: &str) -> Value {
    json!({"name": name, "type": ty})
}

fn nested_abi() -> Abi {
    abi(json!({
        "version": "eosio::abi/1.1",
        "types": [
            {"new_type_name": "bsa", "type": "block_signing_authority"},
            {"new_type_name": "names", "type": "name[]"}
        ],
        "structs": [
            {"name": "key_weight", "fields": [field("key", "public_key"), field("weight", "uint16")]},
            {"name": "block_signing_authority_v0", "fields": [field("threshold", "uint32"), field("keys", "key_weight[]")]},
            {"name": "producer_info", "fields": [
                field("owner", "name"), field("total_votes", "float64"), field("producer_key", "public_key"),
                field("is_active", "bool"), field("url", "string"), field("unpaid_blocks", "uint32"),
                field("last_claim_time", "time_point"), field("location", "uint16"),
                field("producer_authority", "bsa$")]},
            {"name": "base_s", "fields": [field("a", "uint8")]},
            {"name": "derived", "base": "base_s", "fields": [
                field("b", "string?"), field("c", "names"), field("d", "int64?$"), field("e", "varint32$")]},
            {"name": "tree", "fields": [field("value", "int32"), field("children", "tree[]")]},
            {"name": "empty", "fields": []},
            {"name": "holder", "fields": [field("inner", "derived"), field("tail", "uint8")]},
            {"name": "tail_holder", "fields": [field("x", "uint8"), field("inner", "derived")]}
        ],
        "variants": [
            {"name": "block_signing_authority", "types": ["block_signing_authority_v0"]},
            {"name": "value", "types": ["int8", "string", "tree", "value[]"]}
        ]
    }))
    .unwrap()
}

fn round_trip(abi: &Abi, ty: &str, v: &Value) -> Vec<u8> {
    let bytes = abi.json_to_binary(ty, v).unwrap_or_else(|e| panic!("{ty} {v}: {e}"));
    let back = abi.binary_to_json(ty, &bytes).unwrap_or_else(|e| panic!("{ty} {v}: {e}"));
    assert_eq!(&back, v, "{ty}");
    bytes
}

const DEV_KEY: &str = "PUB_K1_6MRyAjQq8ud7hVNYcfnVPJqcVpscN5So8BhtHuGYqET5BoDq63";

#[test]
fn producer_info_with_and_without_its_extension() {
    let abi = nested_abi();
    let mut row = json!({
        "owner": "bp1", "total_votes": "12345.5", "producer_key": DEV_KEY, "is_active": true,
        "url": "https://bp1.example", "unpaid_blocks": 7, "last_claim_time": "2024-01-01T00:00:00.000",
        "location": 0
    });
    let short = round_trip(&abi, "producer_info", &row);
    row["producer_authority"] =
        json!(["block_signing_authority_v0", {"threshold": 1, "keys": [{"key": DEV_KEY, "weight": 1}]}]);
    let long = round_trip(&abi, "producer_info", &row);
    assert_eq!(&long[..short.len()], &short[..]);
    // index 0, threshold, 1 key (34 bytes), weight
    assert_eq!(long.len() - short.len(), 1 + 4 + 1 + 34 + 2);
}

#[test]
fn base_fields_come_first_and_extensions_may_end_early() {
    let abi = nested_abi();
    let full = json!({"a": 1, "b": "x", "c": ["alice"], "d": "-5000000000", "e": -3});
    let bytes = round_trip(&abi, "derived", &full);
    assert_eq!(hex::encode(&bytes), concat!("01", "010178", "01", "0000000000855c34", "01", "000efad5feffffff", "05"));
    let without_e = json!({"a": 1, "b": null, "c": [], "d": null});
    assert_eq!(hex::encode(round_trip(&abi, "derived", &without_e)), "01000000");
    let without_both = json!({"a": 1, "b": null, "c": []});
    assert_eq!(hex::encode(round_trip(&abi, "derived", &without_both)), "010000");
    // Missing optional and null `T$` mean "absent".
    let sparse = abi.json_to_binary("derived", &json!({"a": 1, "c": [], "e": null})).unwrap();
    assert_eq!(hex::encode(sparse), "010000");
    let err = abi.json_to_binary("derived", &json!({"a": 1, "c": [], "e": 1})).unwrap_err();
    assert_eq!(err.path(), Some("derived.e"));
    assert!(err.to_string().contains("earlier binary extension d"), "{err}");
}

#[test]
fn extensions_are_only_omittable_at_the_end_of_the_data() {
    let abi = nested_abi();
    let inner = json!({"a": 2, "c": []});
    let err = abi.json_to_binary("holder", &json!({"inner": inner, "tail": 9})).unwrap_err();
    assert_eq!(err.path(), Some("holder.inner.d"));
    assert!(err.to_string().contains("only be left out at the end"), "{err}");
    let bytes = abi.json_to_binary("tail_holder", &json!({"x": 1, "inner": inner})).unwrap();
    assert_eq!(hex::encode(&bytes), "01020000");
    round_trip(&abi, "tail_holder", &json!({"x": 1, "inner": {"a": 2, "b": null, "c": []}}));
    round_trip(&abi, "holder", &json!({"inner": {"a": 2, "b": null, "c": [], "d": null, "e": 0}, "tail": 9}));
    // An array element is never the end of the data, except by accident.
    let err = abi.json_to_binary("derived[]", &json!([inner])).unwrap_err();
    assert_eq!(err.path(), Some("derived[][0].d"));
}

#[test]
fn recursive_and_variant_values() {
    let abi = nested_abi();
    let tree = json!({"value": 1, "children": [{"value": 2, "children": []}, {"value": -3, "children": [{"value": 4, "children": []}]}]});
    round_trip(&abi, "tree", &tree);
    for v in [
        json!(["int8", -5]),
        json!(["string", "hello"]),
        json!(["tree", tree]),
        json!(["value[]", [["int8", 1], ["value[]", []], ["string", ""]]]),
    ] {
        round_trip(&abi, "value", &v);
    }
    assert_eq!(hex::encode(abi.json_to_binary("value", &json!(["string", "hi"])).unwrap()), "01026869");

    let err = abi.json_to_binary("value", &json!(["uint8", 1])).unwrap_err();
    assert!(err.to_string().contains("not an alternative of variant value"), "{err}");
    let err = abi.json_to_binary("value", &json!({"type": "int8", "value": 1})).unwrap_err();
    assert!(err.to_string().contains("pair (variant value)"), "{err}");
    let err = abi.binary_to_json("value", &[4, 0]).unwrap_err();
    assert!(err.to_string().contains("variant index 4 out of range"), "{err}");
    let err = abi.json_to_binary("value", &json!(["value[]", [["int8", 300]]])).unwrap_err();
    assert_eq!(err.path(), Some("value[0]"));
}

#[test]
fn nesting_is_bounded_both_ways() {
    let abi = nested_abi();
    let mut deep = json!({"value": 0, "children": []});
    for _ in 0..40 {
        deep = json!({"value": 0, "children": [deep]});
    }
    let err = abi.json_to_binary("tree", &deep).unwrap_err();
    assert!(err.to_string().contains("nested more than 32 levels"), "{err}");
    // The same shape in binary: value (4 bytes) then a one-element array, repeated.
    let mut bytes = Vec::new();
    for _ in 0..40 {
        bytes.extend_from_slice(&[0, 0, 0, 0, 1]);
    }
    bytes.extend_from_slice(&[0, 0, 0, 0, 0]);
    let err = abi.binary_to_json("tree", &bytes).unwrap_err();
    assert!(err.to_string().contains("nested more than 32 levels"), "{err}");
    let mut nested = json!(["int8", 1]);
    for _ in 0..40 {
        nested = json!(["value[]", [nested]]);
    }
    assert!(abi.json_to_binary("value", &nested).is_err());
}

#[test]
fn hostile_lengths_fail_before_allocating() {
    let abi = nested_abi();
    let huge = [0xff, 0xff, 0xff, 0xff, 0x0f];
    for ty in ["name[]", "empty[]", "tree", "string", "bytes", "key_weight[]"] {
        let err = abi.binary_to_json(ty, &huge).unwrap_err();
        assert!(matches!(err, AbiError::Binary { .. }), "{ty}: {err}");
    }
    let err = abi.binary_to_json("key_weight[]", &[2; 60]).unwrap_err();
    assert!(err.to_string().contains("exceeds"), "{err}");
    // Elements that take no bytes are bounded by a budget instead of the input length.
    assert_eq!(abi.binary_to_json("empty[]", &[3]).unwrap(), json!([{}, {}, {}]));
    assert_eq!(abi.binary_to_json("empty[]", &[0]).unwrap(), json!([]));
    assert!(abi.binary_to_json("empty[]", &[1, 0]).is_err());
    let err = abi.binary_to_json("empty[]", &huge).unwrap_err();
    assert!(err.to_string().contains("zero-size elements"), "{err}");
    // Many small arrays of them cannot add up to more than the budget either.
    let mut many = vec![0x80, 0x08]; // 1024 arrays...
    for _ in 0..1024 {
        many.extend_from_slice(&[0xff, 0x7f]); // ...of 16383 empty structs each
    }
    let err = abi.binary_to_json("empty[][]", &many).unwrap_err();
    assert!(err.to_string().contains("zero-size elements"), "{err}");
}

#[test]
fn malformed_binary_is_reported_with_a_path() {
    let abi = nested_abi();
    let err = abi.binary_to_json("derived", &[1, 2]).unwrap_err();
    assert_eq!(err.to_string(), "derived.b: invalid optional flag 2 (at offset 1)");
    let err = abi.binary_to_json("key_weight", &[1]).unwrap_err();
    assert_eq!(err.path(), Some("key_weight.key"));
    let err = abi.binary_to_json("names", &[1, 0, 0]).unwrap_err();
    assert_eq!(err.path(), Some("names"));
    assert!(err.to_string().contains("array length"), "{err}");
}

#[test]
fn wrong_json_types_are_rejected() {
    let abi = nested_abi();
    let cases = [
        ("tree", json!({"value": "x", "children": []}), "tree.value: expected int32 (number or decimal string)"),
        ("tree", json!({"value": 1, "children": {}}), "tree.children: expected array, found object"),
        ("tree", json!({"value": 1}), "tree.children: expected array, field is missing"),
        ("tree", json!({"value": 2147483648u32, "children": []}), "tree.value: int32 value 2147483648 is out of range"),
        ("key_weight", json!({"key": DEV_KEY, "weight": -1}), "key_weight.weight: uint16 cannot be negative"),
        ("key_weight", json!({"key": DEV_KEY, "weight": 1.5}), "key_weight.weight: expected uint16, found non-integer"),
        ("derived", json!({"a": 1, "b": 5, "c": []}), "derived.b: expected string, found number 5"),
        ("derived", json!({"a": 1, "c": ["alice", 7]}), "derived.c[1]: expected name string, found number 7"),
        ("bsa", json!(null), "bsa: expected [\"type\", value] pair"),
    ];
    for (ty, v, prefix) in cases {
        let err = abi.json_to_binary(ty, &v).unwrap_err();
        assert!(err.to_string().starts_with(prefix), "{ty} {v}: {err}");
    }
}

fn abi_with_structs(structs: Value) -> Result<Abi, AbiError> {
    abi(json!({"version": "eosio::abi/1.1", "structs": structs}))
}

#[test]
fn definition_errors_are_clear() {
    let err = abi_with_structs(json!([{"name": "s", "fields": [field("f", "nope")]}])).unwrap_err();
    assert_eq!(err.to_string(), "unknown type \"nope\" (used by struct s field f)");

    let err = abi(json!({"version": "eosio::abi/1.1", "types": [
        {"new_type_name": "a", "type": "b"}, {"new_type_name": "b", "type": "c[]"}, {"new_type_name": "c", "type": "a"}]}))
    .unwrap_err();
    assert_eq!(err.to_string(), "circular type definition: typedef a -> b -> c -> a");

    let err = abi_with_structs(json!([
        {"name": "s1", "fields": [field("x", "s2")]},
        {"name": "s2", "fields": [field("y", "s1?")]},
        {"name": "s3", "fields": [field("z", "s3")]}
    ]))
    .unwrap_err();
    assert_eq!(err.to_string(), "circular type definition: struct s3 -> s3 contains itself by value");

    let err = abi_with_structs(json!([{"name": "a", "base": "b"}, {"name": "b", "base": "a"}])).unwrap_err();
    assert!(matches!(err, AbiError::Cycle(_)), "{err}");

    let err = abi_with_structs(json!([{"name": "a", "base": "uint8"}])).unwrap_err();
    assert_eq!(err.to_string(), "invalid ABI: base \"uint8\" of struct a is not a struct");

    let err =
        abi_with_structs(json!([{"name": "s", "fields": [field("a", "int8$"), field("b", "int8")]}])).unwrap_err();
    assert!(err.to_string().contains("`$` fields must come last"), "{err}");

    for bad in ["int8$[]", "int8$?", "int8$$"] {
        let err = abi_with_structs(json!([{"name": "s", "fields": [field("a", bad)]}])).unwrap_err();
        assert!(err.to_string().contains("only allowed as the last suffix"), "{bad}: {err}");
    }

    for (structs, what) in [
        (json!([{"name": "s"}, {"name": "s"}]), "type \"s\""),
        (json!([{"name": "name"}]), "type \"name\""),
        (json!([{"name": "s", "fields": [field("a", "int8"), field("a", "int8")]}]), "field a in struct s"),
    ] {
        assert_eq!(abi_with_structs(structs).unwrap_err().to_string(), format!("duplicate definition of {what}"));
    }
    let err = abi_with_structs(json!([{"name": "s[]"}])).unwrap_err();
    assert!(matches!(err, AbiError::Invalid(_)), "{err}");

    let err = abi(json!({"version": "eosio::abi/1.1", "actions": [
        {"name": "a", "type": "int8"}, {"name": "a", "type": "int8"}]}))
    .unwrap_err();
    assert_eq!(err.to_string(), "duplicate definition of action a");
    let err = abi(json!({"version": "eosio::abi/1.1", "tables": [{"name": "t", "type": "row"}]})).unwrap_err();
    assert_eq!(err.to_string(), "unknown type \"row\" (used by table t)");
    let err = abi(json!({"version": "eosio::abi/2.0"})).unwrap_err();
    assert!(err.to_string().contains("unsupported ABI version"), "{err}");
    let err = abi(json!({"version": format!("eosio::abi/1.0"), "types": [
        {"new_type_name": "deep", "type": format!("int8{}", "[]".repeat(100))}]}))
    .unwrap_err();
    assert!(err.to_string().contains("nested more than"), "{err}");
}

#[test]
fn recursion_through_arrays_optionals_variants_and_extensions_is_allowed() {
    let abi = abi_with_structs(json!([
        {"name": "a", "fields": [field("b", "b?")]},
        {"name": "b", "fields": [field("a", "a[]"), field("c", "a$")]}
    ]))
    .unwrap();
    round_trip(&abi, "a", &json!({"b": {"a": [{"b": null}]}}));
    round_trip(&abi, "a", &json!({"b": {"a": [], "c": {"b": null}}}));
}

#[test]
fn base_chain_limits_and_typedef_bases() {
    let mut structs = vec![json!({"name": "s0", "fields": [field("f0", "uint8")]})];
    for i in 1..=10 {
        structs.push(json!({"name": format!("s{i}"), "base": format!("t{}", i - 1), "fields": [field(&format!("f{i}"), "uint8")]}));
    }
    let types: Vec<Value> =
        (0..=10).map(|i| json!({"new_type_name": format!("t{i}"), "type": format!("s{i}")})).collect();
    let abi = abi(json!({"version": "eosio::abi/1.0", "types": types, "structs": structs})).unwrap();
    let v: serde_json::Map<String, Value> = (0..=10).map(|i| (format!("f{i}"), json!(i))).collect();
    let bytes = round_trip(&abi, "t10", &Value::Object(v));
    assert_eq!(bytes, (0..=10).collect::<Vec<u8>>());

    let mut structs = vec![json!({"name": "s0"})];
    for i in 1..=40 {
        structs.push(json!({"name": format!("s{i}"), "base": format!("s{}", i - 1)}));
    }
    let err = abi_with_structs(Value::Array(structs)).unwrap_err();
    assert!(err.to_string().contains("levels of base structs"), "{err}");
}
