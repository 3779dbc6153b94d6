//! The canonical layout of rule text (`semaforo fmt`).

use semaforo_syntax::{Diagnostic, FileId};

/// Formats one rule file canonically: the text `semaforo fmt` writes.
/// Formatting keeps comments and never changes meaning; formatting the
/// result again gives it back unchanged.
///
/// A file that does not parse is returned as its syntax errors. Their
/// spans point into the text as [`FileId`]`(0)`: the first source added
/// to a [`Sources`](crate::Sources), which renders them
/// ([`render::render_text`](crate::render::render_text)).
///
/// ```
/// let text = "ruleset \"d\" version \"1\"\nschema d {   key id: text }\n";
/// let formatted = semaforo::format_source(text).unwrap();
/// assert_eq!(semaforo::format_source(&formatted).unwrap(), formatted);
/// assert!(semaforo::format_source("ruleset").is_err());
/// ```
pub fn format_source(text: &str) -> Result<String, Vec<Diagnostic>> {
    let file = semaforo_syntax::parse(text, FileId(0))?;
    Ok(semaforo_syntax::fmt::format(&file))
}
