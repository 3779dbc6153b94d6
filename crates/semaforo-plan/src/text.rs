//! Text tests that must not allocate.

/// `haystack contains needle` as SPEC §3.6 defines it: each character of
/// both is replaced by its Unicode lowercase mapping (`char::to_lowercase`,
/// per character, so there is no final-sigma rule), and the needle's mapped
/// characters must occur as a contiguous run of the haystack's. An empty
/// needle is contained in every text.
pub fn contains_ci(haystack: &str, needle: &str) -> bool {
    let mut needle_chars = needle.chars().flat_map(char::to_lowercase);
    let Some(first) = needle_chars.next() else {
        return true;
    };
    let hay = || haystack.chars().flat_map(char::to_lowercase);
    let mut start = hay();
    loop {
        // Try a match starting at the current position of `start`.
        let mut h = start.clone();
        match h.next() {
            None => return false,
            Some(c) if c == first => {
                let mut n = needle_chars.clone();
                let matched = loop {
                    match n.next() {
                        None => break true,
                        Some(nc) => match h.next() {
                            Some(hc) if hc == nc => {}
                            _ => break false,
                        },
                    }
                };
                if matched {
                    return true;
                }
            }
            Some(_) => {}
        }
        start.next();
    }
}
