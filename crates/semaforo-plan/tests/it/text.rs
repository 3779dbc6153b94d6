//! `contains` (SPEC §3.6): per-character Unicode lowercase mapping, then a
//! contiguous run.

use proptest::prelude::*;

/// `contains_ci` with a fresh scratch buffer.
fn contains_ci(haystack: &str, needle: &str) -> bool {
    semaforo_plan::text::contains_ci(haystack, needle, &mut String::new())
}

/// The spec, written the slow and obvious way.
fn model(haystack: &str, needle: &str) -> bool {
    let h: Vec<char> = haystack.chars().flat_map(char::to_lowercase).collect();
    let n: Vec<char> = needle.chars().flat_map(char::to_lowercase).collect();
    n.is_empty() || h.windows(n.len()).any(|w| w == n.as_slice())
}

#[test]
fn ascii() {
    assert!(contains_ci("Footwear of leather", "LEATHER"));
    assert!(contains_ci("FOOTWEAR", "twe"));
    assert!(!contains_ci("FOOTWEAR", "tea"));
    assert!(contains_ci("abc", "abc"));
    assert!(contains_ci("abc", "C"));
    assert!(!contains_ci("abc", "abcd"));
    assert!(!contains_ci("", "a"));
    assert!(!contains_ci("a-b", "ab"));
}

#[test]
fn empty_needle_is_always_contained() {
    assert!(contains_ci("", ""));
    assert!(contains_ci("anything", ""));
}

#[test]
fn overlapping_prefixes() {
    assert!(contains_ci("aab", "ab"));
    assert!(contains_ci("aaab", "aab"));
    assert!(contains_ci("abababc", "ababc"));
    assert!(contains_ci("AAB", "ab"));
    assert!(!contains_ci("aaa", "aaaa"));
}

#[test]
fn greek_sigma_is_mapped_per_character() {
    // `Σ` lowercases to `σ` on its own; there is no final-sigma rule.
    assert!(contains_ci("ΟΔΟΣ", "οσ"));
    assert!(contains_ci("ΟΔΟΣ", "ΟΣ"));
    assert!(!contains_ci("ΟΔΟΣ", "ος"));
    // A final `ς` stays `ς` and is not `σ`.
    assert!(!contains_ci("οδος", "ΟΣ"));
    assert!(contains_ci("οδος", "ος"));
    assert!(contains_ci("ΟΔΟΣ", "Σ"));
    assert!(contains_ci("σ", "Σ"));
    assert!(!contains_ci("ς", "Σ"));
}

#[test]
fn dotted_capital_i_maps_to_two_characters() {
    // `İ` lowercases to `i` followed by U+0307 COMBINING DOT ABOVE.
    assert_eq!(
        "İ".chars().flat_map(char::to_lowercase).collect::<String>(),
        "i\u{307}"
    );
    assert!(contains_ci("İSTANBUL", "i"));
    assert!(!contains_ci("İSTANBUL", "is"));
    assert!(contains_ci("İSTANBUL", "i\u{307}s"));
    assert!(contains_ci("İSTANBUL", "İs"));
    assert!(contains_ci("i\u{307}", "İ"));
    assert!(!contains_ci("i", "İ"));
    // A needle may start in the middle of a character's mapping.
    assert!(contains_ci("xİy", "\u{307}Y"));
}

#[test]
fn sharp_s_is_not_ss() {
    assert!(!contains_ci("STRASSE", "ß"));
    assert!(!contains_ci("Straße", "SS"));
    assert!(contains_ci("Straße", "SSE".replace("SS", "ß").as_str()));
    // U+1E9E LATIN CAPITAL LETTER SHARP S lowercases to `ß`.
    assert!(contains_ci("STRAẞE", "ß"));
}

#[test]
fn other_mappings() {
    // U+212A KELVIN SIGN lowercases to `k`.
    assert!(contains_ci("500 \u{212A}", "k"));
    assert!(contains_ci("ÑANDÚ", "ñandú"));
    assert!(!contains_ci("ÑANDU", "ñandú"));
    assert!(contains_ci("calzado 😀 DE cuero", "😀 de"));
}

#[test]
fn needle_longer_than_haystack() {
    assert!(!contains_ci("ab", "abc"));
    assert!(!contains_ci("İ", "i\u{307}x"));
    // The haystack grows when lowercased; the needle still does not fit.
    assert!(contains_ci("İ", "i\u{307}"));
}

#[test]
fn the_scratch_buffer_is_reused_whatever_it_held() {
    let mut scratch = String::from("LEATHER leather İ");
    assert!(semaforo_plan::text::contains_ci(
        "Footwear of LEATHER",
        "leather",
        &mut scratch
    ));
    assert!(!semaforo_plan::text::contains_ci(
        "Footwear",
        "leather",
        &mut scratch
    ));
    assert!(semaforo_plan::text::contains_ci("ΟΔΟΣ", "οσ", &mut scratch));
}

#[test]
fn a_needle_that_almost_matches_everywhere_takes_linear_time() {
    // 2^20 bytes searched for 2^19 - 1 `a`s then `b`: quadratic search
    // would compare about 2^38 bytes; this returns at once.
    let hay = "A".repeat(1 << 20);
    let needle = format!("{}b", "a".repeat((1 << 19) - 1));
    assert!(!contains_ci(&hay, &needle));
    assert!(contains_ci(&format!("{hay}B"), &needle));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3000))]

    #[test]
    fn agrees_with_the_model(h in "[aAbBσΣςİiß\u{307}ẞK\u{212A}k]{0,12}", n in "[aAbBσΣςİiß\u{307}ẞK\u{212A}k]{0,4}") {
        prop_assert_eq!(contains_ci(&h, &n), model(&h, &n));
    }

    #[test]
    fn agrees_with_the_model_on_any_text(h in any::<String>(), n in any::<String>()) {
        prop_assert_eq!(contains_ci(&h, &n), model(&h, &n));
    }

    #[test]
    fn every_substring_is_contained(h in any::<String>(), a in any::<usize>(), b in any::<usize>()) {
        let chars: Vec<char> = h.chars().collect();
        let (mut a, mut b) = (a % (chars.len() + 1), b % (chars.len() + 1));
        if a > b {
            std::mem::swap(&mut a, &mut b);
        }
        let sub: String = chars[a..b].iter().collect();
        prop_assert!(contains_ci(&h, &sub));
    }
}
