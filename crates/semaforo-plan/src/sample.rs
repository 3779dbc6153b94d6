//! Deterministic, auditable random sampling (SPEC §3.4).
//!
//! The draw for a rule and a declaration is SipHash-2-4, keyed with the
//! host's secret 128-bit sampling key (k0 = first 8 bytes little-endian,
//! k1 = last 8), over `UTF-8(rule id) ‖ 0x1F ‖ UTF-8(key field value)`,
//! taken modulo 1,000,000. A rule sampling P% selects the declaration iff
//! `draw < round(P × 10_000)`.

use siphasher::sip::SipHasher24;
use std::hash::Hasher;

/// The host's secret sampling key.
///
/// Not `Copy`, so the key exists only where the host put it, and its bytes
/// are overwritten with zeros when it is dropped (through `zeroize`, whose
/// writes the compiler may not optimise away). Its `Debug` never shows it.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct SamplingKey(pub [u8; 16]);

impl SamplingKey {
    /// Overwrites the key with zeros (what dropping it does).
    pub fn wipe(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.0);
    }
}

impl Drop for SamplingKey {
    fn drop(&mut self) {
        self.wipe();
    }
}

impl std::fmt::Debug for SamplingKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print the key itself.
        f.write_str("SamplingKey(..)")
    }
}

/// Number of distinct draws: draws are `0..DRAW_MODULUS`.
pub const DRAW_MODULUS: u64 = 1_000_000;

/// The draw of `rule_id` for the declaration whose key field is `key_value`.
pub fn draw(key: &SamplingKey, rule_id: &str, key_value: &str) -> u32 {
    draw_over(key, rule_id, SAMPLE_SEPARATOR, key_value)
}

/// The lane draw of a rule with a lane split (SPEC §3.9): the same hash
/// over `UTF-8(rule id) ‖ 0x1E ‖ UTF-8(key field value)`, so it is
/// independent of the rule's `sample` draw.
pub fn lane_draw(key: &SamplingKey, rule_id: &str, key_value: &str) -> u32 {
    draw_over(key, rule_id, LANE_SEPARATOR, key_value)
}

/// The byte between rule id and key value in a `sample` draw.
pub const SAMPLE_SEPARATOR: u8 = 0x1F;
/// The byte between rule id and key value in a lane draw.
pub const LANE_SEPARATOR: u8 = 0x1E;

/// The longest message hashed from a buffer on the stack; a longer one
/// (a key field value of hundreds of bytes) is fed in three parts.
const DRAW_BUFFER: usize = 128;

fn draw_over(key: &SamplingKey, rule_id: &str, separator: u8, key_value: &str) -> u32 {
    let mut k0 = [0u8; 8];
    let mut k1 = [0u8; 8];
    let (a, b) = key.0.split_at(8);
    k0.copy_from_slice(a);
    k1.copy_from_slice(b);
    let h = SipHasher24::new_with_keys(u64::from_le_bytes(k0), u64::from_le_bytes(k1));
    let (rule, value) = (rule_id.as_bytes(), key_value.as_bytes());
    let len = rule.len() + 1 + value.len();
    // The message in one piece: one pass of 8-byte blocks, where three
    // `Hasher::write` calls would each buffer the bytes that do not fill
    // a block (two thirds of the draw's cost).
    let hash = match [0u8; DRAW_BUFFER].get_mut(..len) {
        Some(buf) => {
            let (r, rest) = buf.split_at_mut(rule.len());
            r.copy_from_slice(rule);
            if let Some((sep, v)) = rest.split_first_mut() {
                *sep = separator;
                v.copy_from_slice(value);
            }
            h.hash(buf)
        }
        None => {
            let mut h = h;
            // `Hasher::write` feeds raw bytes (no length prefix), which
            // is exactly the message of the spec.
            h.write(rule);
            h.write(&[separator]);
            h.write(value);
            h.finish()
        }
    };
    (hash % DRAW_MODULUS) as u32
}
