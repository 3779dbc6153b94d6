//! The registry of diagnostic codes: one table ([`ALL`]) of every code any
//! stage reports, from the parser (`E00xx`) to the reader of external data
//! files (`E06xx`) and the checker's warnings (`W00xx`), with its title and
//! [`Category`].
//!
//! The code is the stable identity of a diagnostic (a [`Diagnostic`]'s
//! `code`); the title is the heading of its entry in `docs/diagnostics.md`,
//! which explains it with an example and the fix. A code is never reused:
//! one that is no longer reported stays here, [retired](Code::is_retired).
//! The facade's `diagnostic_codes` test keeps the three in step: every code
//! here has its entry in the docs with the same title and the other way
//! round, and every code written in the source of any crate is here.
//!
//! ```
//! use semaforo_syntax::Severity;
//! use semaforo_syntax::codes::{self, Category};
//!
//! let code = codes::lookup("E0202").unwrap();
//! assert_eq!(code.title(), "unknown name");
//! assert_eq!(code.category(), Category::Names);
//! assert_eq!(code.severity(), Severity::Error);
//! assert!(codes::lookup("E9999").is_none());
//! ```
//!
//! [`Diagnostic`]: crate::Diagnostic

use crate::Severity;

/// What a diagnostic is about, which is also which stage reports it: one
/// per range of codes (the first three characters of a code).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Category {
    /// `E00xx`: syntax and input limits, reported by the parser.
    Syntax,
    /// `E01xx`: ruleset structure (header, schema, records, lanes,
    /// thresholds, duplicates), reported by the checker.
    Structure,
    /// `E02xx`: unknown or reserved names, shadowing; the checker.
    Names,
    /// `E03xx`: types; the checker.
    Types,
    /// `E04xx`: rules, actions, literals and tests; the checker (and the
    /// facade's test runner for a test's declaration).
    Rules,
    /// `E05xx`: the external lists and tables supplied at compile time,
    /// reported while lowering to a plan.
    Externals,
    /// `E06xx`: reading external list and table files, reported by the
    /// facade.
    DataFiles,
    /// `W00xx`: warnings, which do not stop compilation; the checker.
    Warnings,
}

impl Category {
    /// Every category, in the order of their codes.
    pub const ALL: [Category; 8] = [
        Category::Syntax,
        Category::Structure,
        Category::Names,
        Category::Types,
        Category::Rules,
        Category::Externals,
        Category::DataFiles,
        Category::Warnings,
    ];

    /// The category's name in lowercase (`data files`).
    pub const fn name(self) -> &'static str {
        match self {
            Category::Syntax => "syntax",
            Category::Structure => "structure",
            Category::Names => "names",
            Category::Types => "types",
            Category::Rules => "rules",
            Category::Externals => "externals",
            Category::DataFiles => "data files",
            Category::Warnings => "warnings",
        }
    }

    /// The first three characters of the category's codes (`E06`).
    pub const fn prefix(self) -> &'static str {
        match self {
            Category::Syntax => "E00",
            Category::Structure => "E01",
            Category::Names => "E02",
            Category::Types => "E03",
            Category::Rules => "E04",
            Category::Externals => "E05",
            Category::DataFiles => "E06",
            Category::Warnings => "W00",
        }
    }
}

/// One registered diagnostic code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Code {
    // INVARIANT (shape): `code` is `E` or `W` and four digits, and starts
    // with `category.prefix()`; checked for every entry of `ALL` at compile
    // time.
    code: &'static str,
    category: Category,
    title: &'static str,
    retired: bool,
}

impl Code {
    const fn new(code: &'static str, category: Category, title: &'static str) -> Code {
        Code {
            code,
            category,
            title,
            retired: false,
        }
    }

    /// A code that is no longer reported; its number is not reused.
    const fn retired(code: &'static str, category: Category) -> Code {
        Code {
            code,
            category,
            title: "retired",
            retired: true,
        }
    }

    /// The code (`E0202`).
    pub const fn code(&self) -> &'static str {
        self.code
    }

    /// The title, as in the heading of the code's entry in
    /// `docs/diagnostics.md` (`unknown name`); `retired` for a retired code.
    pub const fn title(&self) -> &'static str {
        self.title
    }

    /// What the diagnostic is about.
    pub const fn category(&self) -> Category {
        self.category
    }

    /// [`Severity::Error`] for an `E` code, [`Severity::Warning`] for a `W`
    /// code.
    pub const fn severity(&self) -> Severity {
        match self.code.as_bytes().first() {
            Some(b'W') => Severity::Warning,
            _ => Severity::Error,
        }
    }

    /// True if the code is no longer reported (kept so that it is never
    /// given another meaning).
    pub const fn is_retired(&self) -> bool {
        self.retired
    }
}

/// Finds a registered code (`lookup("E0202")`).
pub fn lookup(code: &str) -> Option<&'static Code> {
    ALL.binary_search_by(|c| c.code.cmp(code))
        .ok()
        .and_then(|i| ALL.get(i))
}

/// Every diagnostic code, sorted by code. Titles are those of
/// `docs/diagnostics.md`.
// INVARIANT (sorted): strictly increasing by `code`, so `lookup` may search
// it by bisection; checked at compile time below.
pub const ALL: &[Code] = &[
    Code::new("E0001", Category::Syntax, "syntax error"),
    Code::new("E0002", Category::Syntax, "source file too large"),
    Code::new("E0003", Category::Syntax, "nested too deeply"),
    Code::new("E0004", Category::Syntax, "invalid string escape"),
    Code::new("E0005", Category::Syntax, "integer literal out of range"),
    Code::new("E0006", Category::Syntax, "unterminated string"),
    Code::new("E0007", Category::Syntax, "parser limit reached"),
    Code::new("E0008", Category::Syntax, "chained comparison"),
    Code::new("E0009", Category::Syntax, "internal parser error"),
    Code::new("E0101", Category::Structure, "missing `ruleset` header"),
    Code::new("E0102", Category::Structure, "duplicate `ruleset` header"),
    Code::new("E0103", Category::Structure, "missing `schema`"),
    Code::new("E0104", Category::Structure, "duplicate `schema`"),
    Code::new(
        "E0105",
        Category::Structure,
        "duplicate `lanes` declaration",
    ),
    Code::new("E0106", Category::Structure, "duplicate lane name"),
    Code::new(
        "E0107",
        Category::Structure,
        "the schema has no `key` field",
    ),
    Code::new("E0108", Category::Structure, "more than one `key` field"),
    Code::new("E0109", Category::Structure, "`key` in a record"),
    Code::new(
        "E0110",
        Category::Structure,
        "the key field is not a required `text`",
    ),
    Code::new("E0111", Category::Structure, "duplicate record name"),
    Code::new("E0112", Category::Structure, "duplicate field name"),
    Code::new("E0113", Category::Structure, "unknown record"),
    Code::new("E0114", Category::Structure, "duplicate list or table name"),
    Code::new(
        "E0115",
        Category::Structure,
        "list or table named like a schema field",
    ),
    Code::new(
        "E0116",
        Category::Structure,
        "more than one threshold for a lane",
    ),
    Code::new(
        "E0117",
        Category::Structure,
        "thresholds do not increase with severity",
    ),
    Code::new("E0118", Category::Structure, "more than 65,535 lanes"),
    Code::new(
        "E0119",
        Category::Structure,
        "more than 4,294,967,294 records, fields, lists, tables or rules",
    ),
    Code::new("E0120", Category::Structure, "duplicate table column"),
    Code::new("E0121", Category::Structure, "table column named `key`"),
    Code::new("E0122", Category::Structure, "table without columns"),
    Code::new(
        "E0123",
        Category::Structure,
        "thresholds grouped by more than one field",
    ),
    Code::new("E0124", Category::Structure, "bad package header"),
    Code::new(
        "E0125",
        Category::Structure,
        "package used and given differently",
    ),
    Code::new("E0201", Category::Names, "reserved word used as a name"),
    Code::new("E0202", Category::Names, "unknown name"),
    Code::new("E0203", Category::Names, "unknown field of a record"),
    Code::new("E0204", Category::Names, "unknown lane"),
    Code::new("E0205", Category::Names, "unknown function"),
    Code::new("E0206", Category::Names, "unknown rule in a test"),
    Code::new(
        "E0207",
        Category::Names,
        "quantifier variable shadows a name",
    ),
    Code::new("E0208", Category::Names, "list used as a value"),
    Code::new("E0209", Category::Names, "table used as a value"),
    Code::new(
        "E0210",
        Category::Names,
        "quantifier variable used as a value",
    ),
    Code::new(
        "E0211",
        Category::Names,
        "reading a field of something that has no fields",
    ),
    Code::new(
        "E0212",
        Category::Names,
        "`lookup`'s first argument is not a table",
    ),
    Code::new(
        "E0213",
        Category::Names,
        "the right-hand side of `in` is not a list",
    ),
    Code::new("E0214", Category::Names, "unknown table column"),
    Code::new("E0301", Category::Types, "operand of the wrong type"),
    Code::new(
        "E0302",
        Category::Types,
        "comparison of two different types",
    ),
    Code::new(
        "E0303",
        Category::Types,
        "ordering of values that are not numbers or dates",
    ),
    Code::new("E0304", Category::Types, "date arithmetic"),
    Code::new("E0305", Category::Types, "list element of the wrong type"),
    Code::new("E0306", Category::Types, "non-literal in an inline list"),
    Code::retired("E0307", Category::Types),
    Code::new("E0308", Category::Types, "wrong number of arguments"),
    Code::new(
        "E0309",
        Category::Types,
        "quantifier over something that is not a record list",
    ),
    Code::new("E0310", Category::Types, "rule condition is not bool"),
    Code::new("E0311", Category::Types, "inline list used as a value"),
    Code::new("E0312", Category::Types, "score is not a number"),
    Code::new(
        "E0313",
        Category::Types,
        "row of a multi-column table used as a value",
    ),
    Code::new("E0401", Category::Rules, "number out of range"),
    Code::new("E0402", Category::Rules, "invalid date"),
    Code::new("E0403", Category::Rules, "list of mixed types"),
    Code::new("E0404", Category::Rules, "duplicate rule id"),
    Code::new(
        "E0405",
        Category::Rules,
        "active period ends before it starts",
    ),
    Code::new("E0406", Category::Rules, "sampling rate above 100%"),
    Code::new(
        "E0407",
        Category::Rules,
        "sampling rate with more than 4 decimals",
    ),
    Code::new("E0408", Category::Rules, "more than one `score` action"),
    Code::new("E0409", Category::Rules, "more than one `lane` action"),
    Code::new("E0410", Category::Rules, "rule without action"),
    Code::retired("E0411", Category::Rules),
    Code::new("E0412", Category::Rules, "duplicate test name"),
    Code::new(
        "E0413",
        Category::Rules,
        "a test's `given` declaration does not match the schema",
    ),
    Code::new("E0414", Category::Rules, "lane share of 0%"),
    Code::new("E0415", Category::Rules, "lane split above 100%"),
    Code::new("E0416", Category::Rules, "lane twice in a lane split"),
    Code::new(
        "E0417",
        Category::Rules,
        "expectation that does not fit a shadow rule",
    ),
    Code::new("E0418", Category::Rules, "override that is not allowed"),
    Code::new("E0419", Category::Rules, "rule overridden twice"),
    Code::new("E0420", Category::Rules, "override that changes nothing"),
    Code::new("E0421", Category::Rules, "bad profile entry"),
    Code::new(
        "E0501",
        Category::Externals,
        "external list or table not supplied",
    ),
    Code::new(
        "E0502",
        Category::Externals,
        "supplied value of the wrong type",
    ),
    Code::new("E0503", Category::Externals, "table key given twice"),
    Code::new(
        "E0504",
        Category::Externals,
        "supplied list or table that the ruleset does not declare",
    ),
    Code::new(
        "E0505",
        Category::Externals,
        "values supplied for an inline list",
    ),
    Code::new(
        "E0506",
        Category::Externals,
        "condition nested too deeply for the evaluator",
    ),
    Code::new(
        "E0507",
        Category::Externals,
        "internal error while building the plan",
    ),
    Code::new(
        "E0508",
        Category::Externals,
        "list, table or plan too large",
    ),
    Code::new("E0601", Category::DataFiles, "malformed CSV field"),
    Code::new(
        "E0602",
        Category::DataFiles,
        "table data whose columns do not match the declaration",
    ),
    Code::new(
        "E0603",
        Category::DataFiles,
        "wrong number of fields in a table row",
    ),
    Code::new(
        "E0604",
        Category::DataFiles,
        "entry that is not of the declared type",
    ),
    Code::new("E0605", Category::DataFiles, "list or table supplied twice"),
    Code::new(
        "E0606",
        Category::DataFiles,
        "invisible character, control character or bare CR in a data file",
    ),
    Code::new(
        "W0001",
        Category::Warnings,
        "number literal with more than 6 fractional digits",
    ),
    Code::new("W0002", Category::Warnings, "list or table never used"),
    Code::new(
        "W0003",
        Category::Warnings,
        "rule condition is always false",
    ),
    Code::new("W0004", Category::Warnings, "duplicate entry in a list"),
    Code::new("W0005", Category::Warnings, "threshold on the default lane"),
    Code::new("W0006", Category::Warnings, "duplicate tag"),
    Code::new("W0007", Category::Warnings, "score literal out of range"),
    Code::new("W0008", Category::Warnings, "rule past its review date"),
];

// INVARIANT (shape), INVARIANT (sorted): a mistake in the table fails the
// build.
const _: () = {
    let mut rest = ALL;
    let mut previous: Option<&Code> = None;
    while let Some((c, tail)) = rest.split_first() {
        assert!(
            well_formed(c),
            "a code is not `E`/`W` and four digits of its category"
        );
        if let Some(p) = previous {
            assert!(
                less(p.code.as_bytes(), c.code.as_bytes()),
                "codes are not sorted or repeat"
            );
        }
        previous = Some(c);
        rest = tail;
    }
};

/// True if `c.code` is five characters: its category's three, then two
/// digits.
const fn well_formed(c: &Code) -> bool {
    let (mut code, mut prefix) = (c.code.as_bytes(), c.category.prefix().as_bytes());
    if code.len() != 5 {
        return false;
    }
    while let Some((p, tail)) = prefix.split_first() {
        match code.split_first() {
            Some((b, rest)) if *b == *p => code = rest,
            _ => return false,
        }
        prefix = tail;
    }
    while let Some((b, rest)) = code.split_first() {
        if !b.is_ascii_digit() {
            return false;
        }
        code = rest;
    }
    true
}

/// Byte-wise `a < b`, usable in a constant.
const fn less(mut a: &[u8], mut b: &[u8]) -> bool {
    loop {
        match (a.split_first(), b.split_first()) {
            (_, None) => return false,
            (None, Some(_)) => return true,
            (Some((x, ra)), Some((y, rb))) => {
                if *x != *y {
                    return *x < *y;
                }
                (a, b) = (ra, rb);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookup_finds_every_code_and_nothing_else() {
        for c in ALL {
            assert_eq!(lookup(c.code()), Some(c));
        }
        for missing in ["", "E", "E0000", "E0307x", "e0001", "W0000", "W9999"] {
            assert_eq!(lookup(missing), None, "{missing}");
        }
    }

    #[test]
    fn every_category_has_codes() {
        for cat in Category::ALL {
            assert!(ALL.iter().any(|c| c.category() == cat), "{}", cat.name());
        }
        assert_eq!(lookup("W0001").map(Code::severity), Some(Severity::Warning));
        assert!(lookup("E0307").is_some_and(Code::is_retired));
    }
}
