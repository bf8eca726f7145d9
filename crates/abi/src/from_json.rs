//! JSON → binary, driven by the resolved types.
//!
//! Binary extensions (`$` fields) may be left out only where the encoding stays unambiguous:
//! at the end of the data, i.e. in the top-level struct or in the last field of a struct that is
//! itself allowed to end early. This is the rule of nodeos's `variant_to_binary` and eosjs's
//! `serializeStruct`.

use civitas_protocol::codec::write_varuint32;
use serde_json::Value;

use crate::error::AbiError;
use crate::numbers::describe;
use crate::types::{Node, Path, StructNode, TypeId, Types, VariantNode, MAX_DEPTH};

fn error(path: &Path<'_>, reason: impl Into<String>) -> AbiError {
    AbiError::Json { path: path.to_string(), reason: reason.into() }
}

/// Encodes `value` as `root`; `root_name` names the top of error paths.
pub(crate) fn encode(types: Types<'_>, root: TypeId, root_name: &str, value: &Value) -> Result<Vec<u8>, AbiError> {
    let mut e = Encoder { types, out: Vec::new() };
    e.value(root, value, &Path::Root(root_name), 0, true)?;
    Ok(e.out)
}

struct Encoder<'a> {
    types: Types<'a>,
    out: Vec<u8>,
}

impl Encoder<'_> {
    /// `tail` says whether nothing follows this value in the encoding, so its trailing binary
    /// extensions may be omitted.
    fn value(&mut self, id: TypeId, v: &Value, path: &Path<'_>, depth: usize, tail: bool) -> Result<(), AbiError> {
        if depth > MAX_DEPTH {
            return Err(error(path, format!("nested more than {MAX_DEPTH} levels deep")));
        }
        match self.types.get(id) {
            Node::Builtin(b) => b.encode(v, &mut self.out).map_err(|reason| error(path, reason)),
            Node::Array(inner) => {
                let items =
                    v.as_array().ok_or_else(|| error(path, format!("expected array, found {}", describe(v))))?;
                let len = u32::try_from(items.len()).map_err(|_| error(path, "array longer than 2^32-1"))?;
                write_varuint32(&mut self.out, len);
                for (i, item) in items.iter().enumerate() {
                    self.value(*inner, item, &Path::Index(path, i), depth + 1, false)?;
                }
                Ok(())
            }
            Node::Optional(inner) => {
                if v.is_null() {
                    self.out.push(0);
                    Ok(())
                } else {
                    self.out.push(1);
                    self.value(*inner, v, path, depth + 1, tail)
                }
            }
            Node::Struct(s) => self.structure(s, v, path, depth, tail),
            Node::Variant(var) => self.variant(var, v, path, depth, tail),
        }
    }

    fn structure(
        &mut self,
        s: &StructNode,
        v: &Value,
        path: &Path<'_>,
        depth: usize,
        tail: bool,
    ) -> Result<(), AbiError> {
        let object = v
            .as_object()
            .ok_or_else(|| error(path, format!("expected object (struct {}), found {}", s.name, describe(v))))?;
        let last = s.fields.len().saturating_sub(1);
        // The first binary extension left out; every later field must be left out too.
        let mut omitted: Option<&str> = None;
        for (i, f) in s.fields.iter().enumerate() {
            let fpath = Path::Field(path, &f.name);
            let field_value = object.get(&f.name);
            let is_optional = matches!(self.types.get(f.ty), Node::Optional(_));
            // For `T$` (not `T?$`), null means the same as leaving the field out.
            let absent = match field_value {
                None => true,
                Some(Value::Null) => f.extension && !is_optional,
                Some(_) => false,
            };
            if f.extension && absent {
                if !tail {
                    return Err(error(
                        &fpath,
                        format!(
                            "expected {}: a binary extension may only be left out at the end of the data",
                            self.types.expected(f.ty)
                        ),
                    ));
                }
                omitted.get_or_insert(&f.name);
                continue;
            }
            if let Some(first) = omitted {
                return Err(error(
                    &fpath,
                    format!("field is present but the earlier binary extension {first} was left out"),
                ));
            }
            match field_value {
                Some(fv) => self.value(f.ty, fv, &fpath, depth + 1, tail && i == last)?,
                None if is_optional => self.out.push(0),
                None => return Err(error(&fpath, format!("expected {}, field is missing", self.types.expected(f.ty)))),
            }
        }
        Ok(())
    }

    fn variant(
        &mut self,
        var: &VariantNode,
        v: &Value,
        path: &Path<'_>,
        depth: usize,
        tail: bool,
    ) -> Result<(), AbiError> {
        let pair = match v.as_array() {
            Some(items) if items.len() == 2 => items,
            _ => {
                return Err(error(
                    path,
                    format!("expected [\"type\", value] pair (variant {}), found {}", var.name, describe(v)),
                ))
            }
        };
        let tag = pair[0].as_str().ok_or_else(|| {
            error(path, format!("variant {} type must be a string, found {}", var.name, describe(&pair[0])))
        })?;
        let index = var.alts.iter().position(|(name, _)| name == tag).ok_or_else(|| {
            let names: Vec<&str> = var.alts.iter().map(|(n, _)| n.as_str()).collect();
            error(
                path,
                format!(
                    "type {tag:?} is not an alternative of variant {} (expected one of: {})",
                    var.name,
                    names.join(", ")
                ),
            )
        })?;
        let index_u32 = u32::try_from(index).map_err(|_| error(path, "variant index beyond 2^32-1"))?;
        write_varuint32(&mut self.out, index_u32);
        self.value(var.alts[index].1, &pair[1], path, depth + 1, tail)
    }
}
