//! Text tests that do not allocate per evaluation.

use crate::sets::push_lower;

/// `haystack contains needle` as SPEC §3.6 defines it: each character of
/// both is replaced by its Unicode lowercase mapping (`char::to_lowercase`,
/// per character, so there is no final-sigma rule), and the needle's mapped
/// characters must occur as a contiguous run of the haystack's. An empty
/// needle is contained in every text.
///
/// `scratch` is reused space for the two lowercased texts (it grows to
/// their length once, then is reused). Both are lowercased into it and the
/// needle searched with the standard library's substring search, which is
/// linear in the two lengths: a run of characters is a run of their UTF-8
/// bytes, because UTF-8 is self-synchronising.
pub fn contains_ci(haystack: &str, needle: &str, scratch: &mut String) -> bool {
    if needle.is_empty() {
        return true;
    }
    scratch.clear();
    push_lower(scratch, needle);
    let split = scratch.len();
    push_lower(scratch, haystack);
    let (needle, haystack) = scratch.split_at(split);
    haystack.contains(needle)
}
