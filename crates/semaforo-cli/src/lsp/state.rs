//! Open documents, how files are grouped into one compilation, and the
//! analysis of a group.
//!
//! **Groups.** A `.sem` file compiles together with the other `.sem` files
//! of its directory (the text of an open document, the file on disk
//! otherwise): package files (whose first item is `package`) first, then
//! the others, each in name order, as `semaforo check DIR/*.sem` would
//! with the packages given first. When the group `uses` a package that no
//! file of the directory declares, the package's files are looked for in
//! the parent directories (up to [`PARENT_LEVELS`] up), so a national
//! ruleset in `gt/` finds the regional package beside its folder (see
//! `examples/regional/`). A document that is not a `file:` URI (an unsaved
//! buffer) is a group of its own. See `docs/lsp.md`.

use semaforo::{CheckReport, Compiler, FileId, SymbolKind, Symbols};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// How many parent directories are searched for a used package.
pub(crate) const PARENT_LEVELS: usize = 3;

/// The most `.sem` files read from one directory: a directory of
/// thousands of rule files is not a ruleset an editor should compile on
/// every keystroke.
const MAX_DIR_FILES: usize = 256;

/// An open document.
pub(crate) struct Document {
    /// The text as the editor has it.
    pub(crate) text: String,
    /// The last text of this document that parsed, for completion while
    /// the author is mid-edit.
    pub(crate) last_parsed: Option<String>,
}

/// The server's documents, by URI.
#[derive(Default)]
pub(crate) struct Documents {
    pub(crate) open: BTreeMap<String, Document>,
}

/// One file of a group.
pub(crate) struct Member {
    /// Its URI (as the client spelled it, for open documents).
    pub(crate) uri: String,
    /// Its text.
    pub(crate) text: String,
}

/// External lists and tables named in the client's settings (the
/// `initializationOptions` of `initialize`: `{"lists": {"NAME": "PATH"},
/// "tables": {"NAME": "PATH"}}`, paths relative to the workspace root),
/// as `--list` and `--table` name them on the command line.
#[derive(Default)]
pub(crate) struct Data {
    pub(crate) lists: Vec<(String, PathBuf)>,
    pub(crate) tables: Vec<(String, PathBuf)>,
}

impl Data {
    /// The data the options name, and a sentence for each problem with
    /// them (an option of the wrong shape, a file that cannot be read).
    pub(crate) fn from_options(
        options: Option<&serde_json::Value>,
        root: &Path,
    ) -> (Data, Vec<String>) {
        let mut data = Data::default();
        let mut problems = Vec::new();
        let Some(options) = options.filter(|o| !o.is_null()) else {
            return (data, problems);
        };
        for (key, out) in [("lists", &mut data.lists), ("tables", &mut data.tables)] {
            let Some(v) = options.get(key) else { continue };
            let Some(map) = v.as_object() else {
                problems.push(format!(
                    "the setting `{key}` is not an object of NAME: PATH"
                ));
                continue;
            };
            for (name, path) in map {
                let Some(path) = path.as_str() else {
                    problems.push(format!("the path of `{key}.{name}` is not a string"));
                    continue;
                };
                let path = root.join(path);
                if let Err(e) = std::fs::metadata(&path) {
                    problems.push(format!(
                        "`{key}.{name}`: cannot read `{}`: {e}",
                        path.display()
                    ));
                }
                out.push((name.clone(), path));
            }
        }
        (data, problems)
    }

    fn is_empty(&self) -> bool {
        self.lists.is_empty() && self.tables.is_empty()
    }
}

/// A group compiled and its names resolved.
pub(crate) struct Analysis {
    /// The files, in compilation order: member `i` is `FileId(i)`.
    pub(crate) members: Vec<Member>,
    /// Every diagnostic.
    pub(crate) report: CheckReport,
    /// Declarations and uses.
    pub(crate) symbols: Symbols,
}

impl Analysis {
    /// The file id of `uri` in this group.
    pub(crate) fn file_of(&self, uri: &str) -> Option<FileId> {
        self.members
            .iter()
            .position(|m| m.uri == uri)
            .map(|i| FileId(i as u32))
    }

    /// The URI and text of a file id: a member, or an external data file.
    pub(crate) fn file(&self, file: FileId) -> Option<(String, &str)> {
        if let Some(m) = self.members.get(file.0 as usize) {
            return Some((m.uri.clone(), &m.text));
        }
        // Data files are named by their path (see `Documents::analyze`).
        let s = self.report.sources.get(file)?;
        Some((path_uri(Path::new(&s.name)), &s.text))
    }
}

/// The path of a `file:` URI, percent-decoded; `None` for another scheme.
pub(crate) fn uri_path(uri: &str) -> Option<PathBuf> {
    let rest = uri.strip_prefix("file://")?;
    // `file://host/path`: only the local host (empty or `localhost`).
    let rest = rest.strip_prefix("localhost").unwrap_or(rest);
    if !rest.starts_with('/') {
        return None;
    }
    let bytes = rest.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if b == b'%'
            && let Some(hex) = rest.get(i + 1..i + 3)
            && let Ok(v) = u8::from_str_radix(hex, 16)
        {
            out.push(v);
            i += 3;
            continue;
        }
        out.push(b);
        i += 1;
    }
    let path = String::from_utf8(out).ok()?;
    // A Windows drive (`/C:/...`) loses its leading slash.
    let path = match path.get(2..3) {
        Some(":") if cfg!(windows) => path.get(1..).unwrap_or_default().to_string(),
        _ => path,
    };
    Some(PathBuf::from(path))
}

/// The `file:` URI of a path, percent-encoding every byte but unreserved
/// characters and `/`.
pub(crate) fn path_uri(path: &Path) -> String {
    let mut out = String::from("file://");
    let text = path.to_string_lossy().replace('\\', "/");
    if !text.starts_with('/') {
        out.push('/');
    }
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) || b == b':' {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The package a file declares (`package "NAME"` as its first item), read
/// from the text without parsing it, so a file with a syntax error still
/// sorts as what it is.
fn declared_package(text: &str) -> Option<&str> {
    let first = text
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty() && !l.starts_with('#'))?;
    quoted_after(first, "package")
}

/// The packages a file uses (`uses "NAME" ...` lines).
fn used_packages(text: &str) -> impl Iterator<Item = &str> {
    text.lines().filter_map(|l| quoted_after(l.trim(), "uses"))
}

fn quoted_after<'a>(line: &'a str, keyword: &str) -> Option<&'a str> {
    let rest = line.strip_prefix(keyword)?;
    let rest = rest.trim_start().strip_prefix('"')?;
    rest.split('"').next()
}

/// The `.sem` files of a directory, sorted by name.
fn sem_files(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "sem") && p.is_file())
        .take(MAX_DIR_FILES)
        .collect();
    files.sort();
    files
}

impl Documents {
    /// The text of a file: the open document's, or the file on disk's.
    fn text_of(&self, path: &Path) -> Option<(String, String)> {
        let uri = path_uri(path);
        if let Some(d) = self
            .open
            .iter()
            .find(|(u, _)| uri_path(u).is_some_and(|p| p == path) || **u == uri)
        {
            return Some((d.0.clone(), d.1.text.clone()));
        }
        std::fs::read_to_string(path).ok().map(|t| (uri, t))
    }

    /// The files compiled with `uri`, in compilation order (see the
    /// module's documentation). `last_parsed` uses each open document's
    /// last text that parsed instead of its current one.
    pub(crate) fn group(&self, uri: &str, last_parsed: bool) -> Vec<Member> {
        let pick = |d: &Document| -> String {
            match (&d.last_parsed, last_parsed) {
                (Some(t), true) => t.clone(),
                _ => d.text.clone(),
            }
        };
        let Some(dir) = uri_path(uri).and_then(|p| p.parent().map(Path::to_path_buf)) else {
            return self
                .open
                .get(uri)
                .map(|d| Member {
                    uri: uri.to_string(),
                    text: pick(d),
                })
                .into_iter()
                .collect();
        };
        let mut members: Vec<Member> = Vec::new();
        let add = |members: &mut Vec<Member>, uri: String, text: String| {
            let text = match self.open.get(&uri) {
                Some(d) => pick(d),
                None => text,
            };
            if !members.iter().any(|m| m.uri == uri) {
                members.push(Member { uri, text });
            }
        };
        for path in sem_files(&dir) {
            if let Some((u, t)) = self.text_of(&path) {
                add(&mut members, u, t);
            }
        }
        // The document itself, even if not (yet) on disk.
        if let Some(d) = self.open.get(uri)
            && !members.iter().any(|m| m.uri == uri)
        {
            members.push(Member {
                uri: uri.to_string(),
                text: pick(d),
            });
        }
        // Used packages that the directory does not declare.
        let declared: Vec<String> = members
            .iter()
            .filter_map(|m| declared_package(&m.text).map(str::to_string))
            .collect();
        let mut missing: Vec<String> = members
            .iter()
            .flat_map(|m| {
                used_packages(&m.text)
                    .map(str::to_string)
                    .collect::<Vec<_>>()
            })
            .filter(|p| !declared.contains(p))
            .collect();
        missing.sort();
        missing.dedup();
        let mut up = dir.parent();
        for _ in 0..PARENT_LEVELS {
            let Some(d) = up else { break };
            if missing.is_empty() {
                break;
            }
            let mut found = Vec::new();
            for path in sem_files(d) {
                if let Some((u, t)) = self.text_of(&path)
                    && let Some(p) = declared_package(&t)
                    && missing.iter().any(|m| m == p)
                {
                    found.push(p.to_string());
                    add(&mut members, u, t);
                }
            }
            missing.retain(|m| !found.contains(m));
            up = d.parent();
        }
        // Packages first, then the rest, each in name (URI) order.
        members.sort_by(|a, b| {
            let pa = declared_package(&a.text).is_none();
            let pb = declared_package(&b.text).is_none();
            (pa, &a.uri).cmp(&(pb, &b.uri))
        });
        members
    }

    /// Checks the group of `uri` (see [`Documents::group`]). When the
    /// settings name external data that the group declares, the group is
    /// compiled with it, as `semaforo check --list ... --table ...` does,
    /// so the data's problems are diagnostics too and hover knows the
    /// sizes of lists and tables.
    pub(crate) fn analyze(&self, uri: &str, last_parsed: bool, data: &Data) -> Analysis {
        let members = self.group(uri, last_parsed);
        let mut c = Compiler::new();
        for m in &members {
            let name = uri_path(&m.uri)
                .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
                .unwrap_or_else(|| m.uri.clone());
            c.add_source(name, m.text.clone());
        }
        let mut report = c.check();
        let mut symbols = report.symbols();
        if data.is_empty() || report.has_errors() {
            return Analysis {
                members,
                report,
                symbols,
            };
        }
        let mut texts = Vec::new();
        for (kind, entries) in [
            (SymbolKind::List, &data.lists),
            (SymbolKind::Table, &data.tables),
        ] {
            for (name, path) in entries {
                // Only the data this group declares: another directory's
                // lists are not this ruleset's.
                if symbols.find(kind, name).is_none() {
                    continue;
                }
                // An unreadable file was reported when the settings were read.
                let Ok(text) = std::fs::read_to_string(path) else {
                    continue;
                };
                let file = path.display().to_string();
                if kind == SymbolKind::List {
                    symbols.count_list_file(name, &text);
                    c.add_list_file(name.clone(), file, text.clone());
                } else {
                    symbols.count_table_file(name, &text);
                    c.add_table_file(name.clone(), file, text.clone());
                }
                texts.push(text);
            }
        }
        if !texts.is_empty() {
            report = match c.compile() {
                Ok(r) => CheckReport {
                    diagnostics: r.warnings().to_vec(),
                    sources: r.sources().clone(),
                },
                Err(e) => CheckReport {
                    diagnostics: e.diagnostics,
                    sources: e.sources,
                },
            };
        }
        Analysis {
            members,
            report,
            symbols,
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]
    use super::*;

    #[test]
    fn uris_and_paths_round_trip() {
        let p = PathBuf::from("/tmp/reglas é/a b.sem");
        let u = path_uri(&p);
        assert_eq!(u, "file:///tmp/reglas%20%C3%A9/a%20b.sem");
        assert_eq!(uri_path(&u).unwrap(), p);
        assert_eq!(uri_path("untitled:Untitled-1"), None);
    }

    #[test]
    fn package_headers_are_read_without_parsing() {
        assert_eq!(
            declared_package("# x\n\npackage \"sica\" version \"1\"\n"),
            Some("sica")
        );
        assert_eq!(declared_package("ruleset \"x\" version \"1\""), None);
        let uses: Vec<&str> =
            used_packages("ruleset \"gt\" version \"1\"\nuses \"sica\" version \"2\"").collect();
        assert_eq!(uses, ["sica"]);
    }
}
