//! The reserved words of the expression language (SPEC §3.2), in one table.
//!
//! [`RESERVED`] is the source every other list follows: the fast parser
//! (`parser/fast.rs`) and the pest tree builder look words up here, the
//! checker in `semaforo-compile` asks [`is_reserved`] (through
//! [`ast::is_reserved`](crate::ast::is_reserved)), and the grammar's
//! `reserved`, `quant_kw` and `non_function` rules in
//! `grammar/semaforo.pest`, which pest needs as literal text, are held equal
//! to it by `tests/it/keywords.rs`. A word added here and not in the grammar,
//! or the other way round, fails that test.
//!
//! Keywords outside this table (`rule`, `when`, `score`, `from`, ...) are
//! contextual: they mean something only where the grammar expects them and
//! may name a field anywhere else, so they are listed in the grammar alone.
//!
//! ```
//! use semaforo_syntax::ast::QuantKind;
//! use semaforo_syntax::keywords::{Role, is_reserved, role};
//! assert!(is_reserved("starts"));
//! assert!(!is_reserved("origin"));
//! assert_eq!(role("count"), Some(Role::Quantifier(QuantKind::Count)));
//! assert_eq!(role("lookup_prefix"), Some(Role::Function));
//! ```

use crate::ast::QuantKind;

/// What a reserved word is in an expression, which decides where the
/// parsers accept it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Role {
    /// An operator or a word of one (`and`, `not`, `in`, `starts with`,
    /// `is missing`, ...); the grammar's `non_function` rule.
    Operator,
    /// A literal (`true`, `false`, `today`); also in `non_function`.
    Literal,
    /// A quantifier or aggregate, `kind(v in list: body)`; the grammar's
    /// `quant_kw` rule.
    Quantifier(QuantKind),
    /// A built-in function, called as `name(args)`; the grammar accepts it
    /// only before `(` (`func_name`).
    Function,
}

/// One reserved word and its role.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Reserved {
    /// The word, as written in source.
    pub word: &'static str,
    /// What it is in an expression.
    pub role: Role,
}

const fn kw(word: &'static str, role: Role) -> Reserved {
    Reserved { word, role }
}

/// Every word reserved inside expressions: none of them can name a field,
/// list, table, record, lane or variable (the checker reports `E0201`), and
/// in an expression none is read as a name.
///
/// Adding a word here means adding it to the grammar's `reserved` rule and
/// to `quant_kw` or `non_function` by its role (`tests/it/keywords.rs` says
/// which is missing), then giving it meaning in both parsers.
pub const RESERVED: &[Reserved] = &[
    kw("and", Role::Operator),
    kw("or", Role::Operator),
    kw("not", Role::Operator),
    kw("in", Role::Operator),
    kw("is", Role::Operator),
    kw("missing", Role::Operator),
    kw("present", Role::Operator),
    kw("starts", Role::Operator),
    kw("with", Role::Operator),
    kw("contains", Role::Operator),
    kw("true", Role::Literal),
    kw("false", Role::Literal),
    kw("today", Role::Literal),
    kw("any", Role::Quantifier(QuantKind::Any)),
    kw("all", Role::Quantifier(QuantKind::All)),
    kw("count", Role::Quantifier(QuantKind::Count)),
    kw("sum", Role::Quantifier(QuantKind::Sum)),
    kw("min", Role::Quantifier(QuantKind::Min)),
    kw("max", Role::Quantifier(QuantKind::Max)),
    kw("lookup", Role::Function),
    kw("lookup_prefix", Role::Function),
    kw("len", Role::Function),
];

/// The role of `word` if it is reserved.
pub fn role(word: &str) -> Option<Role> {
    RESERVED.iter().find(|k| k.word == word).map(|k| k.role)
}

/// True if `word` is reserved inside expressions.
pub fn is_reserved(word: &str) -> bool {
    role(word).is_some()
}

/// The quantifier `word` introduces, if any.
pub fn quantifier(word: &str) -> Option<QuantKind> {
    match role(word)? {
        Role::Quantifier(kind) => Some(kind),
        _ => None,
    }
}

/// The built-in function names, in table order.
///
/// ```
/// let names: Vec<_> = semaforo_syntax::keywords::functions().collect();
/// assert_eq!(names, ["lookup", "lookup_prefix", "len"]);
/// ```
pub fn functions() -> impl Iterator<Item = &'static str> {
    RESERVED
        .iter()
        .filter(|k| k.role == Role::Function)
        .map(|k| k.word)
}
