//! The resolved form of an ABI's types: a graph of nodes indexed by [`TypeId`], so conversion
//! never looks a type name up by string or re-checks definitions.

use std::fmt;

use crate::builtins::Builtin;

/// Index of a node in the resolved type table.
pub(crate) type TypeId = usize;

/// Deepest nesting of structs, arrays, optionals and variants that a conversion follows.
/// Legitimate contract types stay far below it; the bound keeps hostile input from exhausting
/// the stack.
pub const MAX_DEPTH: usize = 32;

/// One resolved type. Typedefs do not appear: a typedef name maps straight to its target.
#[derive(Debug, Clone)]
pub(crate) enum Node {
    Builtin(Builtin),
    /// `T[]`.
    Array(TypeId),
    /// `T?`.
    Optional(TypeId),
    Struct(StructNode),
    Variant(VariantNode),
}

/// A struct field; `extension` marks a `T$` binary extension.
#[derive(Debug, Clone)]
pub(crate) struct Field {
    pub name: String,
    pub ty: TypeId,
    pub extension: bool,
}

/// A struct with its base chain already flattened into `fields`.
#[derive(Debug, Clone)]
pub(crate) struct StructNode {
    pub name: String,
    pub base: Option<TypeId>,
    /// Fields declared by this struct itself.
    pub own: Vec<Field>,
    /// Base fields followed by own fields: the encoding order.
    pub fields: Vec<Field>,
    /// A lower bound on the encoded size, used to reject impossible array lengths.
    pub min_size: usize,
}

/// A variant's alternatives as written in the ABI, in index order.
#[derive(Debug, Clone)]
pub(crate) struct VariantNode {
    pub name: String,
    pub alts: Vec<(String, TypeId)>,
}

/// The table of an ABI plus any wrapper nodes built for one call's type expression (such as
/// `name[]` when the ABI never mentions it), without copying or mutating the table.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Types<'a> {
    pub table: &'a [Node],
    pub extra: &'a [Node],
}

impl<'a> Types<'a> {
    /// The node of `id`; ids are only ever made by the resolver, so they are in range.
    pub(crate) fn get(&self, id: TypeId) -> &'a Node {
        match id.checked_sub(self.table.len()) {
            None => &self.table[id],
            Some(i) => &self.extra[i],
        }
    }

    /// A lower bound on the encoded size of a value of `id`.
    pub(crate) fn min_size(&self, id: TypeId) -> usize {
        match self.get(id) {
            Node::Builtin(b) => b.min_size(),
            // A length prefix, an optional flag or a variant index takes at least one byte.
            Node::Array(_) | Node::Optional(_) | Node::Variant(_) => 1,
            Node::Struct(s) => s.min_size,
        }
    }

    /// What a JSON value of type `id` looks like, for error messages.
    pub(crate) fn expected(&self, id: TypeId) -> String {
        match self.get(id) {
            Node::Builtin(b) => b.expected(),
            Node::Array(_) => "array".into(),
            Node::Optional(inner) => format!("{} or null", self.expected(*inner)),
            Node::Struct(s) => format!("object (struct {})", s.name),
            Node::Variant(v) => format!("[\"type\", value] pair (variant {})", v.name),
        }
    }
}

/// Where a value sits inside the top-level one; formatted only when an error is reported.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Path<'a> {
    Root(&'a str),
    Field(&'a Path<'a>, &'a str),
    Index(&'a Path<'a>, usize),
}

impl fmt::Display for Path<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Recursion depth is bounded by MAX_DEPTH, like the conversion that built the path.
        match self {
            Path::Root(name) => f.write_str(name),
            Path::Field(parent, name) => write!(f, "{parent}.{name}"),
            Path::Index(parent, i) => write!(f, "{parent}[{i}]"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_format_like_field_accessors() {
        let root = Path::Root("voteproducer");
        let field = Path::Field(&root, "producers");
        let item = Path::Index(&field, 2);
        assert_eq!(item.to_string(), "voteproducer.producers[2]");
        let inner = Path::Field(&item, "key");
        assert_eq!(inner.to_string(), "voteproducer.producers[2].key");
    }
}
