//! What every self-contained HTML report (`backtest`, `diff`, `results`)
//! writes the same way.

/// Escapes text for HTML element content and attribute values.
pub(crate) fn esc(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            c => o.push(c),
        }
    }
    o
}

/// A colour for a lane: the usual names (English and Spanish) get their
/// colour, others grey.
pub(crate) fn lane_colour(name: &str) -> &'static str {
    match name.to_ascii_lowercase().as_str() {
        "green" | "verde" => "#2e9d47",
        "blue" | "azul" => "#2f6fbf",
        "yellow" | "amarillo" => "#e0b000",
        "orange" | "naranja" => "#e07000",
        "red" | "rojo" => "#c62828",
        _ => "#777777",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_quotes() {
        assert_eq!(
            esc(r#"<a href="x">&'"#),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
        assert_eq!(lane_colour("Rojo"), lane_colour("red"));
        assert_eq!(lane_colour("purple"), "#777777");
    }
}
