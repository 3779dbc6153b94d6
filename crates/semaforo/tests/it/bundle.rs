//! Bundles through the Rust API: build, sign, verify, conformance, the
//! reload rule, and every way a bundle can be tampered with, each refused
//! with its own error (docs/bundles.md).

use semaforo::bundle::{
    Bundle, BundleBuilder, BundleError, FileCheck, LiveRuleset, PublicKey, SecretKey, TrustedKeys,
};
use semaforo::{Compiler, Date, SamplingKey};

const RULES: &str = r#"ruleset "demo" version "2026.1"
schema declaration {
  key id: text
  origin: text
  value: number
}
list watched: text
table limit: number
rule W "Watched origin" { when origin in watched then score 30 }
rule V "Above the limit" { when value > lookup(limit, origin) then lane red }
rule S "Random control" { when origin == "MX" sample 30% then score 1 }
test "watched" {
  given { "id": "T1", "origin": "CN", "value": 1 }
  expect fired W
}
"#;

const DECLS: &str = r#"{"id": "D1", "origin": "CN", "value": 5}
{"id": "D2", "origin": "VN", "value": 500}

{"id": "D3", "origin": "MX", "value": 1}
"#;

fn builder() -> BundleBuilder {
    let mut b = BundleBuilder::new();
    b.add_source("rules/demo.sem", RULES);
    b.add_list_file("watched", "data/watched.txt", "# watched\nCN\n");
    b.add_table_file("limit", "data/limit.csv", "key,value\nCN,100\nVN,100\n");
    b.conformance(
        "vectors.jsonl",
        DECLS,
        Date::parse("2026-06-01").unwrap(),
        SamplingKey([3; 16]),
    );
    b
}

fn key(n: u8) -> SecretKey {
    SecretKey::from_seed([n; 32])
}

fn trusted(keys: &[&SecretKey]) -> TrustedKeys {
    let mut t = TrustedKeys::new();
    for k in keys {
        t.add(k.public_key());
    }
    t
}

fn signed() -> Vec<u8> {
    let unsigned = builder().build().unwrap();
    Bundle::from_bytes(&unsigned)
        .unwrap()
        .sign(&key(1))
        .unwrap()
}

fn verify(
    bytes: &[u8],
    keys: &[&SecretKey],
) -> Result<semaforo::bundle::VerifiedBundle, BundleError> {
    Bundle::verify_bytes(bytes, &trusted(keys))
}

/// The entries of an archive, read with the `tar` crate directly.
fn entries(bytes: &[u8]) -> Vec<(String, Vec<u8>)> {
    let mut a = tar::Archive::new(bytes);
    a.entries()
        .unwrap()
        .map(|e| {
            let mut e = e.unwrap();
            let p = String::from_utf8(e.path_bytes().into_owned()).unwrap();
            let mut d = Vec::new();
            std::io::Read::read_to_end(&mut e, &mut d).unwrap();
            (p, d)
        })
        .collect()
}

/// Writes an archive as the bundle writer does, but with any path and
/// entry type (the `tar` crate's `set_path` refuses `..`).
fn raw_archive(items: &[(&str, tar::EntryType, &[u8])]) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    for (path, kind, data) in items {
        let mut h = tar::Header::new_ustar();
        let name = &mut h.as_old_mut().name;
        name[..path.len()].copy_from_slice(path.as_bytes());
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        h.set_uid(0);
        h.set_gid(0);
        h.set_mtime(0);
        h.set_entry_type(*kind);
        h.set_cksum();
        b.append(&h, *data).unwrap();
    }
    b.into_inner().unwrap()
}

fn rewrite(bytes: &[u8], f: impl FnOnce(&mut Vec<(String, Vec<u8>)>)) -> Vec<u8> {
    let mut e = entries(bytes);
    f(&mut e);
    let items: Vec<(&str, tar::EntryType, &[u8])> = e
        .iter()
        .map(|(p, d)| (p.as_str(), tar::EntryType::Regular, d.as_slice()))
        .collect();
    raw_archive(&items)
}

fn flip(bytes: &[u8], needle: &[u8]) -> Vec<u8> {
    let at = bytes
        .windows(needle.len())
        .position(|w| w == needle)
        .unwrap_or_else(|| panic!("{:?} not in the bundle", String::from_utf8_lossy(needle)));
    let mut out = bytes.to_vec();
    out[at] ^= 0x01;
    out
}

#[test]
fn a_signed_bundle_verifies_and_compiles_to_the_same_ruleset() {
    let bytes = signed();
    let v = verify(&bytes, &[&key(1)]).unwrap();
    let mut c = Compiler::new();
    c.add_source("x.sem", RULES);
    c.add_list_file("watched", "w", "CN\n");
    c.add_table_file("limit", "l", "key,value\nVN,100\nCN,100\n");
    let direct = c.compile().unwrap();
    assert_eq!(v.ruleset().fingerprint_hex(), direct.fingerprint_hex());
    assert_eq!(v.manifest().ruleset.fingerprint, direct.fingerprint_hex());
    assert_eq!(v.manifest().engine, semaforo::ENGINE_VERSION);
    assert_eq!(v.signed_by(), [key(1).public_key().id().to_string()]);
    let paths: Vec<&str> = v.manifest().files().map(|f| f.path.as_str()).collect();
    assert_eq!(
        paths,
        [
            "sources/demo.sem",
            "lists/watched.txt",
            "tables/limit.csv",
            "conformance/vectors.jsonl",
            "conformance/expected.jsonl"
        ]
    );
    let names: Vec<String> = entries(&bytes).into_iter().map(|e| e.0).collect();
    assert_eq!(names.first().unwrap(), "manifest.json");
    assert_eq!(names.last().unwrap(), "signatures.json");
}

#[test]
fn building_twice_gives_the_same_bytes_and_signing_is_deterministic() {
    assert_eq!(builder().build().unwrap(), builder().build().unwrap());
    assert_eq!(signed(), signed());
}

#[test]
fn conformance_vectors_pass_on_their_ruleset_and_name_each_mismatch_on_another() {
    let v = verify(&signed(), &[&key(1)]).unwrap();
    let report = v.run_conformance(&v.ruleset()).unwrap();
    assert_eq!(report.total, 3, "the blank line is not a vector");
    assert!(report.passed(), "{:?}", report.mismatches);

    // A national integration that forgot a list entry gives another answer.
    let mut c = Compiler::new();
    c.add_source("x.sem", RULES);
    c.add_list("watched", ["XX"]);
    c.add_table("limit", [("CN", "100"), ("VN", "100")]);
    let other = c.compile().unwrap();
    let report = v.run_conformance(&other).unwrap();
    assert!(!report.passed());
    assert_eq!(report.mismatches.len(), 1, "{:?}", report.mismatches);
    let m = &report.mismatches[0];
    assert_eq!((m.line, m.id.as_str()), (1, "D1"));
    assert_eq!(m.expected.fired, ["W"]);
    let text = m.to_string();
    assert!(text.contains("line 1, declaration `D1`"), "{text}");
    assert!(text.contains("score expected 30, got 0"), "{text}");
    assert!(text.contains("fired expected `W`, got none"), "{text}");
}

#[test]
fn the_conformance_sampling_key_is_the_bundles_own() {
    let v = verify(&signed(), &[&key(1)]).unwrap();
    let c = v.manifest().conformance.as_ref().unwrap();
    assert_eq!(c.sampling_key, "03".repeat(16));
    assert_eq!(c.today, "2026-06-01");
}

#[test]
fn a_declaration_that_cannot_be_evaluated_is_refused_at_build() {
    let mut b = builder();
    b.conformance(
        "v.jsonl",
        "{\"id\": \"D1\", \"origin\": \"CN\", \"value\": 1}\n{\"id\": 5}\n",
        Date::parse("2026-06-01").unwrap(),
        SamplingKey::default(),
    );
    let e = b.build().unwrap_err();
    assert!(
        matches!(&e, BundleError::Conformance { path, line: 2, .. } if path == "v.jsonl"),
        "{e}"
    );
}

#[test]
fn a_ruleset_that_does_not_compile_is_refused_at_build() {
    let mut b = BundleBuilder::new();
    b.add_source("bad.sem", "ruleset \"x\" version \"1\"\nrule");
    assert!(matches!(b.build(), Err(BundleError::Compile(_))));
}

#[test]
fn two_files_with_one_stored_name_are_refused_at_build() {
    let mut b = builder();
    b.add_source("other/demo.sem", "");
    let e = b.build().unwrap_err();
    assert!(e.to_string().contains("sources/demo.sem"), "{e}");
}

// ---- tampering: each refused with its own error ----

#[test]
fn a_flipped_byte_in_a_source_is_refused_naming_the_file() {
    let bad = flip(&signed(), b"Watched origin");
    let e = verify(&bad, &[&key(1)]).unwrap_err();
    assert!(
        matches!(&e, BundleError::HashMismatch { path, .. } if path == "sources/demo.sem"),
        "{e}"
    );
    assert!(
        e.to_string()
            .starts_with("file `sources/demo.sem` does not match the manifest"),
        "{e}"
    );
}

#[test]
fn a_flipped_byte_in_a_list_is_refused_naming_the_file() {
    let bad = flip(&signed(), b"# watched\nCN");
    let e = verify(&bad, &[&key(1)]).unwrap_err();
    assert!(
        matches!(&e, BundleError::HashMismatch { path, .. } if path == "lists/watched.txt"),
        "{e}"
    );
}

#[test]
fn a_changed_manifest_is_refused_naming_the_key() {
    let bad = flip(&signed(), b"2026.1\"");
    let e = verify(&bad, &[&key(1)]).unwrap_err();
    assert!(
        matches!(&e, BundleError::BadSignature { key_id } if key_id == key(1).public_key().id()),
        "{e}"
    );
}

#[test]
fn a_manifest_change_that_breaks_its_json_is_still_a_bad_signature() {
    // The signature is checked on the raw bytes before the manifest is
    // parsed, so the error names the key, not a JSON syntax error.
    let bad = flip(&signed(), b"\"fingerprint\"");
    let e = verify(&bad, &[&key(1)]).unwrap_err();
    assert!(matches!(e, BundleError::BadSignature { .. }), "{e}");
    // Read without verifying, it is an invalid manifest.
    assert!(matches!(
        Bundle::from_bytes(&bad),
        Err(BundleError::Manifest { .. })
    ));
}

#[test]
fn a_changed_manifest_and_file_together_are_still_refused() {
    // Rewrite a list entry and its hash in the manifest: the manifest no
    // longer matches its signature.
    let bytes = signed();
    let bad = rewrite(&bytes, |e| {
        let old = e
            .iter()
            .find(|x| x.0 == "lists/watched.txt")
            .unwrap()
            .1
            .clone();
        let new = b"# watched\nVN\n".to_vec();
        let hash = |d: &[u8]| {
            use sha2::Digest;
            sha2::Sha256::digest(d)
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect::<String>()
        };
        let m = &mut e.iter_mut().find(|x| x.0 == "manifest.json").unwrap().1;
        *m = String::from_utf8(m.clone())
            .unwrap()
            .replace(&hash(&old), &hash(&new))
            .into_bytes();
        e.iter_mut().find(|x| x.0 == "lists/watched.txt").unwrap().1 = new;
    });
    assert!(matches!(
        verify(&bad, &[&key(1)]),
        Err(BundleError::BadSignature { .. })
    ));
}

#[test]
fn a_removed_signature_is_refused() {
    let bad = rewrite(&signed(), |e| e.retain(|x| x.0 != "signatures.json"));
    let e = verify(&bad, &[&key(1)]).unwrap_err();
    assert!(matches!(e, BundleError::Unsigned), "{e}");
    assert_eq!(e.to_string(), "the bundle is not signed");
}

#[test]
fn a_bundle_signed_by_an_untrusted_key_is_refused_naming_the_key() {
    let bytes = signed();
    let e = verify(&bytes, &[&key(2)]).unwrap_err();
    let id = key(1).public_key().id().to_string();
    assert!(
        matches!(&e, BundleError::Untrusted { key_ids } if *key_ids == [id.clone()]),
        "{e}"
    );
    assert!(e.to_string().contains(&format!("`{id}`")), "{e}");
    assert!(matches!(
        Bundle::from_bytes(&bytes)
            .unwrap()
            .verify(&TrustedKeys::new()),
        Err(BundleError::NoTrustedKeys)
    ));
}

#[test]
fn a_forged_signature_under_a_trusted_key_id_is_refused() {
    // Key 2 signs, then its signature is relabelled with key 1's id.
    let unsigned = builder().build().unwrap();
    let by2 = Bundle::from_bytes(&unsigned)
        .unwrap()
        .sign(&key(2))
        .unwrap();
    let id1 = key(1).public_key().id().to_string();
    let id2 = key(2).public_key().id().to_string();
    let bad = rewrite(&by2, |e| {
        let s = &mut e.iter_mut().find(|x| x.0 == "signatures.json").unwrap().1;
        *s = String::from_utf8(s.clone())
            .unwrap()
            .replace(&id2, &id1)
            .into_bytes();
    });
    assert!(matches!(
        verify(&bad, &[&key(1)]),
        Err(BundleError::BadSignature { key_id }) if key_id == id1
    ));
}

#[test]
fn two_signatures_verify_with_either_key_and_a_re_sign_replaces() {
    let once = signed();
    let twice = Bundle::from_bytes(&once).unwrap().sign(&key(2)).unwrap();
    assert_eq!(Bundle::from_bytes(&twice).unwrap().signatures().len(), 2);
    assert_eq!(verify(&twice, &[&key(2)]).unwrap().signed_by().len(), 1);
    assert_eq!(
        verify(&twice, &[&key(1), &key(2)])
            .unwrap()
            .signed_by()
            .len(),
        2
    );
    let again = Bundle::from_bytes(&twice).unwrap().sign(&key(1)).unwrap();
    assert_eq!(
        again, twice,
        "signing is deterministic and replaces a key's own signature"
    );
}

#[test]
fn an_extra_file_is_refused() {
    let bad = rewrite(&signed(), |e| {
        e.insert(2, ("lists/extra.txt".into(), b"X\n".to_vec()));
    });
    let e = verify(&bad, &[&key(1)]).unwrap_err();
    assert!(
        matches!(&e, BundleError::UnlistedFile { path } if path == "lists/extra.txt"),
        "{e}"
    );
}

#[test]
fn a_missing_file_is_refused() {
    let bad = rewrite(&signed(), |e| e.retain(|x| x.0 != "tables/limit.csv"));
    let e = verify(&bad, &[&key(1)]).unwrap_err();
    assert!(
        matches!(&e, BundleError::MissingFile { path } if path == "tables/limit.csv"),
        "{e}"
    );
    let checks = Bundle::from_bytes(&bad).unwrap().file_checks();
    assert!(
        checks
            .iter()
            .any(|(f, c)| f.path == "tables/limit.csv" && *c == FileCheck::Missing)
    );
}

#[test]
fn a_truncated_archive_is_refused_at_every_length() {
    let bytes = signed();
    for cut in (0..bytes.len())
        .step_by(97)
        .chain([bytes.len() - 1, bytes.len() - 512])
    {
        match Bundle::from_bytes(&bytes[..cut]) {
            Err(BundleError::Truncated { .. } | BundleError::Archive { .. }) => {}
            Err(e) => panic!("cut at {cut}: unexpected error {e}"),
            Ok(b) => {
                // A cut exactly after whole entries leaves a shorter but
                // well-formed archive: verification still refuses it.
                assert!(
                    b.verify(&trusted(&[&key(1)])).is_err(),
                    "cut at {cut} verified"
                );
            }
        }
    }
}

#[test]
fn trailing_or_hidden_bytes_are_refused() {
    let mut bytes = signed();
    bytes.extend_from_slice(&[0u8; 512]);
    assert!(matches!(
        verify(&bytes, &[&key(1)]),
        Err(BundleError::NotCanonical { .. })
    ));
    let mut bytes = signed();
    let n = bytes.len();
    bytes[n - 2048] = b'x'; // in the padding or end blocks
    assert!(verify(&bytes, &[&key(1)]).is_err());
}

#[test]
fn path_traversal_absolute_paths_links_and_duplicates_are_refused() {
    let ok = signed();
    let mut e = entries(&ok);
    let manifest = e.remove(0).1;
    for (path, kind, want) in [
        ("../evil.sem", tar::EntryType::Regular, "`..`"),
        ("sources/../../evil", tar::EntryType::Regular, "`..`"),
        ("/etc/passwd", tar::EntryType::Regular, "absolute"),
        ("sources/link", tar::EntryType::Symlink, "symbolic link"),
        ("sources/hard", tar::EntryType::Link, "hard link"),
        ("sources", tar::EntryType::Directory, "directory"),
        ("sources/a b.sem", tar::EntryType::Regular, "character"),
    ] {
        let bad = raw_archive(&[
            ("manifest.json", tar::EntryType::Regular, &manifest),
            (path, kind, b"x"),
        ]);
        let err = Bundle::from_bytes(&bad).unwrap_err();
        assert!(err.to_string().contains(want), "{path}: {err}");
        assert!(err.to_string().contains(path), "{path}: {err}");
    }
    let dup = raw_archive(&[
        ("manifest.json", tar::EntryType::Regular, &manifest),
        ("manifest.json", tar::EntryType::Regular, &manifest),
    ]);
    assert!(matches!(
        Bundle::from_bytes(&dup),
        Err(BundleError::DuplicateEntry { path }) if path == "manifest.json"
    ));
}

#[test]
fn a_manifest_path_that_escapes_is_refused() {
    let bytes = signed();
    let bad = rewrite(&bytes, |e| {
        let m = &mut e.iter_mut().find(|x| x.0 == "manifest.json").unwrap().1;
        *m = String::from_utf8(m.clone())
            .unwrap()
            .replace("\"lists/watched.txt\"", "\"../watched.txt\"")
            .into_bytes();
    });
    let e = Bundle::from_bytes(&bad).unwrap_err();
    assert!(
        matches!(&e, BundleError::BadPath { path, .. } if path == "../watched.txt"),
        "{e}"
    );
}

#[test]
fn garbage_and_an_empty_input_are_refused_without_panicking() {
    for input in [&b""[..], b"not a bundle", &[0u8; 1024], &[0xffu8; 2048]] {
        assert!(Bundle::from_bytes(input).is_err());
    }
    let no_manifest = raw_archive(&[("a.txt", tar::EntryType::Regular, b"x")]);
    assert!(matches!(
        Bundle::from_bytes(&no_manifest),
        Err(BundleError::MissingManifest)
    ));
    let bad_json = raw_archive(&[("manifest.json", tar::EntryType::Regular, b"{")]);
    assert!(matches!(
        Bundle::from_bytes(&bad_json),
        Err(BundleError::Manifest { .. })
    ));
}

#[test]
fn a_bundle_whose_fingerprint_differs_from_its_manifest_is_refused() {
    // A signer's tooling that wrote a wrong fingerprint: signed and
    // internally consistent, but not the ruleset it claims to be.
    let unsigned = builder().build().unwrap();
    let v = Bundle::from_bytes(&unsigned).unwrap();
    let fp = v.manifest().ruleset.fingerprint.clone();
    let bad = rewrite(&unsigned, |e| {
        let m = &mut e.iter_mut().find(|x| x.0 == "manifest.json").unwrap().1;
        *m = String::from_utf8(m.clone())
            .unwrap()
            .replace(&fp, &"0".repeat(64))
            .into_bytes();
    });
    let e = Bundle::from_bytes(&bad).unwrap().sign(&key(1)).unwrap_err();
    assert!(
        matches!(
            &e,
            BundleError::RulesetMismatch {
                what: "fingerprint",
                ..
            }
        ),
        "{e}"
    );
}

#[test]
fn keys_round_trip_through_their_files_and_a_secret_is_never_trusted() {
    let k = key(5);
    let again = SecretKey::parse(&k.to_text()).unwrap();
    assert_eq!(again.public_key(), k.public_key());
    let public = PublicKey::parse(&k.public_key().to_text()).unwrap();
    assert_eq!(public.id(), k.public_key().id());
    let e = PublicKey::parse(&k.to_text()).unwrap_err();
    assert!(e.to_string().contains("secret key file"), "{e}");
    assert!(!format!("{k:?}").contains(&"05".repeat(8)));
    assert!(PublicKey::parse("semaforo-ed25519-public 12").is_err());
    assert!(SecretKey::parse("").is_err());
}

// ---- the reload rule ----

#[test]
fn a_live_ruleset_swaps_only_to_a_bundle_that_verifies() {
    let good = signed();
    let live = LiveRuleset::load(trusted(&[&key(1)]), &good).unwrap();
    let before = live.current().fingerprint_hex().to_string();

    let mut b2 = BundleBuilder::new();
    b2.add_source("demo.sem", RULES.replace("score 30", "score 31"));
    b2.add_list_file("watched", "watched.txt", "CN\n");
    b2.add_table_file("limit", "limit.csv", "key,value\nCN,100\n");
    let next = Bundle::from_bytes(&b2.build().unwrap())
        .unwrap()
        .sign(&key(1))
        .unwrap();
    let next_untrusted = Bundle::from_bytes(&b2.build().unwrap())
        .unwrap()
        .sign(&key(2))
        .unwrap();

    for bad in [
        flip(&next, b"score 31"),
        next_untrusted,
        next[..next.len() - 1024].to_vec(),
        b"garbage".to_vec(),
    ] {
        assert!(live.reload(&bad).is_err());
        assert_eq!(
            live.current().fingerprint_hex(),
            before,
            "a failed reload keeps the running ruleset"
        );
    }
    let v = live.reload(&next).unwrap();
    assert_ne!(live.current().fingerprint_hex(), before);
    assert_eq!(
        live.current().fingerprint_hex(),
        v.manifest().ruleset.fingerprint
    );
    assert!(LiveRuleset::load(trusted(&[&key(2)]), &good).is_err());
}

#[test]
fn a_live_ruleset_refuses_a_bundle_whose_vectors_fail_on_this_engine() {
    // Expected outcomes edited by hand (and re-signed): the vectors no
    // longer match what the engine decides, so the bundle is not run.
    let unsigned = builder().build().unwrap();
    let edited = rewrite(&unsigned, |e| {
        let exp = e
            .iter()
            .find(|x| x.0 == "conformance/expected.jsonl")
            .unwrap()
            .1
            .clone();
        let new =
            String::from_utf8(exp.clone())
                .unwrap()
                .replacen("\"score\":30", "\"score\":99", 1);
        assert_ne!(new.as_bytes(), exp.as_slice());
        let hash = |d: &[u8]| {
            use sha2::Digest;
            sha2::Sha256::digest(d)
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect::<String>()
        };
        let m = &mut e.iter_mut().find(|x| x.0 == "manifest.json").unwrap().1;
        *m = String::from_utf8(m.clone())
            .unwrap()
            .replace(&hash(&exp), &hash(new.as_bytes()))
            .into_bytes();
        e.iter_mut()
            .find(|x| x.0 == "conformance/expected.jsonl")
            .unwrap()
            .1 = new.into_bytes();
    });
    let resigned = Bundle::from_bytes(&edited).unwrap().sign(&key(1)).unwrap();
    assert!(
        verify(&resigned, &[&key(1)]).is_ok(),
        "the bundle itself verifies"
    );
    let e = LiveRuleset::load(trusted(&[&key(1)]), &resigned).unwrap_err();
    assert!(
        matches!(
            e,
            BundleError::ConformanceFailed {
                failed: 1,
                total: 3,
                ..
            }
        ),
        "{e}"
    );
    assert!(e.to_string().contains("score expected 99, got 30"), "{e}");
}

// ---- the committed example (examples/regional/bundle/) ----

fn example(path: &str) -> Vec<u8> {
    let root =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/regional/bundle");
    std::fs::read(root.join(path)).unwrap()
}

fn example_keys() -> TrustedKeys {
    let mut t = TrustedKeys::new();
    t.add(PublicKey::parse(&String::from_utf8(example("example-signing.pub")).unwrap()).unwrap());
    t
}

#[test]
fn the_example_bundle_verifies_and_its_conformance_vectors_pass() {
    let bytes = example("regional.bundle");
    let v = Bundle::verify_bytes(&bytes, &example_keys()).unwrap();
    assert_eq!(v.manifest().ruleset.name, "captac-dr");
    // The regional package names itself, with its version, in the manifest.
    let packages: Vec<(&str, &str)> = v
        .manifest()
        .ruleset
        .packages
        .iter()
        .map(|p| (p.name.as_str(), p.version.as_str()))
        .collect();
    assert_eq!(packages, [("captac-dr", "2026.11.1")]);
    let report = v.run_conformance(&v.ruleset()).unwrap();
    assert_eq!(report.total, 44);
    assert!(report.passed(), "{:#?}", report.mismatches);
    // The bundle's tests travel with its sources and pass.
    let ctx = semaforo::Context::new(
        Date::parse("2026-11-20").unwrap(),
        SamplingKey::default(),
        "t",
    );
    let tests = v.ruleset().run_tests(&ctx);
    assert!(!tests.is_empty());
    assert!(tests.iter().all(|t| t.passed()));
    // And a live ruleset loads it.
    let live = LiveRuleset::load(example_keys(), &bytes).unwrap();
    assert_eq!(
        live.current().fingerprint_hex(),
        v.manifest().ruleset.fingerprint
    );
}

#[test]
fn a_tampered_example_bundle_is_refused() {
    let bytes = example("regional.bundle");
    let bad = flip(&bytes, b"watched_importers");
    assert!(Bundle::verify_bytes(&bad, &example_keys()).is_err());
    let bad = flip(&bytes, b"rule ");
    let e = Bundle::verify_bytes(&bad, &example_keys()).unwrap_err();
    assert!(
        matches!(&e, BundleError::HashMismatch { path, .. } if path == "sources/regional.sem"),
        "{e}"
    );
}

#[test]
fn a_manifest_with_an_invalid_conformance_date_or_key_is_refused() {
    let unsigned = builder().build().unwrap();
    for (from, to) in [
        ("\"2026-06-01\"", "\"2026-13-01\""),
        (&*format!("\"{}\"", "03".repeat(16)), "\"0303\""),
    ] {
        let bad = rewrite(&unsigned, |e| {
            let m = &mut e.iter_mut().find(|x| x.0 == "manifest.json").unwrap().1;
            *m = String::from_utf8(m.clone())
                .unwrap()
                .replace(from, to)
                .into_bytes();
        });
        let e = Bundle::from_bytes(&bad).unwrap_err();
        assert!(matches!(e, BundleError::Manifest { .. }), "{e}");
        assert!(e.to_string().contains("conformance"), "{e}");
    }
}

#[test]
fn hostile_sizes_and_counts_are_refused_without_allocating_them() {
    // An entry that claims a terabyte: refused from the header alone.
    let mut h = tar::Header::new_ustar();
    h.as_old_mut().name[..13].copy_from_slice(b"manifest.json");
    h.set_size(1 << 40);
    h.set_entry_type(tar::EntryType::Regular);
    h.set_cksum();
    let mut bytes = h.as_bytes().to_vec();
    bytes.extend_from_slice(&[0u8; 1024]);
    let e = Bundle::from_bytes(&bytes).unwrap_err();
    assert!(
        matches!(&e, BundleError::Truncated { detail } if detail.contains("manifest.json")),
        "{e}"
    );

    // More entries than the limit.
    let names: Vec<String> = (0..=semaforo::bundle::MAX_ENTRIES)
        .map(|i| format!("f{i}"))
        .collect();
    let items: Vec<(&str, tar::EntryType, &[u8])> = names
        .iter()
        .map(|n| (n.as_str(), tar::EntryType::Regular, &b""[..]))
        .collect();
    let e = Bundle::from_bytes(&raw_archive(&items)).unwrap_err();
    assert!(matches!(e, BundleError::TooManyEntries { .. }), "{e}");
}

#[test]
fn readers_of_a_live_ruleset_only_ever_see_verified_bundles() {
    // Four readers evaluate while a reloader alternates good bundles (two
    // versions) with tampered ones; every outcome names a good bundle's
    // fingerprint, and the running ruleset after a refused reload is the
    // last good one.
    use std::sync::atomic::{AtomicBool, Ordering};
    let versions: Vec<Vec<u8>> = [30, 31]
        .iter()
        .map(|points| {
            let mut b = BundleBuilder::new();
            b.add_source(
                "demo.sem",
                RULES.replace("score 30", &format!("score {points}")),
            );
            b.add_list_file("watched", "watched.txt", "CN\n");
            b.add_table_file("limit", "limit.csv", "key,value\nCN,100\n");
            Bundle::from_bytes(&b.build().unwrap())
                .unwrap()
                .sign(&key(1))
                .unwrap()
        })
        .collect();
    let good: Vec<String> = versions
        .iter()
        .map(|v| {
            verify(v, &[&key(1)])
                .unwrap()
                .manifest()
                .ruleset
                .fingerprint
                .clone()
        })
        .collect();
    let live = LiveRuleset::load(trusted(&[&key(1)]), &versions[0]).unwrap();
    let stop = AtomicBool::new(false);
    let ctx = semaforo::Context::new(
        Date::parse("2026-06-01").unwrap(),
        SamplingKey::default(),
        "t",
    );
    std::thread::scope(|s| {
        for _ in 0..4 {
            s.spawn(|| {
                let mut n = 0;
                while !stop.load(Ordering::Relaxed) || n == 0 {
                    let rs = live.current();
                    let mut ev = rs.evaluator();
                    let out = ev
                        .eval_json(br#"{"id": "D", "origin": "CN", "value": 1}"#, &ctx)
                        .unwrap();
                    let mut json = String::new();
                    out.write_json(&mut json);
                    assert!(good.iter().any(|g| json.contains(g.as_str())), "{json}");
                    n += 1;
                }
            });
        }
        for i in 0..40 {
            let v = &versions[i % 2];
            live.reload(v).unwrap();
            assert!(live.reload(&flip(v, b"score 3")).is_err());
            assert_eq!(live.current().fingerprint_hex(), good[i % 2]);
        }
        stop.store(true, Ordering::Relaxed);
    });
}
