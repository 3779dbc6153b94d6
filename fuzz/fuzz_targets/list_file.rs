//! External lists: fuzzed text given as a list file loads or fails with
//! diagnostics, and a loaded list is searched without a panic. Meaning:
//! every readable line is exactly one entry. The target splits the text
//! itself by the policy of `docs/language.md` ("External data files") and
//! checks that the file compiles exactly when every entry is clean, to the
//! same fingerprint as its entries given through the API.
#![no_main]

mod common;

use libfuzzer_sys::fuzz_target;

const RULES: &str = r#"
rule W "watched" { when origin in watched or any(it in items: it.hs in watched) then score 5 }
rule S "prefix" { when any(it in items: it.hs starts with watched) then score 3 }
"#;

fn compiler() -> semaforo::Compiler {
    let mut c = semaforo::Compiler::new();
    c.add_source("prelude.sem", common::PRELUDE);
    c.add_source("rules.sem", RULES);
    c.add_table("reference_price", [("64", "1")]);
    c.add_table("codes", [("CN", "asia")]);
    c
}

/// The entries of a list file by the documented policy, or `None` if it
/// must be refused. Written separately from the library's reader.
fn expected_entries(text: &str) -> Option<Vec<String>> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut out = Vec::new();
    let pieces: Vec<&str> = text.split('\n').collect();
    for (i, raw) in pieces.iter().enumerate() {
        // A CR ends a line only right before an LF.
        let followed_by_lf = i + 1 < pieces.len();
        let line = match raw.strip_suffix('\r') {
            Some(l) if followed_by_lf => l,
            _ => raw,
        };
        if line.contains('\r') {
            return None;
        }
        let entry = line.trim();
        if entry.is_empty() || entry.starts_with('#') {
            continue;
        }
        let bad = entry.chars().any(|c| {
            c != ' ' && (c.is_control() || c.is_whitespace() || is_format(c))
        });
        if bad {
            return None;
        }
        out.push(entry.to_string());
    }
    Some(out)
}

/// Unicode general category Cf.
fn is_format(c: char) -> bool {
    matches!(c as u32, 0x00AD | 0x0600..=0x0605 | 0x061C | 0x06DD | 0x070F | 0x0890..=0x0891
        | 0x08E2 | 0x180E | 0x200B..=0x200F | 0x202A..=0x202E | 0x2060..=0x2064
        | 0x2066..=0x206F | 0xFEFF | 0xFFF9..=0xFFFB | 0x110BD | 0x110CD | 0x13430..=0x1343F
        | 0x1BCA0..=0x1BCA3 | 0x1D173..=0x1D17A | 0xE0001 | 0xE0020..=0xE007F)
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let mut c = compiler();
    c.add_list_file("watched", "fuzz.txt", text);
    let from_file = c.compile();
    match expected_entries(text) {
        None => assert!(from_file.is_err(), "a list file that must be refused compiled"),
        Some(entries) => {
            let mut c = compiler();
            c.add_list("watched", entries);
            let from_api = c.compile();
            match (&from_file, &from_api) {
                (Ok(f), Ok(a)) => assert_eq!(f.fingerprint_hex(), a.fingerprint_hex()),
                // Both refuse (say, an entry that is too long): fine.
                (Err(_), Err(_)) => {}
                _ => panic!(
                    "file and API disagree: {:?} vs {:?}",
                    from_file.as_ref().err().map(ToString::to_string),
                    from_api.as_ref().err().map(ToString::to_string)
                ),
            }
        }
    }
    if let Ok(ruleset) = from_file {
        common::evaluate_all(&ruleset, None);
    }
});
