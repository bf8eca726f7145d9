//! Binary → JSON, driven by the resolved types.
//!
//! The input may be hostile (action data, table rows from anyone). Every array length is checked
//! against the bytes that remain before anything is allocated, nesting is bounded by
//! [`MAX_DEPTH`], and every step either consumes input or descends a bounded level, so decoding
//! terminates and never panics.

use civitas_protocol::Reader;
use serde_json::{Map, Value};

use crate::error::AbiError;
use crate::types::{Node, Path, TypeId, Types, MAX_DEPTH};

fn error(path: &Path<'_>, reason: impl Into<String>) -> AbiError {
    AbiError::Binary { path: path.to_string(), reason: reason.into() }
}

/// Decodes exactly one value of `root` from `bytes`; `root_name` names the top of error paths.
pub(crate) fn decode(types: Types<'_>, root: TypeId, root_name: &str, bytes: &[u8]) -> Result<Value, AbiError> {
    let mut d = Decoder { types, r: Reader::new(bytes), zero_size_budget: bytes.len().saturating_add(ZERO_SIZE_SLACK) };
    let path = Path::Root(root_name);
    let value = d.value(root, &path, 0)?;
    if d.r.remaining() > 0 {
        return Err(error(
            &path,
            format!("{} trailing bytes after the value (at offset {})", d.r.remaining(), d.r.position()),
        ));
    }
    Ok(value)
}

/// Array elements of a type that may encode to zero bytes (an empty struct, or one of only `$`
/// fields) cannot be bounded by the bytes that remain, so their total over one decode is capped
/// at the input length plus this much slack; otherwise a few bytes of lengths could demand
/// billions of values.
const ZERO_SIZE_SLACK: usize = 1024;

struct Decoder<'a> {
    types: Types<'a>,
    r: Reader<'a>,
    /// How many more zero-size array elements this decode may produce.
    zero_size_budget: usize,
}

impl Decoder<'_> {
    /// Reads an array length that the remaining input (or the zero-size budget) can satisfy.
    fn array_length(&mut self, elem: TypeId) -> Result<usize, String> {
        let min = self.types.min_size(elem);
        if min > 0 {
            return self.r.length(min).map_err(|e| format!("array length: {e}"));
        }
        let n = self.r.varuint32().map_err(|e| format!("array length: {e}"))?;
        let n = usize::try_from(n).unwrap_or(usize::MAX);
        if n > self.zero_size_budget {
            return Err(format!(
                "array of {n} zero-size elements exceeds the remaining limit of {}",
                self.zero_size_budget
            ));
        }
        self.zero_size_budget -= n;
        Ok(n)
    }

    fn value(&mut self, id: TypeId, path: &Path<'_>, depth: usize) -> Result<Value, AbiError> {
        if depth > MAX_DEPTH {
            return Err(error(path, format!("nested more than {MAX_DEPTH} levels deep")));
        }
        let at = self.r.position();
        let located = |reason: String| error(path, format!("{reason} (at offset {at})"));
        match self.types.get(id) {
            Node::Builtin(b) => b.decode(&mut self.r).map_err(located),
            Node::Array(inner) => {
                let n = self.array_length(*inner).map_err(located)?;
                let mut items = Vec::with_capacity(n);
                for i in 0..n {
                    items.push(self.value(*inner, &Path::Index(path, i), depth + 1)?);
                }
                Ok(Value::Array(items))
            }
            Node::Optional(inner) => match self.r.u8().map_err(|e| located(e.to_string()))? {
                0 => Ok(Value::Null),
                1 => self.value(*inner, path, depth + 1),
                flag => Err(located(format!("invalid optional flag {flag}"))),
            },
            Node::Struct(s) => {
                let mut object = Map::new();
                for f in &s.fields {
                    // A binary extension is absent when the data ends before it; every later
                    // field is an extension too (checked when the ABI was loaded).
                    if f.extension && self.r.remaining() == 0 {
                        break;
                    }
                    let value = self.value(f.ty, &Path::Field(path, &f.name), depth + 1)?;
                    object.insert(f.name.clone(), value);
                }
                Ok(Value::Object(object))
            }
            Node::Variant(v) => {
                let index = self.r.varuint32().map_err(|e| located(format!("variant index: {e}")))?;
                let (name, ty) = usize::try_from(index).ok().and_then(|i| v.alts.get(i)).ok_or_else(|| {
                    located(format!(
                        "variant index {index} out of range for {} ({} alternatives)",
                        v.name,
                        v.alts.len()
                    ))
                })?;
                let value = self.value(*ty, path, depth + 1)?;
                Ok(Value::Array(vec![Value::String(name.clone()), value]))
            }
        }
    }
}
