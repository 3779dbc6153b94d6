//! Signed bundles: load a bundle into a ruleset after verifying it against
//! trusted public keys, and run its conformance vectors (docs/bundles.md).

use super::diagnostics::semaforo_diagnostics;
use super::ruleset::semaforo_ruleset;
use super::status::{Status, guard, semaforo_status};
use super::util::{
    array, bytes, free_handle, handle, into_handle, out, semaforo_str, text, write, write_str,
};
use semaforo_core::bundle::{
    Bundle, BundleError, ConformanceReport, PublicKey, TrustedKeys, VerifiedBundle,
};
use std::ffi::c_char;

/// The result of running a bundle's conformance vectors
/// (`semaforo_bundle_conformance`). Immutable. Free with
/// `semaforo_conformance_free`.
pub struct semaforo_conformance {
    report: ConformanceReport,
    /// One message per mismatch, in file order.
    messages: Vec<String>,
    /// The report as one JSON object.
    json: String,
}

/// The status for a refused bundle.
fn bundle_status(e: &BundleError) -> Status {
    match e {
        BundleError::Compile(_) => Status::SEMAFORO_COMPILE_FAILED,
        BundleError::NoTrustedKeys | BundleError::Unsigned | BundleError::Untrusted { .. } => {
            Status::SEMAFORO_BUNDLE_UNTRUSTED
        }
        BundleError::BadSignature { .. } => Status::SEMAFORO_BUNDLE_BAD_SIGNATURE,
        BundleError::MissingFile { .. }
        | BundleError::UnlistedFile { .. }
        | BundleError::HashMismatch { .. }
        | BundleError::NotUtf8 { .. }
        | BundleError::RulesetMismatch { .. } => Status::SEMAFORO_BUNDLE_TAMPERED,
        BundleError::ConformanceFailed { .. } => Status::SEMAFORO_BUNDLE_CONFORMANCE_FAILED,
        BundleError::NoConformance => Status::SEMAFORO_BUNDLE_NO_CONFORMANCE,
        BundleError::Key { .. } => Status::SEMAFORO_INVALID_ARGUMENT,
        _ => Status::SEMAFORO_BUNDLE_INVALID,
    }
}

/// The diagnostics of a refused bundle: the compiler's when its rules do
/// not compile, otherwise one error whose code names the status
/// (`bundle-tampered`, ...) and whose file is the file or key it names.
fn bundle_diagnostics(e: &BundleError) -> semaforo_diagnostics {
    if let BundleError::Compile(c) = e {
        return semaforo_diagnostics::new(&c.diagnostics, &c.sources);
    }
    let code = match bundle_status(e) {
        Status::SEMAFORO_BUNDLE_UNTRUSTED => "bundle-untrusted",
        Status::SEMAFORO_BUNDLE_BAD_SIGNATURE => "bundle-bad-signature",
        Status::SEMAFORO_BUNDLE_TAMPERED => "bundle-tampered",
        Status::SEMAFORO_BUNDLE_CONFORMANCE_FAILED => "bundle-conformance-failed",
        Status::SEMAFORO_BUNDLE_NO_CONFORMANCE => "bundle-no-conformance",
        Status::SEMAFORO_INVALID_ARGUMENT => "bundle-key",
        _ => "bundle-invalid",
    };
    let file = match e {
        BundleError::MissingFile { path }
        | BundleError::UnlistedFile { path }
        | BundleError::HashMismatch { path, .. }
        | BundleError::NotUtf8 { path }
        | BundleError::BadPath { path, .. }
        | BundleError::NotAFile { path, .. }
        | BundleError::DuplicateEntry { path } => path.clone(),
        BundleError::Conformance { path, .. } => path.clone(),
        BundleError::BadSignature { .. } | BundleError::Manifest { .. } => "manifest.json".into(),
        BundleError::Signatures { .. } => "signatures.json".into(),
        _ => "<bundle>".into(),
    };
    semaforo_diagnostics::single(code, file, e.to_string())
}

/// Reads the trusted public keys: each string is the text of a public key
/// file (`semaforo bundle keygen`).
///
/// # Safety
/// As for `util::array` and `util::text`.
unsafe fn trusted_keys(
    keys: *const semaforo_str,
    count: usize,
) -> Result<TrustedKeys, Result<Status, BundleError>> {
    // SAFETY: forwarded contract.
    let keys = unsafe { array(keys, count) }.map_err(|e| Ok(e.status()))?;
    let mut trusted = TrustedKeys::new();
    for k in keys {
        // SAFETY: each entry is valid for its length by contract.
        let t = unsafe { text(k.ptr, k.len) }.map_err(|e| Ok(e.status()))?;
        trusted.add(PublicKey::parse(t).map_err(Err)?);
    }
    Ok(trusted)
}

/// Reads and verifies a bundle; on refusal writes its diagnostics (when
/// `out_diagnostics` is not NULL) and returns the status.
///
/// # Safety
/// As for the exported functions.
unsafe fn verify(
    bundle: *const u8,
    bundle_len: usize,
    keys: *const semaforo_str,
    key_count: usize,
    out_diagnostics: *mut *mut semaforo_diagnostics,
) -> Result<VerifiedBundle, Status> {
    let refuse = |e: BundleError| {
        if !out_diagnostics.is_null() {
            // SAFETY: non-NULL and writable by contract.
            unsafe { out_diagnostics.write(into_handle(bundle_diagnostics(&e))) };
        }
        bundle_status(&e)
    };
    // SAFETY: forwarded contract.
    let bytes = unsafe { bytes(bundle.cast::<c_char>(), bundle_len) }.map_err(|e| e.status())?;
    // SAFETY: forwarded contract.
    let trusted = match unsafe { trusted_keys(keys, key_count) } {
        Ok(t) => t,
        Err(Ok(status)) => return Err(status),
        Err(Err(e)) => return Err(refuse(e)),
    };
    Bundle::verify_bytes(bytes, &trusted).map_err(refuse)
}

/// Loads a bundle (`bundle`, `bundle_len` bytes) into a new ruleset after
/// verifying it against the trusted public keys (`trusted_keys`, each the
/// text of a public key file, `trusted_key_count` of them): a signature by
/// at least one trusted key, every file matching the manifest, nothing
/// added or missing, the ruleset compiling to the manifest's fingerprint,
/// and the bundle's conformance vectors (if any) giving their expected
/// outcomes. This is the reload rule of `semaforo::bundle::LiveRuleset`.
///
/// On success returns `SEMAFORO_OK` and writes `*out_ruleset` (one
/// reference). A refused bundle writes no ruleset and returns
/// `SEMAFORO_BUNDLE_INVALID`, `_UNTRUSTED`, `_BAD_SIGNATURE`, `_TAMPERED`,
/// `_CONFORMANCE_FAILED`, `SEMAFORO_COMPILE_FAILED` (the bundled rules do
/// not compile) or `SEMAFORO_INVALID_ARGUMENT` (a trusted key is not a
/// public key file); then, if `out_diagnostics` is not NULL, a diagnostics
/// handle is written to it, which the caller frees: the compiler's
/// diagnostics, or one error naming what is wrong (the file, the key id).
/// On success `*out_diagnostics` receives the ruleset's warnings.
///
/// Nothing else changes: a host that keeps its current ruleset in a
/// variable and loads a new bundle into another one keeps running the
/// current ruleset when the load fails (docs/c-abi.md, "Reloading rules").
#[unsafe(no_mangle)]
pub unsafe extern "C" fn semaforo_bundle_load(
    bundle: *const u8,
    bundle_len: usize,
    trusted_keys: *const semaforo_str,
    trusted_key_count: usize,
    out_ruleset: *mut *mut semaforo_ruleset,
    out_diagnostics: *mut *mut semaforo_diagnostics,
) -> semaforo_status {
    guard(|| {
        let o = out(out_ruleset)?;
        // SAFETY: the crate contract.
        let v = unsafe {
            verify(
                bundle,
                bundle_len,
                trusted_keys,
                trusted_key_count,
                out_diagnostics,
            )
        }?;
        if v.manifest().conformance.is_some() {
            let rs = v.ruleset();
            let failed =
                v.run_conformance(&rs)
                    .and_then(|report| match report.mismatches.first() {
                        None => Ok(()),
                        Some(first) => Err(BundleError::ConformanceFailed {
                            failed: report.mismatches.len(),
                            total: report.total,
                            first: first.to_string(),
                        }),
                    });
            if let Err(e) = failed {
                if !out_diagnostics.is_null() {
                    // SAFETY: non-NULL and writable by contract.
                    unsafe { out_diagnostics.write(into_handle(bundle_diagnostics(&e))) };
                }
                return Err(bundle_status(&e));
            }
        }
        let rs = v.ruleset();
        if !out_diagnostics.is_null() {
            let d = semaforo_diagnostics::new(rs.warnings(), rs.sources());
            // SAFETY: non-NULL and writable by contract.
            unsafe { out_diagnostics.write(into_handle(d)) };
        }
        // SAFETY: `o` is non-NULL and writable by contract.
        unsafe { o.write(semaforo_ruleset::into_handle(rs)) };
        Ok(())
    })
}

/// Runs a bundle's conformance vectors against `ruleset` (the host's own
/// ruleset, however it was compiled; NULL for the bundle's own). The bundle
/// is verified first exactly as by `semaforo_bundle_load` (a refusal gives
/// the same statuses and diagnostics).
///
/// Returns `SEMAFORO_OK` when every vector gives its expected outcome, and
/// `SEMAFORO_BUNDLE_CONFORMANCE_FAILED` when at least one does not; in both
/// cases `*out_report` is written (read the mismatches from it, then free
/// it). `SEMAFORO_BUNDLE_NO_CONFORMANCE` if the bundle has no vectors.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn semaforo_bundle_conformance(
    bundle: *const u8,
    bundle_len: usize,
    trusted_keys: *const semaforo_str,
    trusted_key_count: usize,
    ruleset: *const semaforo_ruleset,
    out_report: *mut *mut semaforo_conformance,
    out_diagnostics: *mut *mut semaforo_diagnostics,
) -> semaforo_status {
    guard(|| {
        let o = out(out_report)?;
        // SAFETY: the crate contract.
        let v = unsafe {
            verify(
                bundle,
                bundle_len,
                trusted_keys,
                trusted_key_count,
                out_diagnostics,
            )
        }?;
        let rs = if ruleset.is_null() {
            v.ruleset()
        } else {
            // SAFETY: a live handle, by contract.
            unsafe { handle(ruleset) }?.inner.clone()
        };
        let report = match v.run_conformance(&rs) {
            Ok(r) => r,
            Err(e) => {
                if !out_diagnostics.is_null() {
                    // SAFETY: non-NULL and writable by contract.
                    unsafe { out_diagnostics.write(into_handle(bundle_diagnostics(&e))) };
                }
                return Err(bundle_status(&e));
            }
        };
        let passed = report.passed();
        let messages: Vec<String> = report.mismatches.iter().map(ToString::to_string).collect();
        let json = report_json(&report, &messages);
        // SAFETY: `o` is non-NULL and writable by contract.
        unsafe {
            o.write(into_handle(semaforo_conformance {
                report,
                messages,
                json,
            }))
        };
        if passed {
            Ok(())
        } else {
            Err(Status::SEMAFORO_BUNDLE_CONFORMANCE_FAILED)
        }
    })
}

/// JSON text of a string.
fn json_str(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// `{"total":N,"failed":N,"fingerprint":"..","mismatches":[{"line":N,"id":"..","message":".."}]}`.
fn report_json(r: &ConformanceReport, messages: &[String]) -> String {
    let mismatches: Vec<String> = r
        .mismatches
        .iter()
        .zip(messages)
        .map(|(m, msg)| {
            format!(
                "{{\"line\":{},\"id\":{},\"message\":{}}}",
                m.line,
                json_str(&m.id),
                json_str(msg)
            )
        })
        .collect();
    format!(
        "{{\"total\":{},\"failed\":{},\"fingerprint\":{},\"mismatches\":[{}]}}",
        r.total,
        r.mismatches.len(),
        json_str(&r.fingerprint),
        mismatches.join(",")
    )
}

/// Frees a conformance report; NULL is ignored.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn semaforo_conformance_free(report: *mut semaforo_conformance) {
    let _ = guard(|| {
        // SAFETY: NULL or a handle from this library, by contract.
        unsafe { free_handle(report) };
        Ok(())
    });
}

/// The number of vectors that ran.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn semaforo_conformance_total(
    report: *const semaforo_conformance,
    out_count: *mut usize,
) -> semaforo_status {
    guard(|| {
        // SAFETY: NULL or a live handle, by contract.
        let r = unsafe { handle(report) }?;
        // SAFETY: NULL or writable, by contract.
        unsafe { write(out_count, r.report.total) }
    })
}

/// The number of vectors whose outcome differs from the expected one.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn semaforo_conformance_failed(
    report: *const semaforo_conformance,
    out_count: *mut usize,
) -> semaforo_status {
    guard(|| {
        // SAFETY: NULL or a live handle, by contract.
        let r = unsafe { handle(report) }?;
        // SAFETY: NULL or writable, by contract.
        unsafe { write(out_count, r.report.mismatches.len()) }
    })
}

/// Mismatch number `index` (0-based, below `semaforo_conformance_failed`)
/// as one line: `line N, declaration `ID`: lane expected `red`, got
/// `green`; ...`. A borrowed string.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn semaforo_conformance_mismatch(
    report: *const semaforo_conformance,
    index: usize,
    out_ptr: *mut *const c_char,
    out_len: *mut usize,
) -> semaforo_status {
    guard(|| {
        // SAFETY: NULL or a live handle, by contract.
        let r = unsafe { handle(report) }?;
        let m = r
            .messages
            .get(index)
            .ok_or(Status::SEMAFORO_INDEX_OUT_OF_RANGE)?;
        // SAFETY: NULL or writable, by contract.
        unsafe { write_str(m, out_ptr, out_len) }
    })
}

/// The whole report as one JSON object:
/// `{"total":N,"failed":N,"fingerprint":"...","mismatches":[{"line":N,"id":"...","message":"..."}]}`.
/// A borrowed string.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn semaforo_conformance_json(
    report: *const semaforo_conformance,
    out_ptr: *mut *const c_char,
    out_len: *mut usize,
) -> semaforo_status {
    guard(|| {
        // SAFETY: NULL or a live handle, by contract.
        let r = unsafe { handle(report) }?;
        // SAFETY: NULL or writable, by contract.
        unsafe { write_str(&r.json, out_ptr, out_len) }
    })
}
