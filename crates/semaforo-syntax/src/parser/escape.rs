//! String escapes, decoded alike by both parsers.

/// Decodes one backslash escape (`text` starts with `\`). On error returns
/// the message and the help line.
pub(super) fn decode_escape(text: &str) -> Result<char, (String, String)> {
    let body = text.strip_prefix('\\').unwrap_or(text);
    let valid = "the valid escapes are `\\\"`, `\\\\`, `\\n`, `\\t` and `\\u{HEX}`";
    match body {
        "\"" => Ok('"'),
        "\\" => Ok('\\'),
        "n" => Ok('\n'),
        "t" => Ok('\t'),
        "" => Err((
            "a backslash must start an escape".to_owned(),
            valid.to_owned(),
        )),
        _ => {
            if let Some(hex) = body.strip_prefix("u{").and_then(|b| b.strip_suffix('}')) {
                let ok_digits =
                    (1..=6).contains(&hex.len()) && hex.bytes().all(|b| b.is_ascii_hexdigit());
                let c = if ok_digits {
                    u32::from_str_radix(hex, 16).ok().and_then(char::from_u32)
                } else {
                    None
                };
                return c.ok_or_else(|| {
                    (
                        format!("invalid unicode escape `{text}`"),
                        "write 1 to 6 hexadecimal digits naming a unicode scalar value, such as `\\u{E9}`"
                            .to_owned(),
                    )
                });
            }
            if body.starts_with('u') {
                return Err((
                    format!("invalid unicode escape `{text}`"),
                    "write unicode escapes as `\\u{HEX}`".to_owned(),
                ));
            }
            Err((
                format!("unknown escape `{text}` in string"),
                valid.to_owned(),
            ))
        }
    }
}
