//! Turns an [`AbiDef`] into the resolved type table, checking every rule up front so that
//! conversion can trust the table: every name resolves, typedefs and bases are acyclic, no struct
//! contains itself by value, `$` appears only as the last suffix of trailing struct fields.

use std::collections::{BTreeMap, BTreeSet};

use crate::builtins::BUILTINS;
use crate::def::AbiDef;
use crate::error::AbiError;
use crate::types::{Field, Node, StructNode, TypeId, VariantNode, MAX_DEPTH};

/// Deepest chain of typedefs and suffixes followed while resolving one type expression.
const MAX_RESOLVE_DEPTH: usize = 64;

/// The version prefix every reader accepts (nodeos rejects other majors).
const VERSION_PREFIX: &str = "eosio::abi/1.";

/// The resolved table and the name of every type expression it holds.
#[derive(Debug, Clone)]
pub(crate) struct Resolved {
    pub nodes: Vec<Node>,
    /// Builtins, typedefs, structs, variants and every expression the ABI uses.
    pub names: BTreeMap<String, TypeId>,
}

struct Resolver<'d> {
    nodes: Vec<Node>,
    names: BTreeMap<String, TypeId>,
    typedefs: BTreeMap<&'d str, &'d str>,
    /// Typedefs being followed, to report cycles.
    typedef_stack: Vec<&'d str>,
}

/// Rejects names that the suffix grammar could never refer to.
fn check_definition_name(kind: &str, name: &str) -> Result<(), AbiError> {
    if name.is_empty() || name.contains(['[', ']', '?', '$']) || name.chars().any(char::is_whitespace) {
        return Err(AbiError::Invalid(format!("{kind} name {name:?} is not a valid type name")));
    }
    Ok(())
}

impl<'d> Resolver<'d> {
    fn define(&mut self, kind: &str, name: &str, node: Node) -> Result<(), AbiError> {
        check_definition_name(kind, name)?;
        if self.names.contains_key(name) || self.typedefs.contains_key(name) {
            return Err(AbiError::Duplicate(format!("type \"{name}\"")));
        }
        self.nodes.push(node);
        self.names.insert(name.to_string(), self.nodes.len() - 1);
        Ok(())
    }

    fn push(&mut self, expr: &str, node: Node) -> TypeId {
        self.nodes.push(node);
        let id = self.nodes.len() - 1;
        self.names.insert(expr.to_string(), id);
        id
    }

    /// Resolves a type expression (no `$`), following typedefs and `[]` / `?` suffixes.
    fn resolve(&mut self, expr: &str, used_by: &str, depth: usize) -> Result<TypeId, AbiError> {
        if let Some(&id) = self.names.get(expr) {
            return Ok(id);
        }
        if depth > MAX_RESOLVE_DEPTH {
            return Err(AbiError::Invalid(format!(
                "type {expr:?} (used by {used_by}) is nested more than {MAX_RESOLVE_DEPTH} levels deep"
            )));
        }
        if let Some(inner) = expr.strip_suffix("[]") {
            let id = self.resolve(inner, used_by, depth + 1)?;
            Ok(self.push(expr, Node::Array(id)))
        } else if let Some(inner) = expr.strip_suffix('?') {
            let id = self.resolve(inner, used_by, depth + 1)?;
            Ok(self.push(expr, Node::Optional(id)))
        } else if expr.ends_with('$') {
            Err(AbiError::Invalid(format!(
                "binary extension {expr:?} (used by {used_by}): `$` is only allowed as the last suffix of a struct field type"
            )))
        } else if let Some((&name, &target)) = self.typedefs.get_key_value(expr) {
            if let Some(pos) = self.typedef_stack.iter().position(|t| *t == name) {
                let mut chain: Vec<&str> = self.typedef_stack[pos..].to_vec();
                chain.push(name);
                return Err(AbiError::Cycle(format!("typedef {}", chain.join(" -> "))));
            }
            self.typedef_stack.push(name);
            let resolved = self.resolve(target, &format!("typedef {name}"), depth + 1);
            self.typedef_stack.pop();
            let id = resolved?;
            self.names.insert(name.to_string(), id);
            Ok(id)
        } else {
            Err(AbiError::UnknownType { ty: expr.to_string(), used_by: used_by.to_string() })
        }
    }
}

/// Checks that no two entries share a key.
fn check_unique<'a, K: Ord, T>(
    items: &'a [T],
    key: impl Fn(&'a T) -> K,
    describe: impl Fn(&T) -> String,
) -> Result<(), AbiError> {
    let mut seen = BTreeSet::new();
    for item in items {
        if !seen.insert(key(item)) {
            return Err(AbiError::Duplicate(describe(item)));
        }
    }
    Ok(())
}

/// Resolves and validates every type of `def`.
pub(crate) fn resolve(def: &AbiDef) -> Result<Resolved, AbiError> {
    if !def.version.starts_with(VERSION_PREFIX) {
        return Err(AbiError::Invalid(format!(
            "unsupported ABI version {:?} (expected {VERSION_PREFIX}x)",
            def.version
        )));
    }
    let mut r =
        Resolver { nodes: Vec::new(), names: BTreeMap::new(), typedefs: BTreeMap::new(), typedef_stack: Vec::new() };
    for (b, name) in BUILTINS {
        r.push(name, Node::Builtin(b));
    }
    // Structs and variants get their ids before any field is resolved, so they may refer to
    // each other (and to themselves through arrays and optionals) in any order.
    let mut struct_ids = Vec::with_capacity(def.structs.len());
    for s in &def.structs {
        let placeholder = Node::Struct(StructNode {
            name: s.name.clone(),
            base: None,
            own: Vec::new(),
            fields: Vec::new(),
            min_size: 0,
        });
        r.define("struct", &s.name, placeholder)?;
        struct_ids.push(r.nodes.len() - 1);
    }
    let mut variant_ids = Vec::with_capacity(def.variants.len());
    for v in &def.variants {
        let placeholder = Node::Variant(VariantNode { name: v.name.clone(), alts: Vec::new() });
        r.define("variant", &v.name, placeholder)?;
        variant_ids.push(r.nodes.len() - 1);
    }
    for t in &def.types {
        check_definition_name("typedef", &t.new_type_name)?;
        if r.names.contains_key(&t.new_type_name) || r.typedefs.contains_key(t.new_type_name.as_str()) {
            return Err(AbiError::Duplicate(format!("type \"{}\"", t.new_type_name)));
        }
        r.typedefs.insert(&t.new_type_name, &t.ty);
    }
    for t in &def.types {
        r.resolve(&t.new_type_name, &format!("typedef {}", t.new_type_name), 0)?;
    }

    for (s, &id) in def.structs.iter().zip(&struct_ids) {
        let base = if s.base.is_empty() {
            None
        } else {
            let base_id = r.resolve(&s.base, &format!("struct {} base", s.name), 0)?;
            if !matches!(r.nodes[base_id], Node::Struct(_)) {
                return Err(AbiError::Invalid(format!("base {:?} of struct {} is not a struct", s.base, s.name)));
            }
            Some(base_id)
        };
        let mut own = Vec::with_capacity(s.fields.len());
        for f in &s.fields {
            let (expr, extension) = match f.ty.strip_suffix('$') {
                Some(inner) => (inner, true),
                None => (f.ty.as_str(), false),
            };
            let ty = r.resolve(expr, &format!("struct {} field {}", s.name, f.name), 0)?;
            own.push(Field { name: f.name.clone(), ty, extension });
        }
        if let Node::Struct(node) = &mut r.nodes[id] {
            node.base = base;
            node.own = own;
        }
    }
    for (v, &id) in def.variants.iter().zip(&variant_ids) {
        let mut alts = Vec::with_capacity(v.types.len());
        for t in &v.types {
            alts.push((t.clone(), r.resolve(t, &format!("variant {}", v.name), 0)?));
        }
        check_unique(&v.types, |t| t.as_str(), |t| format!("alternative {t:?} of variant {}", v.name))?;
        if let Node::Variant(node) = &mut r.nodes[id] {
            node.alts = alts;
        }
    }

    for a in &def.actions {
        r.resolve(&a.ty, &format!("action {}", a.name), 0)?;
    }
    for t in &def.tables {
        r.resolve(&t.ty, &format!("table {}", t.name), 0)?;
    }
    for a in &def.action_results {
        r.resolve(&a.result_type, &format!("action result {}", a.name), 0)?;
    }
    check_unique(&def.actions, |a| a.name, |a| format!("action {}", a.name))?;
    check_unique(&def.tables, |t| t.name, |t| format!("table {}", t.name))?;
    check_unique(&def.action_results, |a| a.name, |a| format!("action result {}", a.name))?;
    check_unique(&def.error_messages, |e| e.error_code, |e| format!("error code {}", e.error_code))?;

    let order = by_value_order(&r.nodes, &struct_ids)?;
    flatten_structs(&mut r.nodes, &order)?;
    Ok(Resolved { nodes: r.nodes, names: r.names })
}

/// The structs a struct holds by value: its base and its non-extension fields of struct type.
/// Arrays, optionals, variants and `$` fields may be empty, so they end any containment chain.
fn by_value_children(nodes: &[Node], id: TypeId) -> Vec<TypeId> {
    let Node::Struct(s) = &nodes[id] else {
        return Vec::new();
    };
    let fields = s.own.iter().filter(|f| !f.extension).map(|f| f.ty);
    s.base.into_iter().chain(fields).filter(|&c| matches!(nodes[c], Node::Struct(_))).collect()
}

/// Orders structs so that every struct comes after those it holds by value, failing on a cycle
/// (which would make the type infinitely large). Iterative, so long chains cannot overflow the
/// stack.
fn by_value_order(nodes: &[Node], structs: &[TypeId]) -> Result<Vec<TypeId>, AbiError> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        New,
        Open,
        Done,
    }
    let mut mark: BTreeMap<TypeId, Mark> = structs.iter().map(|&id| (id, Mark::New)).collect();
    let mut order = Vec::with_capacity(structs.len());
    for &root in structs {
        if mark[&root] != Mark::New {
            continue;
        }
        let mut stack: Vec<(TypeId, Vec<TypeId>)> = vec![(root, by_value_children(nodes, root))];
        mark.insert(root, Mark::Open);
        while let Some((id, children)) = stack.last_mut() {
            let id = *id;
            match children.pop() {
                Some(child) => match mark[&child] {
                    Mark::Done => {}
                    Mark::Open => {
                        let name = |i: TypeId| match &nodes[i] {
                            Node::Struct(s) => s.name.clone(),
                            _ => String::new(),
                        };
                        let start = stack.iter().position(|(i, _)| *i == child).unwrap_or(0);
                        let mut chain: Vec<String> = stack[start..].iter().map(|(i, _)| name(*i)).collect();
                        chain.push(name(child));
                        return Err(AbiError::Cycle(format!("struct {} contains itself by value", chain.join(" -> "))));
                    }
                    Mark::New => {
                        mark.insert(child, Mark::Open);
                        let grand = by_value_children(nodes, child);
                        stack.push((child, grand));
                    }
                },
                None => {
                    mark.insert(id, Mark::Done);
                    order.push(id);
                    stack.pop();
                }
            }
        }
    }
    Ok(order)
}

/// Fills each struct's flattened field list and minimum size, children first, and checks the
/// field rules that only make sense on the flattened list.
fn flatten_structs(nodes: &mut [Node], order: &[TypeId]) -> Result<(), AbiError> {
    let mut base_depth: BTreeMap<TypeId, usize> = BTreeMap::new();
    for &id in order {
        let Node::Struct(s) = &nodes[id] else { continue };
        let (mut fields, depth) = match s.base {
            Some(b) => match &nodes[b] {
                Node::Struct(base) => (base.fields.clone(), base_depth.get(&b).copied().unwrap_or(0) + 1),
                _ => (Vec::new(), 0),
            },
            None => (Vec::new(), 0),
        };
        if depth > MAX_DEPTH {
            return Err(AbiError::Invalid(format!(
                "struct {} has more than {MAX_DEPTH} levels of base structs",
                s.name
            )));
        }
        fields.extend(s.own.iter().cloned());
        let mut seen = BTreeSet::new();
        let mut extension_from: Option<&str> = None;
        let mut min_size = 0usize;
        for f in &fields {
            if !seen.insert(f.name.as_str()) {
                return Err(AbiError::Duplicate(format!("field {} in struct {}", f.name, s.name)));
            }
            match (f.extension, extension_from) {
                (true, None) => extension_from = Some(&f.name),
                (false, Some(ext)) => {
                    return Err(AbiError::Invalid(format!(
                        "struct {}: field {} follows binary extension field {ext}; `$` fields must come last",
                        s.name, f.name
                    )));
                }
                _ => {}
            }
            if !f.extension {
                let size = match &nodes[f.ty] {
                    Node::Builtin(b) => b.min_size(),
                    Node::Struct(inner) => inner.min_size,
                    Node::Array(_) | Node::Optional(_) | Node::Variant(_) => 1,
                };
                min_size = min_size.saturating_add(size);
            }
        }
        base_depth.insert(id, depth);
        if let Node::Struct(s) = &mut nodes[id] {
            s.fields = fields;
            s.min_size = min_size;
        }
    }
    Ok(())
}
