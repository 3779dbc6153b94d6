//! `semaforo bundle` and `semaforo conformance` through the real binary:
//! the whole cycle (keygen, build, sign, verify, inspect, conformance) and
//! every tampered bundle refused with an exit status of 1 and a message
//! that names what is wrong.

use crate::support::{GOOD, Run, run, scratch, write};
use std::path::Path;

const DECLS: &str = r#"{"id": "D1", "origin": "CN", "importer": "IMP-7", "items": [{"hs": "6403", "net_kg": 500}]}
{"id": "D2", "origin": "MX", "importer": "IMP-1", "items": []}
{"id": "D3", "origin": "VN", "importer": "IMP-2", "items": [{"hs": "6403", "net_kg": 50}]}
"#;

const TESTS: &str = r#"
test "watched importer" {
  given { "id": "T1", "origin": "MX", "importer": "IMP-7", "items": [] }
  expect lane red
}
test "quiet" {
  given { "id": "T2", "origin": "MX", "importer": "IMP-1", "items": [] }
  expect score 0
}
"#;

/// A scratch directory with the demo ruleset, two key pairs, and a signed
/// bundle `b.bundle` (signed by key `k1`).
fn setup(name: &str) -> std::path::PathBuf {
    let dir = scratch(name);
    write(&dir, "rules.sem", &format!("{GOOD}{TESTS}"));
    write(&dir, "watched.txt", "IMP-7\n");
    write(&dir, "rate.csv", "key,value\n64,2\n");
    write(&dir, "vectors.jsonl", DECLS);
    write(
        &dir,
        "conf.key",
        "# public conformance key\n0f0e0d0c0b0a09080706050403020100\n",
    );
    for k in ["k1", "k2"] {
        let r = run(
            &dir,
            &[
                "bundle",
                "keygen",
                "--secret",
                &format!("{k}.secret"),
                "--public",
                &format!("{k}.pub"),
            ],
        );
        assert_eq!(r.code, 0, "{}", r.stderr);
    }
    let r = build(&dir, "b.bundle");
    assert_eq!(r.code, 0, "{}", r.stderr);
    let r = run(&dir, &["bundle", "sign", "b.bundle", "--key", "k1.secret"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stdout.starts_with("signed `b.bundle` with key "),
        "{}",
        r.stdout
    );
    dir
}

fn build(dir: &Path, out: &str) -> Run {
    run(
        dir,
        &[
            "bundle",
            "build",
            "rules.sem",
            "--list",
            "watched=watched.txt",
            "--table",
            "rate=rate.csv",
            "--conformance",
            "vectors.jsonl",
            "--today",
            "2026-06-01",
            "--conformance-key-file",
            "conf.key",
            "-o",
            out,
        ],
    )
}

fn verify(dir: &Path, bundle: &str, key: &str) -> Run {
    run(dir, &["bundle", "verify", bundle, "--trusted-key", key])
}

fn tampered(dir: &Path, name: &str, f: impl FnOnce(&mut Vec<u8>)) -> String {
    let mut bytes = std::fs::read(dir.join("b.bundle")).unwrap();
    f(&mut bytes);
    std::fs::write(dir.join(name), bytes).unwrap();
    name.to_string()
}

fn flip_at(bytes: &mut [u8], needle: &[u8]) {
    let at = bytes
        .windows(needle.len())
        .position(|w| w == needle)
        .unwrap();
    bytes[at] ^= 0x01;
}

/// Rewrites the archive's entries (as the bundle writer lays them out,
/// with any path).
fn rewrite(bytes: &mut Vec<u8>, f: impl FnOnce(&mut Vec<(String, Vec<u8>)>)) {
    let mut a = tar::Archive::new(&bytes[..]);
    let mut entries: Vec<(String, Vec<u8>)> = a
        .entries()
        .unwrap()
        .map(|e| {
            let mut e = e.unwrap();
            let p = String::from_utf8(e.path_bytes().into_owned()).unwrap();
            let mut d = Vec::new();
            std::io::Read::read_to_end(&mut e, &mut d).unwrap();
            (p, d)
        })
        .collect();
    f(&mut entries);
    let mut b = tar::Builder::new(Vec::new());
    for (path, data) in &entries {
        let mut h = tar::Header::new_ustar();
        h.as_old_mut().name[..path.len()].copy_from_slice(path.as_bytes());
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        h.set_mtime(0);
        h.set_entry_type(tar::EntryType::Regular);
        h.set_cksum();
        b.append(&h, &data[..]).unwrap();
    }
    *bytes = b.into_inner().unwrap();
}

fn refused(r: &Run, bundle: &str, want: &str) {
    assert_eq!(
        r.code, 1,
        "{bundle}: stdout {} stderr {}",
        r.stdout, r.stderr
    );
    assert!(
        r.stderr
            .contains(&format!("error: bundle `{bundle}` refused: "))
            && r.stderr.contains(want),
        "{bundle}: expected `{want}` in: {}",
        r.stderr
    );
    assert!(!r.stdout.contains("ok"), "{}", r.stdout);
}

#[test]
fn keygen_build_sign_verify_inspect_and_conformance() {
    let dir = setup("bundle-cycle");
    let r = verify(&dir, "b.bundle", "k1.pub");
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stdout.contains("tests: 2 passed, 0 failed"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout
            .contains("conformance: 3 of 3 vectors give the expected outcome"),
        "{}",
        r.stdout
    );
    assert!(r.stdout.ends_with("ok\n"), "{}", r.stdout);

    let r = run(&dir, &["bundle", "inspect", "b.bundle"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stdout.contains("ruleset `demo` version `1`"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains("lists/watched.txt (list `watched`)  ok"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains("0f0e0d0c0b0a09080706050403020100"),
        "{}",
        r.stdout
    );
    let r = run(&dir, &["bundle", "inspect", "b.bundle", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(v["files_match"], true);
    assert_eq!(v["manifest"]["ruleset"]["name"], "demo");
    assert_eq!(v["signatures"].as_array().unwrap().len(), 1);

    let r = run(
        &dir,
        &[
            "conformance",
            "b.bundle",
            "--trusted-key",
            "k1.pub",
            "--format",
            "json",
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(
        (v["total"].as_u64(), v["failed"].as_u64()),
        (Some(3), Some(0))
    );

    // Building again gives the same bytes (before signing).
    assert_eq!(build(&dir, "again.bundle").code, 0);
    assert_eq!(build(&dir, "again2.bundle").code, 0);
    assert_eq!(
        std::fs::read(dir.join("again.bundle")).unwrap(),
        std::fs::read(dir.join("again2.bundle")).unwrap()
    );
}

#[test]
fn conformance_fails_on_an_integration_that_answers_differently() {
    let dir = setup("bundle-conformance-mismatch");
    // A national integration whose watch list lost IMP-7.
    write(&dir, "national-watched.txt", "IMP-9\n");
    let r = run(
        &dir,
        &[
            "conformance",
            "b.bundle",
            "--trusted-key",
            "k1.pub",
            "rules.sem",
            "--list",
            "watched=national-watched.txt",
            "--table",
            "rate=rate.csv",
        ],
    );
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stdout
            .contains("mismatch: line 1, declaration `D1`: lane expected `red`"),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("2 of 3 vectors"), "{}", r.stdout);
    let r = run(
        &dir,
        &[
            "conformance",
            "b.bundle",
            "--trusted-key",
            "k1.pub",
            "--format",
            "json",
            "rules.sem",
            "--list",
            "watched=national-watched.txt",
            "--table",
            "rate=rate.csv",
        ],
    );
    assert_eq!(r.code, 1);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(v["mismatches"][0]["id"], "D1");
    assert_eq!(v["mismatches"][0]["expected"]["lane"], "red");
    assert_ne!(v["mismatches"][0]["got"]["lane"], "red");
}

#[test]
fn every_tampered_bundle_is_refused_with_a_clear_error() {
    let dir = setup("bundle-tamper");
    let k1 = std::fs::read_to_string(dir.join("k1.pub")).unwrap();
    let id1 = k1
        .lines()
        .next()
        .unwrap()
        .rsplit(' ')
        .next()
        .unwrap()
        .to_string();

    let b = tampered(&dir, "source.bundle", |b| flip_at(b, b"Origin with a high"));
    refused(
        &verify(&dir, &b, "k1.pub"),
        &b,
        "file `sources/rules.sem` does not match the manifest",
    );
    let b = tampered(&dir, "list.bundle", |b| flip_at(b, b"IMP-7\n"));
    refused(
        &verify(&dir, &b, "k1.pub"),
        &b,
        "file `lists/watched.txt` does not match the manifest",
    );
    let b = tampered(&dir, "manifest.bundle", |b| flip_at(b, b"\"demo\""));
    refused(
        &verify(&dir, &b, "k1.pub"),
        &b,
        &format!("signature of trusted key `{id1}` does not match `manifest.json`"),
    );
    let b = tampered(&dir, "unsigned.bundle", |b| {
        rewrite(b, |e| e.retain(|x| x.0 != "signatures.json"))
    });
    refused(&verify(&dir, &b, "k1.pub"), &b, "the bundle is not signed");
    refused(
        &verify(&dir, "b.bundle", "k2.pub"),
        "b.bundle",
        &format!("signed only by untrusted keys (`{id1}`)"),
    );
    let b = tampered(&dir, "extra.bundle", |b| {
        rewrite(b, |e| {
            e.insert(1, ("sources/extra.sem".into(), b"x".to_vec()))
        })
    });
    refused(
        &verify(&dir, &b, "k1.pub"),
        &b,
        "file `sources/extra.sem` is in the bundle but not listed in the manifest",
    );
    let b = tampered(&dir, "missing.bundle", |b| {
        rewrite(b, |e| e.retain(|x| x.0 != "tables/rate.csv"))
    });
    refused(
        &verify(&dir, &b, "k1.pub"),
        &b,
        "file `tables/rate.csv` is listed in the manifest but missing",
    );
    let b = tampered(&dir, "truncated.bundle", |b| b.truncate(b.len() / 2));
    refused(&verify(&dir, &b, "k1.pub"), &b, "the bundle is truncated");
    let b = tampered(&dir, "traversal.bundle", |b| {
        rewrite(b, |e| e.push(("../../etc/evil".into(), b"x".to_vec())))
    });
    refused(
        &verify(&dir, &b, "k1.pub"),
        &b,
        "path `../../etc/evil` is refused",
    );

    // The same refusals from `conformance` and `sign`.
    refused(
        &run(
            &dir,
            &["conformance", "source.bundle", "--trusted-key", "k1.pub"],
        ),
        "source.bundle",
        "does not match the manifest",
    );
    refused(
        &run(
            &dir,
            &["bundle", "sign", "list.bundle", "--key", "k1.secret"],
        ),
        "list.bundle",
        "does not match the manifest",
    );
    // `inspect` shows which file does not match, and fails.
    let r = run(&dir, &["bundle", "inspect", "source.bundle"]);
    assert_eq!(r.code, 1);
    assert!(
        r.stdout.contains("sources/rules.sem  MISMATCH"),
        "{}",
        r.stdout
    );
}

#[test]
fn key_files_are_checked_and_never_overwritten() {
    let dir = setup("bundle-keys");
    let r = run(
        &dir,
        &[
            "bundle",
            "keygen",
            "--secret",
            "k1.secret",
            "--public",
            "new.pub",
        ],
    );
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("cannot create `k1.secret`"),
        "{}",
        r.stderr
    );
    let r = verify(&dir, "b.bundle", "k1.secret");
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("this is a secret key file"),
        "{}",
        r.stderr
    );
    let r = run(&dir, &["bundle", "sign", "b.bundle", "--key", "k1.pub"]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("expected `semaforo-ed25519-secret HEX`"),
        "{}",
        r.stderr
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.join("k1.secret"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(
            mode & 0o077,
            0,
            "the secret key is readable by others: {mode:o}"
        );
    }
}

#[test]
fn build_refuses_what_it_cannot_pack() {
    let dir = setup("bundle-build-errors");
    write(&dir, "bad.jsonl", "{\"id\": \"X\"}\n");
    let r = run(
        &dir,
        &[
            "bundle",
            "build",
            "rules.sem",
            "--list",
            "watched=watched.txt",
            "--table",
            "rate=rate.csv",
            "--conformance",
            "bad.jsonl",
            "--today",
            "2026-06-01",
            "--conformance-key-file",
            "conf.key",
            "-o",
            "x.bundle",
        ],
    );
    assert_eq!(r.code, 1);
    assert!(
        r.stderr
            .contains("`bad.jsonl` line 1: the declaration cannot be evaluated"),
        "{}",
        r.stderr
    );
    assert!(!dir.join("x.bundle").exists());
    // A missing list is the compiler's error, rendered as `check` does.
    let r = run(
        &dir,
        &[
            "bundle",
            "build",
            "rules.sem",
            "--table",
            "rate=rate.csv",
            "-o",
            "x.bundle",
        ],
    );
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("watched"), "{}", r.stderr);
    // Vectors need their date and key.
    let r = run(
        &dir,
        &[
            "bundle",
            "build",
            "rules.sem",
            "--conformance",
            "vectors.jsonl",
            "-o",
            "x.bundle",
        ],
    );
    assert_eq!(r.code, 2, "{}", r.stderr);
}

/// The repository root.
fn repo_root() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

#[test]
fn the_committed_example_bundle_is_what_build_sh_makes() {
    // `examples/regional/bundle/build.sh`, run with this binary, must give
    // the committed bundle byte for byte (building and Ed25519 signing are
    // deterministic). After changing the regional example, regenerate it:
    // `examples/regional/bundle/build.sh`, or run this test with
    // SEMAFORO_BLESS_BUNDLE=1.
    let root = repo_root();
    let dir = scratch("bundle-example-fresh");
    let fresh = dir.join("regional.bundle");
    let o = std::process::Command::new("bash")
        .arg(root.join("examples/regional/bundle/build.sh"))
        .arg(&fresh)
        .env("SEMAFORO", env!("CARGO_BIN_EXE_semaforo"))
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "build.sh failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    let committed_path = root.join("examples/regional/bundle/regional.bundle");
    let fresh = std::fs::read(&fresh).unwrap();
    if std::env::var_os("SEMAFORO_BLESS_BUNDLE").is_some() {
        std::fs::write(&committed_path, &fresh).unwrap();
    }
    let committed = std::fs::read(&committed_path).unwrap();
    assert!(
        committed == fresh,
        "examples/regional/bundle/regional.bundle is stale: run examples/regional/bundle/build.sh \
         (or this test with SEMAFORO_BLESS_BUNDLE=1) and commit the result"
    );
}

#[test]
fn the_example_bundle_verifies_with_the_example_key_and_its_vectors_pass() {
    let root = repo_root();
    let r = run(
        &root,
        &[
            "conformance",
            "examples/regional/bundle/regional.bundle",
            "--trusted-key",
            "examples/regional/bundle/example-signing.pub",
        ],
    );
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("44 of 44 vectors"), "{}", r.stdout);
    // The same vectors against the example's rule files, compiled directly.
    let reg = "examples/regional";
    let r = run(
        &root,
        &[
            "conformance",
            "examples/regional/bundle/regional.bundle",
            "--trusted-key",
            "examples/regional/bundle/example-signing.pub",
            &format!("{reg}/regional.sem"),
            "--list",
            &format!("watched_importers={reg}/lists/watched_importers.txt"),
            "--list",
            &format!("watched_declarants={reg}/lists/watched_declarants.txt"),
            "--table",
            &format!("reference_price={reg}/tables/reference_price.csv"),
        ],
    );
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
}
