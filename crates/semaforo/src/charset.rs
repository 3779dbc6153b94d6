//! Which characters a value read from a data file may hold: one policy for
//! the list and table reader, `lists derive` and the CLI's CSV input.
//!
//! A value that looks like `IMP-7` in every editor must be `IMP-7`:
//! control characters, invisible formatting characters (zero-width space
//! and joiners, direction marks, soft hyphen, a byte order mark inside the
//! text, ...) and unusual white space make two equal-looking values
//! differ, so a watched importer would silently stop matching. Entries of
//! external lists and tables are held to [`entry_problem`]; free text in a
//! declaration (a CSV cell, which may be a goods description) to the
//! slightly looser [`text_problem`], which allows tabs and non-ASCII white
//! space.
//!
//! ```
//! use semaforo::charset::{entry_problem, text_problem};
//! assert_eq!(entry_problem('A'), None);
//! assert_eq!(entry_problem(' '), None);
//! assert!(entry_problem('\u{200b}').is_some()); // zero-width space
//! assert!(entry_problem('\t').is_some());
//! assert_eq!(text_problem('\t'), None);
//! assert!(text_problem('\u{0}').is_some());
//! ```

/// What is wrong with `c` inside an entry of an external list or table
/// (after surrounding white space is trimmed), if anything: a control
/// character (tab included), an invisible formatting character, or white
/// space other than the ASCII space.
pub fn entry_problem(c: char) -> Option<&'static str> {
    if c == ' ' {
        None
    } else if c.is_control() {
        Some("a control character")
    } else if c.is_whitespace() {
        Some("white space other than the ASCII space")
    } else if is_format(c) {
        Some("an invisible formatting character")
    } else {
        None
    }
}

/// What is wrong with `c` in free text read from a data file (a CSV cell
/// of a declaration), if anything: a control character other than tab, or
/// an invisible formatting character.
pub fn text_problem(c: char) -> Option<&'static str> {
    if c == '\t' || c.is_whitespace() {
        None
    } else {
        entry_problem(c)
    }
}

/// Unicode general category Cf (format characters: zero-width space and
/// joiners, direction marks and embeddings, word joiner, byte order mark,
/// soft hyphen, tags, ...), as of Unicode 15.1.
fn is_format(c: char) -> bool {
    matches!(
        c as u32,
        0x00AD
            | 0x0600..=0x0605
            | 0x061C
            | 0x06DD
            | 0x070F
            | 0x0890..=0x0891
            | 0x08E2
            | 0x180E
            | 0x200B..=0x200F
            | 0x202A..=0x202E
            | 0x2060..=0x2064
            | 0x2066..=0x206F
            | 0xFEFF
            | 0xFFF9..=0xFFFB
            | 0x110BD
            | 0x110CD
            | 0x13430..=0x1343F
            | 0x1BCA0..=0x1BCA3
            | 0x1D173..=0x1D17A
            | 0xE0001
            | 0xE0020..=0xE007F
    )
}
