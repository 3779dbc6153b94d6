//! Bundles: fuzzed bytes read as a bundle and verified against the
//! example's public key are refused with an error or accepted, never a
//! panic or a hang. Meaning: whatever verifies was signed by the trusted
//! key and compiles to its manifest's fingerprint, and its conformance
//! vectors (if any) run to a report.
#![no_main]

use libfuzzer_sys::fuzz_target;
use semaforo::bundle::{Bundle, PublicKey, TrustedKeys};

const EXAMPLE_KEY: &str = include_str!("../../examples/regional/bundle/example-signing.pub");

fuzz_target!(|data: &[u8]| {
    let mut trusted = TrustedKeys::new();
    trusted.add(PublicKey::parse(EXAMPLE_KEY).expect("the example key parses"));
    if let Ok(b) = Bundle::from_bytes(data) {
        let _ = b.file_checks();
    }
    if let Ok(v) = Bundle::verify_bytes(data, &trusted) {
        assert_eq!(v.ruleset().fingerprint_hex(), v.manifest().ruleset.fingerprint);
        assert!(!v.signed_by().is_empty());
        if v.manifest().conformance.is_some() {
            let _ = v.run_conformance(&v.ruleset());
        }
    }
});
