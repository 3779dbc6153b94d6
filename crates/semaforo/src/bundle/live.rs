//! The running ruleset of a host that loads bundles, and its reload rule.

use super::{Bundle, BundleError, TrustedKeys, VerifiedBundle};
use crate::ruleset::Ruleset;
use std::sync::RwLock;

/// The ruleset a host runs, loaded from a bundle, replaced only by a bundle
/// that verifies.
///
/// [`LiveRuleset::reload`] reads, verifies and compiles the new bundle and
/// runs its conformance vectors (if it has any) against the ruleset it
/// compiled; only if all of this succeeds does it swap. On any failure the
/// running ruleset stays, and the error says why. Readers clone the
/// current [`Ruleset`] (an `Arc` increment) and evaluate without holding
/// the lock.
///
/// ```no_run
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use semaforo::bundle::{LiveRuleset, PublicKey, TrustedKeys};
/// let mut trusted = TrustedKeys::new();
/// trusted.add(PublicKey::parse(&std::fs::read_to_string("regional.pub")?)?);
/// let live = LiveRuleset::load(trusted, &std::fs::read("regional.bundle")?)?;
/// // On a change:
/// if let Err(e) = live.reload(&std::fs::read("regional.bundle")?) {
///     eprintln!("kept ruleset {}: {e}", live.current().fingerprint_hex());
/// }
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct LiveRuleset {
    trusted: TrustedKeys,
    // INVARIANT (verified): only a ruleset that `accept` returned is ever
    // stored, at construction and in `reload`.
    current: RwLock<Ruleset>,
}

/// Verifies a bundle for running: signatures, files, compilation,
/// fingerprint, then its own conformance vectors.
fn accept(trusted: &TrustedKeys, bytes: &[u8]) -> Result<VerifiedBundle, BundleError> {
    let verified = Bundle::verify_bytes(bytes, trusted)?;
    if verified.manifest().conformance.is_some() {
        let report = verified.run_conformance(&verified.ruleset())?;
        if let Some(first) = report.mismatches.first() {
            return Err(BundleError::ConformanceFailed {
                failed: report.mismatches.len(),
                total: report.total,
                first: first.to_string(),
            });
        }
    }
    Ok(verified)
}

impl LiveRuleset {
    /// Loads the first bundle; an error if it does not verify.
    pub fn load(trusted: TrustedKeys, bytes: &[u8]) -> Result<LiveRuleset, BundleError> {
        let verified = accept(&trusted, bytes)?;
        Ok(LiveRuleset {
            trusted,
            current: RwLock::new(verified.ruleset()),
        })
    }

    /// The running ruleset.
    pub fn current(&self) -> Ruleset {
        // The lock is only held to clone or store a `Ruleset`, which cannot
        // panic, so a poisoned lock still holds a whole value.
        self.current
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// Replaces the running ruleset with the bundle's if it verifies (see
    /// the type's docs) and returns the verified bundle; otherwise keeps
    /// the running ruleset and returns why.
    pub fn reload(&self, bytes: &[u8]) -> Result<VerifiedBundle, BundleError> {
        let verified = accept(&self.trusted, bytes)?;
        *self
            .current
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = verified.ruleset();
        Ok(verified)
    }
}
