//! Declarations from CSV: a column mapping, cells typed by the schema, and
//! consecutive rows with the same key forming one declaration.
//!
//! The file is read once into a flat cell store ([`CsvTable`]): every cell's
//! bytes go into one buffer and every row is a range of cell bounds, so
//! reading allocates in amortised chunks, not per row. A [`CsvBinder`] is
//! resolved once from the header, the mapping and the ruleset (column
//! index -> [`FieldHandle`]) and then binds groups of rows directly into a
//! reusable [`Declaration`] buffer, without JSON.
//!
//! Mapping: `COLUMN=PATH` pairs from `--map-file` (one a line, `#` comments)
//! and `--map`; a column whose name is already a field path (`importer`,
//! `items.hs`) maps to it without being named. Item fields are written
//! `LIST.FIELD`: a row adds one element to `LIST` when at least one of its
//! item cells is non-empty. Header fields come from the first row of a
//! declaration; a later row that disagrees is reported as a warning.

use semaforo::{
    Context, Date, Decimal, Declaration, Evaluator, FieldHandle, FieldType, InputError,
    OutcomeView, Ruleset,
};
use std::ops::Range;

/// Column name -> field path pairs, in the order given.
#[derive(Debug, Default, Clone)]
pub(crate) struct Mapping {
    pairs: Vec<(String, String)>,
}

impl Mapping {
    /// Adds the pairs of a mapping file's text (`COLUMN = PATH` lines,
    /// `#` comments); errors name `file` and the line.
    pub(crate) fn add_file(&mut self, file: &str, text: &str) -> Result<(), String> {
        for (i, line) in text.lines().enumerate() {
            let t = line.trim();
            if t.is_empty() || t.starts_with('#') {
                continue;
            }
            let pair = parse_pair(t).map_err(|e| format!("{file}:{}: {e}", i + 1))?;
            self.insert(pair);
        }
        Ok(())
    }

    /// Adds one `COLUMN=PATH` pair given as an option; it wins over an
    /// earlier pair for the same column.
    pub(crate) fn add_option(&mut self, s: &str) -> Result<(), String> {
        self.insert(parse_pair(s).map_err(|e| format!("`--map {s}`: {e}"))?);
        Ok(())
    }

    fn insert(&mut self, (col, path): (String, String)) {
        self.pairs.retain(|(c, _)| *c != col);
        self.pairs.push((col, path));
    }

    /// The path a column maps to.
    pub(crate) fn path_of(&self, column: &str) -> Option<&str> {
        self.pairs
            .iter()
            .find(|(c, _)| c == column)
            .map(|(_, p)| p.as_str())
    }

    /// The column that maps to a path.
    pub(crate) fn column_of(&self, path: &str) -> Option<&str> {
        self.pairs
            .iter()
            .find(|(_, p)| p == path)
            .map(|(c, _)| c.as_str())
    }
}

/// Splits `COLUMN=PATH` at the last `=` (column names may hold `=`).
fn parse_pair(s: &str) -> Result<(String, String), String> {
    match s.rsplit_once('=') {
        Some((c, p)) if !c.trim().is_empty() && !p.trim().is_empty() => {
            Ok((c.trim().to_string(), p.trim().to_string()))
        }
        _ => Err("expected `COLUMN=PATH`".to_string()),
    }
}

/// One CSV row: its line number and its cells' bounds in [`CsvTable`].
#[derive(Clone, Copy, Debug)]
pub(crate) struct Row {
    /// 1-based line number of the row.
    pub line: u64,
    first: usize,
    len: usize,
    /// Why the row cannot be read, as an index into `CsvTable::problems`;
    /// its cells are then those read before the problem.
    problem: Option<usize>,
}

/// A whole CSV file in a flat store.
///
/// INVARIANT (every line accounted for): every line after the header that
/// is not blank is one entry of `rows`, readable or not; nothing the
/// reader meets on one line can affect another line.
#[derive(Debug, Default)]
pub(crate) struct CsvTable {
    /// Column names from the header row.
    pub headers: Vec<String>,
    data: Vec<u8>,
    bounds: Vec<(usize, usize)>,
    /// The data rows in file order.
    pub rows: Vec<Row>,
    problems: Vec<String>,
}

/// Why a quoted cell cannot be read when its line ends inside it.
const UNCLOSED: &str =
    "opens a quote that is not closed on this line (a quoted cell may not span lines)";

/// A cell that could not be read, by its 0-based position in the row.
#[derive(Debug, Clone, PartialEq, Eq)]
struct CellProblem {
    cell: usize,
    what: &'static str,
}

/// Splits one line (without its line break) into cells appended to
/// `data`/`bounds`. A cell starting with `"` is quoted: `""` stands for a
/// quote, and the cell must end with a quote followed by `,` or the end of
/// the line. A quote anywhere else in a cell is an ordinary character.
/// Quoted cells may not span lines: a line is always one row.
fn split_line(
    line: &[u8],
    data: &mut Vec<u8>,
    bounds: &mut Vec<(usize, usize)>,
) -> Result<(), CellProblem> {
    let mut i = 0usize;
    let base = bounds.len();
    loop {
        let cell = bounds.len() - base;
        let start = data.len();
        if line.get(i) == Some(&b'"') {
            i += 1;
            loop {
                match line.get(i) {
                    None => {
                        return Err(CellProblem {
                            cell,
                            what: UNCLOSED,
                        });
                    }
                    Some(b'"') if line.get(i + 1) == Some(&b'"') => {
                        data.push(b'"');
                        i += 2;
                    }
                    Some(b'"') => {
                        i += 1;
                        break;
                    }
                    Some(&b) => {
                        data.push(b);
                        i += 1;
                    }
                }
            }
            bounds.push((start, data.len()));
            match line.get(i) {
                None => return Ok(()),
                Some(b',') => i += 1,
                Some(_) => {
                    return Err(CellProblem {
                        cell,
                        what: "has text after its closing quote",
                    });
                }
            }
        } else {
            let rest = line.get(i..).unwrap_or_default();
            let end = rest.iter().position(|b| *b == b',');
            data.extend_from_slice(rest.get(..end.unwrap_or(rest.len())).unwrap_or_default());
            bounds.push((start, data.len()));
            match end {
                Some(e) => i += e + 1,
                None => return Ok(()),
            }
        }
    }
}

/// Why a cell's text is refused: not UTF-8, or a character that would make
/// two equal-looking values differ (`semaforo::charset::text_problem`:
/// control characters other than tab, invisible formatting characters).
fn bad_text(cell: &[u8]) -> Option<String> {
    if cell.iter().all(|b| (0x20..0x7f).contains(b) || *b == b'\t') {
        return None;
    }
    let Ok(text) = std::str::from_utf8(cell) else {
        return Some("is not valid UTF-8".to_string());
    };
    text.chars().find_map(|c| {
        semaforo::charset::text_problem(c)
            .map(|what| format!("holds {what} (U+{:04X})", u32::from(c)))
    })
}

/// Ordinal of a 0-based cell index, for messages about rows whose cells
/// do not line up with the header.
fn nth(i: usize) -> String {
    let n = i + 1;
    let suffix = match (n % 10, n % 100) {
        (_, 11..=13) => "th",
        (1, _) => "st",
        (2, _) => "nd",
        (3, _) => "rd",
        _ => "th",
    };
    format!("{n}{suffix}")
}

impl CsvTable {
    /// Parses CSV text with a header row. One line is one row: a row that
    /// cannot be read (a quote not closed on its line, text after a
    /// closing quote, a cell count other than the header's, a cell that is
    /// not UTF-8 or holds an invisible character) is kept with its problem
    /// and reported by whoever uses it ([`CsvTable::problem`]). Only a bad
    /// header row fails the whole parse. Blank lines are skipped.
    #[allow(
        dead_code,
        reason = "the whole-input parse of the unit tests and of the csv_input fuzz target (which mounts this file); the commands read CSV a line at a time through `header` and `push_row`"
    )]
    pub(crate) fn parse(input: &[u8]) -> Result<CsvTable, String> {
        let input = input.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(input);
        let mut lines = input.split(|b| *b == b'\n');
        let header = lines.next().unwrap_or_default();
        let mut t = CsvTable::header(header.strip_suffix(b"\r").unwrap_or(header))?;
        t.data.reserve(input.len());
        let mut open_quote: Option<u64> = None;
        for (i, line) in lines.enumerate() {
            t.push_row(i as u64 + 2, line, &mut open_quote);
        }
        Ok(t)
    }

    /// A table with no rows yet from its header row (without its line
    /// break or byte order mark). Only a bad header fails.
    pub(crate) fn header(header: &[u8]) -> Result<CsvTable, String> {
        if header.iter().all(u8::is_ascii_whitespace) {
            return Err("line 1: expected the header row, found a blank line".to_string());
        }
        let mut t = CsvTable::default();
        split_line(header, &mut t.data, &mut t.bounds)
            .map_err(|p| format!("line 1: the header row's {} cell {}", nth(p.cell), p.what))?;
        for &(s, e) in &t.bounds {
            let cell = t.data.get(s..e).unwrap_or_default();
            if let Some(why) = bad_text(cell) {
                return Err(format!("line 1: a header cell {why}"));
            }
            let name = String::from_utf8_lossy(cell).trim().to_string();
            if !name.is_empty() && t.headers.contains(&name) {
                // Which of the two columns would be read is a guess: refuse.
                return Err(format!("line 1: the header names column `{name}` twice"));
            }
            t.headers.push(name);
        }
        t.data.clear();
        t.bounds.clear();
        Ok(t)
    }

    /// Adds line `line_no` (without its line break; a trailing `\r` is
    /// removed here) as a row, unless it is blank; returns whether it was
    /// added. `open_quote` is the line of the last quote left open, carried
    /// from line to line by the caller: a later line with a quote in it may
    /// close that cell (as a multi-line cell would, in CSV that allows
    /// them); it is rejected rather than read as a row.
    pub(crate) fn push_row(
        &mut self,
        line_no: u64,
        line: &[u8],
        open_quote: &mut Option<u64>,
    ) -> bool {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.iter().all(u8::is_ascii_whitespace) {
            return false;
        }
        let first = self.bounds.len();
        let split = split_line(line, &mut self.data, &mut self.bounds);
        let len = self.bounds.len() - first;
        let has_quote = line.contains(&b'"');
        let continues = if has_quote { open_quote.take() } else { None };
        let problem = match split {
            Err(p) => {
                if p.what == UNCLOSED {
                    *open_quote = Some(line_no);
                }
                Some(format!("{} {}", self.cell_name(p.cell), p.what))
            }
            Ok(()) if continues.is_some() => Some(format!(
                "may be the end of the quoted cell left open on line {}, as its quote suggests (a quoted cell may not span lines)",
                continues.unwrap_or(0)
            )),
            Ok(()) if len != self.headers.len() => Some(format!(
                "expected {} cells as in the header, found {len}",
                self.headers.len()
            )),
            Ok(()) => self
                .bounds
                .get(first..)
                .unwrap_or_default()
                .iter()
                .enumerate()
                .find_map(|(c, &(s, e))| {
                    bad_text(self.data.get(s..e).unwrap_or_default())
                        .map(|why| format!("{} {why}", self.cell_name(c)))
                }),
        };
        let problem = problem.map(|p| {
            self.problems.push(p);
            self.problems.len() - 1
        });
        self.rows.push(Row {
            line: line_no,
            first,
            len,
            problem,
        });
        true
    }

    /// Removes every row, keeping the header and the buffers' capacity.
    pub(crate) fn clear_rows(&mut self) {
        self.rows.clear();
        self.data.clear();
        self.bounds.clear();
        self.problems.clear();
    }

    /// Bytes held by the rows' cells.
    pub(crate) fn data_len(&self) -> usize {
        self.data.len()
    }

    /// Moves the rows from index `from` on to the end of `to` (whose
    /// header is not looked at), in order, with their problems.
    pub(crate) fn move_rows(&mut self, from: usize, to: &mut CsvTable) {
        let Some(moved) = self.rows.get(from..) else {
            return;
        };
        for r in moved {
            let first = to.bounds.len();
            for b in self
                .bounds
                .get(r.first..r.first + r.len)
                .unwrap_or_default()
            {
                let start = to.data.len();
                to.data
                    .extend_from_slice(self.data.get(b.0..b.1).unwrap_or_default());
                to.bounds.push((start, to.data.len()));
            }
            let problem = r.problem.map(|p| {
                to.problems
                    .push(self.problems.get(p).cloned().unwrap_or_default());
                to.problems.len() - 1
            });
            to.rows.push(Row {
                line: r.line,
                first,
                len: r.len,
                problem,
            });
        }
        // The moved rows are the last ones: their cells and problems are
        // at the ends of the stores.
        if let Some(r) = self.rows.get(from) {
            let cut = self.bounds.get(r.first).map_or(self.data.len(), |b| b.0);
            self.data.truncate(cut);
            self.bounds.truncate(r.first);
        }
        let kept_problems = self
            .rows
            .get(..from)
            .unwrap_or_default()
            .iter()
            .filter(|r| r.problem.is_some())
            .count();
        self.problems.truncate(kept_problems);
        self.rows.truncate(from);
    }

    /// Whether row `b` continues the declaration of row `a` (the row
    /// before it): both have a cell in column `key` and they are equal,
    /// as [`CsvTable::group`] decides.
    pub(crate) fn same_group(&self, a: usize, b: usize, key: Option<usize>) -> bool {
        let cell = |i: usize| {
            let r = self.rows.get(i)?;
            self.cell(r, key?)
        };
        matches!((cell(a), cell(b)), (Some(x), Some(y)) if x == y)
    }

    /// `column `NAME`` for a cell index within the header, else its ordinal.
    fn cell_name(&self, cell: usize) -> String {
        match self.headers.get(cell) {
            Some(h) => format!("column `{h}`"),
            None => format!("the {} cell", nth(cell)),
        }
    }

    /// Why a row cannot be read, if it cannot.
    pub(crate) fn problem(&self, row: &Row) -> Option<&str> {
        row.problem
            .and_then(|p| self.problems.get(p))
            .map(String::as_str)
    }

    /// How many rows cannot be read.
    #[allow(
        dead_code,
        reason = "read by the unit tests and the csv_input fuzz target, like `parse`"
    )]
    pub(crate) fn rejected_rows(&self) -> usize {
        self.problems.len()
    }

    /// The first row of `rows` that cannot be read, as a message.
    pub(crate) fn first_problem(&self, rows: Range<usize>) -> Option<LineMsg> {
        self.rows
            .get(rows)
            .unwrap_or_default()
            .iter()
            .find_map(|r| {
                self.problem(r).map(|p| LineMsg {
                    line: r.line,
                    msg: p.to_string(),
                })
            })
    }

    /// The index of a column by name.
    pub(crate) fn column(&self, name: &str) -> Option<usize> {
        self.headers.iter().position(|h| h == name)
    }

    /// The raw bytes of a cell (`None` if the row is too short).
    pub(crate) fn cell(&self, row: &Row, col: usize) -> Option<&[u8]> {
        if col >= row.len {
            return None;
        }
        let (s, e) = *self.bounds.get(row.first + col)?;
        self.data.get(s..e)
    }

    /// Groups consecutive rows by the cell in column `key` (rows too short
    /// to have it stand alone). Returns ranges of row indices.
    pub(crate) fn group(&self, key: Option<usize>) -> Vec<Range<usize>> {
        let mut out: Vec<Range<usize>> = Vec::with_capacity(self.rows.len());
        let mut prev: Option<&[u8]> = None;
        for (i, row) in self.rows.iter().enumerate() {
            let k = key.and_then(|c| self.cell(row, c));
            match (prev, k, out.last_mut()) {
                (Some(p), Some(k), Some(last)) if p == k && last.end == i => last.end = i + 1,
                _ => out.push(i..i + 1),
            }
            prev = k;
        }
        out
    }
}

/// A cell bound to a scalar field.
#[derive(Clone, Debug)]
struct Col {
    col: usize,
    handle: FieldHandle,
}

/// Cells bound to the fields of one list's elements.
#[derive(Clone, Debug)]
struct ListCols {
    list: FieldHandle,
    cols: Vec<Col>,
}

/// A message about one line of the input.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct LineMsg {
    /// 1-based line number.
    pub line: u64,
    /// What is wrong.
    pub msg: String,
}

/// Column -> field bindings resolved once for a ruleset and a header.
#[derive(Clone, Debug)]
pub(crate) struct CsvBinder {
    ncols: usize,
    key_col: usize,
    header: Vec<Col>,
    lists: Vec<ListCols>,
    /// Lists no column maps to: made present and empty.
    empty_lists: Vec<FieldHandle>,
    outcome_col: Option<usize>,
    names: Vec<String>,
}

impl CsvBinder {
    /// Resolves the mapping against the ruleset's schema and the header.
    /// `outcome` names a column that need not be in the schema.
    pub(crate) fn new(
        ruleset: &Ruleset,
        table: &CsvTable,
        mapping: &Mapping,
        outcome: Option<&str>,
    ) -> Result<CsvBinder, String> {
        for (col, _) in &mapping.pairs {
            if table.column(col).is_none() {
                return Err(format!(
                    "the mapping names column `{col}`, which the CSV header does not have"
                ));
            }
        }
        let mut header = Vec::new();
        let mut lists: Vec<ListCols> = Vec::new();
        let mut seen: Vec<(String, &str)> = Vec::new();
        for (i, name) in table.headers.iter().enumerate() {
            let path = match mapping.path_of(name) {
                Some(p) => p.to_string(),
                None if ruleset.field(name).is_ok() && outcome != Some(name.as_str()) => {
                    name.clone()
                }
                None => continue,
            };
            if let Some((_, other)) = seen.iter().find(|(p, _)| *p == path) {
                return Err(format!(
                    "columns `{other}` and `{name}` both map to field `{path}`"
                ));
            }
            let handle = ruleset.field(&path).map_err(|_| {
                format!("column `{name}` maps to `{path}`, which is not a field of the schema")
            })?;
            if matches!(handle.field_type(), FieldType::List(_)) {
                return Err(format!(
                    "column `{name}` maps to `{path}`, a list of records; map columns to its fields (`{path}.FIELD`)"
                ));
            }
            let col = Col { col: i, handle };
            if handle.is_top_level() {
                header.push(col);
            } else {
                let mut parts = path.split('.');
                let (Some(list), Some(_), None) = (parts.next(), parts.next(), parts.next()) else {
                    return Err(format!(
                        "column `{name}` maps to `{path}`: CSV input fills records one list deep (`LIST.FIELD`)"
                    ));
                };
                let list_handle = ruleset
                    .field(list)
                    .map_err(|_| format!("`{list}` is not a field of the schema"))?;
                match lists.iter_mut().find(|l| l.list == list_handle) {
                    Some(l) => l.cols.push(col),
                    None => lists.push(ListCols {
                        list: list_handle,
                        cols: vec![col],
                    }),
                }
            }
            seen.push((path, name));
        }
        let key_name = ruleset.key_field();
        let key_col = seen
            .iter()
            .find(|(p, _)| *p == key_name)
            .and_then(|(_, c)| table.column(c))
            .ok_or_else(|| {
                format!(
                    "no column maps to the key field `{key_name}`; add `--map 'COLUMN={key_name}'`"
                )
            })?;
        // Every required field must have a column; unmapped lists start empty.
        let mut empty_lists = Vec::new();
        for f in ruleset.fields() {
            let name = f.name();
            if let FieldType::List(_) = f.field_type() {
                let Ok(h) = ruleset.field(name) else {
                    continue;
                };
                if !lists.iter().any(|l| l.list == h) {
                    empty_lists.push(h);
                    continue;
                }
                for g in f.element_fields() {
                    let p = format!("{name}.{}", g.name());
                    if !g.is_optional() && !seen.iter().any(|(q, _)| *q == p) {
                        return Err(format!(
                            "no column maps to the required field `{p}`; add `--map 'COLUMN={p}'` or mark it optional"
                        ));
                    }
                }
            } else if !f.is_optional() && !seen.iter().any(|(q, _)| q == name) {
                return Err(format!(
                    "no column maps to the required field `{name}`; add `--map 'COLUMN={name}'` or mark it optional"
                ));
            }
        }
        let outcome_col = match outcome {
            Some(o) => Some(
                table
                    .column(o)
                    .or_else(|| mapping.column_of(o).and_then(|c| table.column(c)))
                    .ok_or_else(|| format!("the CSV header has no outcome column `{o}`"))?,
            ),
            None => None,
        };
        Ok(CsvBinder {
            ncols: table.headers.len(),
            key_col,
            header,
            lists,
            empty_lists,
            outcome_col,
            names: table.headers.clone(),
        })
    }

    /// The key column's index.
    pub(crate) fn key_col(&self) -> usize {
        self.key_col
    }

    fn name(&self, col: usize) -> &str {
        self.names.get(col).map_or("?", String::as_str)
    }

    /// Binds the rows `rows` of `table` as one declaration into `decl`.
    /// Header disagreements of later rows are pushed to `warnings`.
    pub(crate) fn bind(
        &self,
        table: &CsvTable,
        rows: Range<usize>,
        decl: &mut Declaration,
        warnings: &mut Vec<LineMsg>,
    ) -> Result<(), LineMsg> {
        let group = table.rows.get(rows.clone()).unwrap_or_default();
        let Some(first) = group.first() else {
            return Ok(());
        };
        if let Some(e) = table.first_problem(rows.clone()) {
            return Err(e);
        }
        for r in group {
            if r.len != self.ncols {
                return Err(LineMsg {
                    line: r.line,
                    msg: format!(
                        "expected {} cells as in the header, found {}",
                        self.ncols, r.len
                    ),
                });
            }
        }
        decl.clear();
        let root = decl.root();
        for c in &self.header {
            let cell = table.cell(first, c.col).unwrap_or_default();
            set_cell(decl, root, c.handle, cell).map_err(|msg| LineMsg {
                line: first.line,
                msg: format!("column `{}`: {msg}", self.name(c.col)),
            })?;
        }
        for r in group.get(1..).unwrap_or_default() {
            for c in &self.header {
                let a = table.cell(first, c.col).unwrap_or_default();
                let b = table.cell(r, c.col).unwrap_or_default();
                if a != b {
                    warnings.push(LineMsg {
                        line: r.line,
                        msg: format!(
                            "column `{}` is `{}` here but `{}` on line {}, the first row of this declaration; the first row's value is used",
                            self.name(c.col),
                            String::from_utf8_lossy(b),
                            String::from_utf8_lossy(a),
                            first.line
                        ),
                    });
                }
            }
        }
        for l in &self.empty_lists {
            decl.start_list(root, *l).map_err(|e| LineMsg {
                line: first.line,
                msg: e.to_string(),
            })?;
        }
        for l in &self.lists {
            decl.start_list(root, l.list).map_err(|e| LineMsg {
                line: first.line,
                msg: e.to_string(),
            })?;
            for r in group {
                let any = l
                    .cols
                    .iter()
                    .any(|c| !table.cell(r, c.col).unwrap_or_default().is_empty());
                if !any {
                    continue;
                }
                let el = decl.push(root, l.list).map_err(|e| LineMsg {
                    line: r.line,
                    msg: e.to_string(),
                })?;
                for c in &l.cols {
                    let cell = table.cell(r, c.col).unwrap_or_default();
                    set_cell(decl, el, c.handle, cell).map_err(|msg| LineMsg {
                        line: r.line,
                        msg: format!("column `{}`: {msg}", self.name(c.col)),
                    })?;
                }
            }
        }
        decl.validate().map_err(|e| LineMsg {
            line: first.line,
            msg: match e {
                InputError::Field { source, .. } => source.to_string(),
                e => e.to_string(),
            },
        })
    }

    /// Binds the rows `rows` as one declaration into `ev`'s buffer, reads
    /// their inspection result and evaluates them: the result and the
    /// outcome (so a caller that counts outcomes has one for every
    /// declaration not rejected), or why the declaration was rejected with
    /// its line. On `Err`, `ev` has no outcome
    /// ([`Evaluator::outcome`] is `None`), so a rejected declaration can
    /// never be counted with the previous one's decision.
    pub(crate) fn evaluate<'e>(
        &self,
        table: &CsvTable,
        rows: Range<usize>,
        ev: &'e mut Evaluator,
        ctx: &'e Context,
        warnings: &mut Vec<LineMsg>,
    ) -> Result<(Option<bool>, OutcomeView<'e>), LineMsg> {
        let line = table.rows.get(rows.start).map_or(0, |r| r.line);
        self.bind(table, rows.clone(), ev.declaration_mut(), warnings)?;
        let label = self.outcome(table, rows)?;
        let view = ev.eval(ctx).map_err(|e| LineMsg {
            line,
            msg: e.to_string(),
        })?;
        Ok((label, view))
    }

    /// The declaration-level inspection result of a group of rows: the
    /// maximum over its rows (`None` when every cell is empty or there is
    /// no outcome column).
    pub(crate) fn outcome(
        &self,
        table: &CsvTable,
        rows: Range<usize>,
    ) -> Result<Option<bool>, LineMsg> {
        let Some(col) = self.outcome_col else {
            return Ok(None);
        };
        outcome_of_rows(table, rows, col, self.name(col))
    }
}

/// Cells of one column with their 1-based line numbers.
pub(crate) type LineCells<'t> = Vec<(u64, &'t [u8])>;

/// One declaration of `lists derive`: its inspection result (column
/// `outcome`, named `outcome_name` in messages) and the cells of column
/// `by` with their lines. A row that cannot be read rejects the whole
/// declaration: its cells may be shifted, so no value of it is trusted.
pub(crate) fn labelled_cells<'t>(
    table: &'t CsvTable,
    rows: Range<usize>,
    by: usize,
    outcome: usize,
    outcome_name: &str,
) -> Result<(Option<bool>, LineCells<'t>), LineMsg> {
    if let Some(e) = table.first_problem(rows.clone()) {
        return Err(e);
    }
    let label = outcome_of_rows(table, rows.clone(), outcome, outcome_name)?;
    let cells = table
        .rows
        .get(rows)
        .unwrap_or_default()
        .iter()
        .filter_map(|r| table.cell(r, by).map(|c| (r.line, c)))
        .collect();
    Ok((label, cells))
}

/// The maximum of the outcome cells in column `col` over `rows`.
pub(crate) fn outcome_of_rows(
    table: &CsvTable,
    rows: Range<usize>,
    col: usize,
    name: &str,
) -> Result<Option<bool>, LineMsg> {
    let mut out = None;
    for r in table.rows.get(rows).unwrap_or_default() {
        let cell = table.cell(r, col).unwrap_or_default();
        let v = parse_outcome(cell).map_err(|msg| LineMsg {
            line: r.line,
            msg: format!("outcome column `{name}`: {msg}"),
        })?;
        out = match (out, v) {
            (Some(a), Some(b)) => Some(a || b),
            (a, b) => a.or(b),
        };
    }
    Ok(out)
}

/// Reads an inspection result: empty = unknown; `0`/`false` = no finding;
/// `1`/`true` or any number above zero = a finding.
pub(crate) fn parse_outcome(cell: &[u8]) -> Result<Option<bool>, String> {
    let s = std::str::from_utf8(cell)
        .map_err(|_| "not valid UTF-8".to_string())?
        .trim();
    match s {
        "" => Ok(None),
        "0" | "false" | "FALSE" | "False" => Ok(Some(false)),
        "1" | "true" | "TRUE" | "True" => Ok(Some(true)),
        _ => match Decimal::parse(s) {
            Ok(p) => Ok(Some(p.value > Decimal::ZERO)),
            Err(_) => Err(format!(
                "expected `0`, `1`, `true`, `false` or a number, found `{s}`"
            )),
        },
    }
}

/// Stores one cell in a field, typed by the schema; an empty cell is
/// missing.
fn set_cell(
    decl: &mut Declaration,
    at: semaforo::Element,
    h: FieldHandle,
    cell: &[u8],
) -> Result<(), String> {
    let text = std::str::from_utf8(cell).map_err(|_| "not valid UTF-8".to_string())?;
    let r = match h.field_type() {
        FieldType::Text => {
            if text.is_empty() {
                decl.set_missing(at, h)
            } else {
                decl.set_text(at, h, text)
            }
        }
        ty => {
            let t = text.trim();
            if t.is_empty() {
                decl.set_missing(at, h)
            } else {
                match ty {
                    FieldType::Number => {
                        let v = Decimal::parse(t)
                            .map_err(|e| format!("expected a number, found `{t}` ({e})"))?;
                        decl.set_number(at, h, v.value)
                    }
                    FieldType::Date => {
                        let d = Date::parse(t)
                            .ok_or_else(|| format!("expected a date `YYYY-MM-DD`, found `{t}`"))?;
                        decl.set_date(at, h, d)
                    }
                    FieldType::Bool => {
                        let b = match t {
                            "1" | "true" | "TRUE" | "True" => true,
                            "0" | "false" | "FALSE" | "False" => false,
                            _ => {
                                return Err(format!(
                                    "expected `0`, `1`, `true` or `false`, found `{t}`"
                                ));
                            }
                        };
                        decl.set_bool(at, h, b)
                    }
                    FieldType::Text | FieldType::List(_) => Err(InputError::WrongRecord),
                }
            }
        }
    };
    r.map_err(|e| match e {
        InputError::Field { source, .. } => source.to_string(),
        e => e.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_consecutive_rows_by_key() {
        let t = CsvTable::parse(b"k,v\nA,1\nA,2\nB,3\nA,4\n").unwrap();
        assert_eq!(t.group(Some(0)), vec![0..2, 2..3, 3..4]);
        assert_eq!(
            t.rows.iter().map(|r| r.line).collect::<Vec<_>>(),
            [2, 3, 4, 5]
        );
    }

    fn cells(t: &CsvTable, i: usize) -> Vec<String> {
        let r = t.rows[i];
        (0..r.len)
            .map(|c| String::from_utf8(t.cell(&r, c).unwrap().to_vec()).unwrap())
            .collect()
    }

    #[test]
    fn quoted_cells_on_one_line() {
        let t = CsvTable::parse(
            b"\xEF\xBB\xBFa,b,c\r\n\"x,y\",\"say \"\"hi\"\"\",12\" pipe\r\n,\"\",\n",
        )
        .unwrap();
        assert_eq!(t.headers, ["a", "b", "c"]);
        assert_eq!(cells(&t, 0), ["x,y", "say \"hi\"", "12\" pipe"]);
        assert_eq!(cells(&t, 1), ["", "", ""]);
        assert_eq!(t.rejected_rows(), 0);
    }

    #[test]
    fn an_unclosed_quote_rejects_its_line_only() {
        let t = CsvTable::parse(b"k,v\nA,1\nB,\"2\nC,3\n\nD,\"4\"x\nE,5,6\nF\n").unwrap();
        let lines: Vec<u64> = t.rows.iter().map(|r| r.line).collect();
        assert_eq!(lines, [2, 3, 4, 6, 7, 8]);
        let problems: Vec<Option<&str>> = t.rows.iter().map(|r| t.problem(r)).collect();
        assert_eq!(problems[0], None);
        assert!(
            problems[1].unwrap().starts_with("column `v` opens a quote"),
            "{problems:?}"
        );
        assert_eq!(problems[2], None);
        assert_eq!(cells(&t, 2), ["C", "3"]);
        assert_eq!(
            problems[3],
            Some("column `v` has text after its closing quote")
        );
        assert_eq!(
            problems[4],
            Some("expected 2 cells as in the header, found 3")
        );
        assert_eq!(
            problems[5],
            Some("expected 2 cells as in the header, found 1")
        );
        assert_eq!(t.rejected_rows(), 4);
        assert_eq!(t.first_problem(0..2).unwrap().line, 3);
    }

    #[test]
    fn the_line_that_may_close_an_open_quote_is_rejected_too() {
        // A multi-line cell: its first line leaves a quote open, its last
        // line closes it and would otherwise read as a row of two cells.
        let t = CsvTable::parse(b"k,v\nA,\"two\nlines\",B\nC,1\nD,12\" pipe\n").unwrap();
        let problems: Vec<Option<&str>> = t.rows.iter().map(|r| t.problem(r)).collect();
        assert!(problems[0].unwrap().contains("not closed on this line"));
        assert!(
            problems[1].unwrap().contains("left open on line 2"),
            "{problems:?}"
        );
        assert_eq!(problems[2], None);
        // Only the first line with a quote after it: later quotes are data.
        assert_eq!(problems[3], None);
    }

    #[test]
    fn invisible_characters_and_bad_utf8_are_refused() {
        let t = CsvTable::parse("k,v\nA,IMP\u{200B}1\nB,a\tb\nC,x\u{7}\nD,caf\u{e9}\n".as_bytes())
            .unwrap();
        let problems: Vec<Option<&str>> = t.rows.iter().map(|r| t.problem(r)).collect();
        assert_eq!(
            problems,
            [
                Some("column `v` holds an invisible formatting character (U+200B)"),
                None,
                Some("column `v` holds a control character (U+0007)"),
                None
            ]
        );
        let t = CsvTable::parse(b"k,v\nA,\xff\n").unwrap();
        assert_eq!(t.problem(&t.rows[0]), Some("column `v` is not valid UTF-8"));
        assert!(CsvTable::parse(b"\"k,v\nA,1\n").is_err());
        assert!(CsvTable::parse(b"k,v,k\nA,1,2\n").is_err());
        assert!(CsvTable::parse(b"k,,\nA,1,2\n").is_ok());
        assert!(CsvTable::parse(b"").is_err());
    }

    /// What the `csv_input` fuzz target checks, on one file: a declaration
    /// with a rejected row, or one that fails to bind, leaves no outcome
    /// behind, even right after one that was evaluated; `lists derive`
    /// rejects the same declarations.
    #[test]
    fn a_rejected_declaration_leaves_no_outcome() {
        let mut c = semaforo::Compiler::new();
        c.add_source(
            "r.sem",
            "ruleset \"d\" version \"1\"\nschema d { key id: text\n value: number }\nrule R \"big\" { when value > 10 then lane red }\n",
        );
        let ruleset = c.compile().unwrap();
        let t = CsvTable::parse(b"id,value,result\nA,20,1\nB,\"5,0\nC,20,1\nD,x,1\nE,1,maybe\n")
            .unwrap();
        let binder = CsvBinder::new(&ruleset, &t, &Mapping::default(), Some("result")).unwrap();
        let ctx = Context::new(Date::parse("2026-01-01").unwrap(), Default::default(), "k");
        let mut ev = ruleset.evaluator();
        let mut warnings = Vec::new();
        let groups = t.group(Some(binder.key_col()));
        let results: Vec<Option<u64>> = groups
            .iter()
            .map(|g| {
                let r = binder
                    .evaluate(&t, g.clone(), &mut ev, &ctx, &mut warnings)
                    .err()
                    .map(|e| e.line);
                assert_eq!(r.is_none(), ev.outcome().is_some());
                r
            })
            .collect();
        assert_eq!(results, [None, Some(3), None, Some(5), Some(6)]);
        let derived: Vec<bool> = groups
            .iter()
            .map(|g| labelled_cells(&t, g.clone(), 0, 2, "result").is_ok())
            .collect();
        assert_eq!(derived, [true, false, true, true, false]);
    }

    #[test]
    fn outcome_values() {
        assert_eq!(parse_outcome(b""), Ok(None));
        assert_eq!(parse_outcome(b"0"), Ok(Some(false)));
        assert_eq!(parse_outcome(b"2"), Ok(Some(true)));
        assert_eq!(parse_outcome(b"0.0"), Ok(Some(false)));
        assert!(parse_outcome(b"yes").is_err());
    }

    #[test]
    fn mapping_pairs_split_at_the_last_equals() {
        assert_eq!(
            parse_pair("Net Mass = items.net_kg"),
            Ok(("Net Mass".to_string(), "items.net_kg".to_string()))
        );
        assert!(parse_pair("nothing").is_err());
    }
}
