//! The front end of the Semáforo rule language: source text -> [`ast`].
//!
//! This crate turns UTF-8 source text into a typed AST with a [`Span`] on
//! every node (the pest parse tree never leaves the crate), and prints an AST
//! back as canonically formatted source. It knows nothing of schemas, types or
//! evaluation plans.
//!
//! The conversions:
//!
//! - [`parse`]: source text -> [`ast::SourceFile`] (or [`Diagnostic`]s with
//!   codes `E0001`..`E0009`, see `docs/diagnostics.md`). The grammar lives in
//!   `grammar/semaforo.pest`. [`parse_shared`] does the same on a source
//!   the caller holds as an `Arc<str>`, which the tree's [`Text`]s share.
//! - [`format()`]: [`ast::SourceFile`] -> canonical source text. Formatting is
//!   idempotent, keeps every comment, and `parse(format(f))` equals `f` up to
//!   spans (see [`ast::strip_spans`]).
//! - [`LineIndex`]: byte offsets of a text -> `(line, column)` for showing
//!   diagnostics, built once per text ([`line_col`] for a single position).
//!
//! ```
//! use semaforo_syntax::{FileId, format, parse};
//! let src = "rule R-1 \"t\" {when a==1   then score 5}";
//! let file = parse(src, FileId(0)).unwrap();
//! assert_eq!(format(&file), "rule R-1 \"t\" {\n  when a == 1\n  then score 5\n}\n");
//! ```
//!
//! # Input safety
//!
//! Rule text may come from anyone, so [`parse`] never panics and bounds the
//! time and memory it spends:
//!
//! - Input larger than [`MAX_SOURCE_BYTES`] (16 MiB) is rejected up front
//!   (`E0002`).
//! - A linear pre-scan, run before pest, rejects brackets (`(`, `[`, `{`, in
//!   rules, lists and `given` JSON alike) nested deeper than [`MAX_NESTING`]
//!   (256) with `E0003`. pest recurses once per bracket level, so its stack use
//!   is bounded; prefix operators and operator chains are repetitions in the
//!   grammar, not recursion.
//! - pest's call limit is set to [`PEST_CALL_LIMIT`] and its stack guard is on;
//!   reaching either is `E0007`, never a crash. The parse runs on a scoped
//!   thread with a 64 MiB stack (address space, committed only as used), so
//!   the nesting limit is reachable whatever the caller's stack; if no thread
//!   can be spawned it runs on the caller's thread, still guarded.
//! - Valid input is parsed by a hand-written recursive-descent parser that
//!   follows the grammar and builds the AST directly (about 27 times fewer
//!   instructions than pest on a 10,000-rule ruleset, see
//!   `docs/performance.md`). It does the pre-scan's work on the way
//!   (comments, blank lines, bracket nesting), so valid input is read once.
//!   It gives up at anything unexpected (any error, brackets deeper than
//!   [`MAX_NESTING`], an expression deeper than [`MAX_EXPR_DEPTH`]), and
//!   the pre-scan and pest then run on the file and report the
//!   diagnostics, so every error is theirs. It recurses only per bracket
//!   (bounded by its own count). It first runs on the caller's thread with
//!   a bound of 16 brackets (about 2 KiB of stack per level in a release
//!   build; a test parses such input on a 128 KiB stack), because a new
//!   thread starts with an empty heap arena and faulting in memory for a
//!   large tree doubled the parse time; input it gives up on goes to the
//!   parser thread, which runs it again with the full bound and then the
//!   pre-scan and pest. Differential tests check that it builds exactly
//!   pest's file, comments and blank lines included.
//! - The AST builder walks through single-child precedence levels in a loop
//!   and recurses only through brackets, and it refuses to build an
//!   expression tree deeper than [`MAX_EXPR_DEPTH`] (`E0003`): a chain of a
//!   million `not`s or `+`s is an error, so every consumer of the AST
//!   (formatter, checker, drop) may recurse on expressions.
//! - Integer literals that do not fit in `i64` are `E0005`; dates and numbers
//!   are kept as digits, so no other literal can overflow here.

pub mod ast;
pub mod codes;
pub mod fmt;
pub mod keywords;
mod lines;
mod parser;
pub mod span;
mod text;

pub use fmt::format;
pub use lines::LineIndex;
pub use parser::{
    E_BAD_ESCAPE, E_CHAINED, E_INT_RANGE, E_INTERNAL, E_PARSER_LIMIT, E_SYNTAX, E_TOO_DEEP,
    E_TOO_LARGE, E_UNTERMINATED, MAX_EXPR_DEPTH, MAX_NESTING, MAX_SOURCE_BYTES, PEST_CALL_LIMIT,
    parse, parse_shared, parse_with_pest,
};
pub use span::{Diagnostic, FileId, Label, Severity, Span, line_col};
pub use text::Text;
