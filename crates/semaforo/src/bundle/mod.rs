//! Signed ruleset bundles and their conformance vectors
//! (`docs/bundles.md`).
//!
//! A bundle is one file, a tar archive in one canonical form (every
//! header field fixed, entries in manifest order): `manifest.json` (the ruleset's name,
//! version and fingerprint, the engine version, and every file with its
//! SHA-256 and size), the rule sources, list and table files and
//! conformance vectors the manifest names, and `signatures.json` (Ed25519
//! signatures of the exact bytes of `manifest.json`, by key id).
//!
//! Data flows one way: bytes -> [`Bundle`] (the archive read with limits,
//! the manifest and signatures parsed; nothing trusted yet) ->
//! [`Bundle::verify`] against [`TrustedKeys`] -> [`VerifiedBundle`] (signed
//! by a trusted key, every file present and matching its hash, compiled,
//! fingerprint equal to the manifest's) -> [`Ruleset`]. [`LiveRuleset`]
//! keeps the running ruleset and swaps only to a bundle that verifies.
//! [`BundleBuilder`] writes a bundle; [`Bundle::sign`] adds a signature.
//!
//! # Input safety
//!
//! A bundle is hostile until verified: its size (256 MiB), entry count
//! (10 000) and path length (100 bytes) are limited; every entry must be a
//! regular file with a relative path of plain components (no `..`, no
//! absolute path, no link, no device, no duplicate); an archive cut short
//! or not in the canonical form is refused. Each refusal is a distinct
//! [`BundleError`] naming the entry, file or key id.

mod archive;
mod build;
mod conformance;
mod keys;
mod live;

pub use archive::{MAX_BUNDLE_BYTES, MAX_ENTRIES, MAX_PATH_BYTES};
pub use build::BundleBuilder;
pub use conformance::{ConformanceMismatch, ConformanceReport, ExpectedOutcome};
pub use keys::{PublicKey, SecretKey, TrustedKeys};
pub use live::LiveRuleset;

use crate::compiler::{CompileError, Compiler};
use crate::fingerprint::hex;
use crate::ruleset::{Context, Ruleset};
use semaforo_plan::{Date, SamplingKey};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::BTreeSet;

/// The manifest entry's path.
pub const MANIFEST_PATH: &str = "manifest.json";
/// The signatures entry's path.
pub const SIGNATURES_PATH: &str = "signatures.json";
/// The manifest format this engine writes and reads.
pub const FORMAT_VERSION: u32 = 1;

/// Why a bundle was refused (or could not be built or signed).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BundleError {
    /// The bundle is larger than [`MAX_BUNDLE_BYTES`].
    #[error("the bundle is {size} bytes, more than the limit of {limit}")]
    TooLarge {
        /// The bundle's size.
        size: u64,
        /// The limit.
        limit: u64,
    },
    /// The archive was cut short.
    #[error("the bundle is truncated: {detail}")]
    Truncated {
        /// What is missing.
        detail: String,
    },
    /// The archive could not be read.
    #[error("the bundle is not a valid archive (entry {entry}): {message}")]
    Archive {
        /// The entry's index (0 for the first).
        entry: usize,
        /// The reader's message.
        message: String,
    },
    /// More entries than [`MAX_ENTRIES`].
    #[error("the bundle has more than {limit} entries")]
    TooManyEntries {
        /// The limit.
        limit: usize,
    },
    /// An entry is a link, directory, device or extension header.
    #[error("entry `{path}` is {kind}; a bundle holds regular files only")]
    NotAFile {
        /// The entry's path.
        path: String,
        /// What it is.
        kind: String,
    },
    /// A path that could escape a directory or is not portable.
    #[error("path `{path}` is refused: {reason}")]
    BadPath {
        /// The path.
        path: String,
        /// Why.
        reason: String,
    },
    /// Two entries (or two manifest files) with one path.
    #[error("entry `{path}` appears twice")]
    DuplicateEntry {
        /// The path.
        path: String,
    },
    /// No `manifest.json`.
    #[error("the bundle has no `manifest.json`")]
    MissingManifest,
    /// `manifest.json` is not a valid manifest.
    #[error("`manifest.json` is invalid: {message}")]
    Manifest {
        /// What is wrong.
        message: String,
    },
    /// A manifest format this engine does not read.
    #[error(
        "the manifest's format {found} is not supported (this engine reads format {FORMAT_VERSION})"
    )]
    UnsupportedFormat {
        /// The format found.
        found: u32,
    },
    /// `signatures.json` is not valid.
    #[error("`signatures.json` is invalid: {message}")]
    Signatures {
        /// What is wrong.
        message: String,
    },
    /// No trusted key was configured.
    #[error("no trusted public keys are configured, so no bundle can be verified")]
    NoTrustedKeys,
    /// The bundle carries no signature.
    #[error("the bundle is not signed")]
    Unsigned,
    /// Signed, but by none of the trusted keys.
    #[error("the bundle is signed only by untrusted keys ({})", key_list(.key_ids))]
    Untrusted {
        /// The key ids of its signatures.
        key_ids: Vec<String>,
    },
    /// A signature by a trusted key does not match the manifest: the
    /// manifest was changed after signing, or the signature is forged.
    #[error(
        "the signature of trusted key `{key_id}` does not match `manifest.json` (the manifest was changed after signing)"
    )]
    BadSignature {
        /// The key id.
        key_id: String,
    },
    /// A file the manifest lists is not in the archive.
    #[error("file `{path}` is listed in the manifest but missing from the bundle")]
    MissingFile {
        /// Its path.
        path: String,
    },
    /// A file in the archive that the manifest does not list.
    #[error("file `{path}` is in the bundle but not listed in the manifest")]
    UnlistedFile {
        /// Its path.
        path: String,
    },
    /// A file whose contents are not what the manifest says.
    #[error(
        "file `{path}` does not match the manifest: SHA-256 {actual}, the manifest says {expected}"
    )]
    HashMismatch {
        /// Its path.
        path: String,
        /// The manifest's hash (and size).
        expected: String,
        /// The file's.
        actual: String,
    },
    /// A rule source, list or table that is not UTF-8.
    #[error("file `{path}` is not valid UTF-8")]
    NotUtf8 {
        /// Its path.
        path: String,
    },
    /// The archive's bytes differ from the canonical form of its contents.
    #[error(
        "the archive is not in the canonical form `semaforo bundle build` writes (first difference at byte {offset})"
    )]
    NotCanonical {
        /// The first differing byte.
        offset: u64,
    },
    /// The bundled rules and data do not compile.
    #[error("the bundled ruleset does not compile:\n{0}")]
    Compile(Box<CompileError>),
    /// The compiled ruleset is not the one the manifest names.
    #[error("the compiled ruleset's {what} is `{compiled}`, the manifest says `{manifest}`")]
    RulesetMismatch {
        /// `name`, `version`, `fingerprint` or `packages`.
        what: &'static str,
        /// The manifest's.
        manifest: String,
        /// The compiled ruleset's.
        compiled: String,
    },
    /// A conformance file (or its input when building) is invalid.
    #[error("`{path}` line {line}: {message}")]
    Conformance {
        /// The file.
        path: String,
        /// The line (1-based; 0 for the file as a whole).
        line: usize,
        /// What is wrong.
        message: String,
    },
    /// The bundle has no conformance vectors.
    #[error("the bundle carries no conformance vectors")]
    NoConformance,
    /// The bundle's conformance vectors do not give their expected
    /// outcomes on its own ruleset ([`LiveRuleset`] refuses it).
    #[error("{failed} of {total} conformance vectors fail; first: {first}")]
    ConformanceFailed {
        /// Vectors that fail.
        failed: usize,
        /// All vectors.
        total: usize,
        /// The first failure.
        first: String,
    },
    /// A key file or key is invalid.
    #[error("invalid key: {message}")]
    Key {
        /// What is wrong.
        message: String,
    },
}

fn key_list(ids: &[String]) -> String {
    ids.iter()
        .map(|k| format!("`{k}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// One file of a bundle, as the manifest lists it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct FileEntry {
    /// The path inside the bundle.
    pub path: String,
    /// The SHA-256 of its bytes, 64 lowercase hexadecimal digits.
    pub sha256: String,
    /// Its size in bytes.
    pub size: u64,
}

/// A list or table file: the external name it supplies and the file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct NamedFile {
    /// The list or table name (`list NAME` in the rules).
    pub name: String,
    /// The file.
    #[serde(flatten)]
    pub file: FileEntry,
}

/// The ruleset a bundle holds, as compiled when it was built.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct RulesetId {
    /// `ruleset NAME`.
    pub name: String,
    /// Its version.
    pub version: String,
    /// The fingerprint (`docs/fingerprint.md`), lowercase hexadecimal.
    pub fingerprint: String,
    /// The packages the ruleset is built from, with their versions, in the
    /// order given (`docs/regional.md`); absent when there are none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub packages: Vec<PackageId>,
}

/// A package a bundled ruleset is built from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct PackageId {
    /// The package's name.
    pub name: String,
    /// Its version.
    pub version: String,
}

impl PackageId {
    /// The packages of a compiled ruleset.
    pub(crate) fn of(ruleset: &crate::Ruleset) -> Vec<PackageId> {
        ruleset
            .packages()
            .map(|p| PackageId {
                name: p.name.to_string(),
                version: p.version.to_string(),
            })
            .collect()
    }

    /// `name version, ...` for messages.
    fn list(packages: &[PackageId]) -> String {
        packages
            .iter()
            .map(|p| format!("{} {}", p.name, p.version))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// The conformance vectors: declarations, the outcomes the engine gave
/// them when the bundle was built, and the date and public sampling key
/// they were evaluated with.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct ConformanceFiles {
    /// The declarations, JSON Lines.
    pub declarations: FileEntry,
    /// One expected outcome per declaration, JSON Lines.
    pub expected: FileEntry,
    /// The evaluation date, `YYYY-MM-DD`.
    pub today: String,
    /// The conformance sampling key, 32 hexadecimal digits. Public (it is
    /// in the bundle), so it is never a production key.
    pub sampling_key: String,
    /// Its label in outcomes.
    pub sampling_key_id: String,
}

/// The contents of `manifest.json`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct Manifest {
    /// The manifest format, [`FORMAT_VERSION`].
    pub format: u32,
    /// The ruleset.
    pub ruleset: RulesetId,
    /// The engine version that built the bundle
    /// ([`ENGINE_VERSION`](crate::ENGINE_VERSION)).
    pub engine: String,
    /// The rule sources, in compile order.
    pub sources: Vec<FileEntry>,
    /// The external list files.
    pub lists: Vec<NamedFile>,
    /// The external table files.
    pub tables: Vec<NamedFile>,
    /// The conformance vectors, if any.
    pub conformance: Option<ConformanceFiles>,
}

impl Manifest {
    /// Every file the manifest lists, in archive order: sources, lists,
    /// tables, conformance declarations and expected outcomes.
    pub fn files(&self) -> impl Iterator<Item = &FileEntry> {
        self.sources
            .iter()
            .chain(self.lists.iter().map(|l| &l.file))
            .chain(self.tables.iter().map(|t| &t.file))
            .chain(
                self.conformance
                    .iter()
                    .flat_map(|c| [&c.declarations, &c.expected]),
            )
    }
}

/// One signature of a bundle's manifest.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct BundleSignature {
    /// The key id of the signing key.
    pub key_id: String,
    /// The Ed25519 signature of `manifest.json`'s bytes, 128 hexadecimal
    /// digits.
    pub signature: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct SignatureFile {
    signatures: Vec<BundleSignature>,
}

/// The check of one listed file ([`Bundle::file_checks`]).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum FileCheck {
    /// Present and matching the manifest.
    Ok,
    /// Listed but not in the archive.
    Missing,
    /// Present with another hash or size (the file's).
    Mismatch {
        /// The file's SHA-256.
        sha256: String,
        /// The file's size.
        size: u64,
    },
}

/// A bundle read from bytes: structurally valid, not yet trusted.
#[derive(Clone, Debug)]
pub struct Bundle {
    manifest_bytes: Vec<u8>,
    manifest: Manifest,
    /// Every entry but the manifest and signatures, in archive order.
    files: Vec<(String, Vec<u8>)>,
    signatures: Vec<BundleSignature>,
    /// The input, for the canonical-form check.
    raw: Vec<u8>,
}

/// The archive's entries split into the manifest's raw bytes, the parsed
/// signatures and the other files, before the manifest is parsed.
struct Parts {
    manifest_bytes: Vec<u8>,
    signatures: Vec<BundleSignature>,
    files: Vec<(String, Vec<u8>)>,
}

impl Parts {
    fn read(bytes: &[u8]) -> Result<Parts, BundleError> {
        let mut manifest_bytes = None;
        let mut signatures = None;
        let mut files = Vec::new();
        for (path, data) in archive::read(bytes)? {
            match path.as_str() {
                MANIFEST_PATH => manifest_bytes = Some(data),
                SIGNATURES_PATH => signatures = Some(data),
                _ => files.push((path, data)),
            }
        }
        let manifest_bytes = manifest_bytes.ok_or(BundleError::MissingManifest)?;
        let signatures = match signatures {
            None => Vec::new(),
            Some(s) => {
                let parsed: SignatureFile =
                    serde_json::from_slice(&s).map_err(|e| BundleError::Signatures {
                        message: e.to_string(),
                    })?;
                parsed.signatures
            }
        };
        Ok(Parts {
            manifest_bytes,
            signatures,
            files,
        })
    }
}

/// Step 1 of [`Bundle::verify`]: the key ids of the trusted keys whose
/// signatures of `manifest` verify; an error if there is none, or if a
/// signature by a trusted key does not verify.
fn check_signatures(
    manifest: &[u8],
    signatures: &[BundleSignature],
    trusted: &TrustedKeys,
) -> Result<Vec<String>, BundleError> {
    if trusted.is_empty() {
        return Err(BundleError::NoTrustedKeys);
    }
    if signatures.is_empty() {
        return Err(BundleError::Unsigned);
    }
    let mut signed_by = Vec::new();
    for s in signatures {
        let Some(key) = trusted.get(&s.key_id) else {
            continue;
        };
        let mut sig = [0u8; 64];
        let ok = keys::hex_into(&s.signature, &mut sig).is_some() && key.verifies(manifest, &sig);
        if !ok {
            return Err(BundleError::BadSignature {
                key_id: s.key_id.clone(),
            });
        }
        signed_by.push(s.key_id.clone());
    }
    if signed_by.is_empty() {
        return Err(BundleError::Untrusted {
            key_ids: signatures.iter().map(|s| s.key_id.clone()).collect(),
        });
    }
    Ok(signed_by)
}

fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

fn file_entry(path: String, bytes: &[u8]) -> FileEntry {
    FileEntry {
        path,
        sha256: sha256_hex(bytes),
        size: bytes.len() as u64,
    }
}

fn to_json_lines<T: Serialize>(value: &T) -> Result<Vec<u8>, BundleError> {
    let mut v = serde_json::to_vec_pretty(value).map_err(|e| BundleError::Manifest {
        message: e.to_string(),
    })?;
    v.push(b'\n');
    Ok(v)
}

impl Bundle {
    /// Reads a bundle: the archive (with the limits of the module docs),
    /// `manifest.json` and `signatures.json`. Nothing is verified yet:
    /// call [`Bundle::verify`], or read and verify in one step with
    /// [`Bundle::verify_bytes`].
    pub fn from_bytes(bytes: &[u8]) -> Result<Bundle, BundleError> {
        Bundle::from_parts(Parts::read(bytes)?, bytes)
    }

    /// Reads and verifies a bundle (the steps of [`Bundle::verify`]). The
    /// signatures are checked on the raw bytes of `manifest.json` before
    /// the manifest is parsed, so a changed manifest is refused as
    /// [`BundleError::BadSignature`] even when the change breaks its JSON.
    ///
    /// ```no_run
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use semaforo::bundle::{Bundle, PublicKey, TrustedKeys};
    /// let mut trusted = TrustedKeys::new();
    /// trusted.add(PublicKey::parse(&std::fs::read_to_string("regional.pub")?)?);
    /// let verified = Bundle::verify_bytes(&std::fs::read("regional.bundle")?, &trusted)?;
    /// let ruleset = verified.ruleset();
    /// # Ok(()) }
    /// ```
    pub fn verify_bytes(
        bytes: &[u8],
        trusted: &TrustedKeys,
    ) -> Result<VerifiedBundle, BundleError> {
        let parts = Parts::read(bytes)?;
        let signed_by = check_signatures(&parts.manifest_bytes, &parts.signatures, trusted)?;
        let bundle = Bundle::from_parts(parts, bytes)?;
        let ruleset = bundle.check_contents()?;
        Ok(VerifiedBundle {
            bundle,
            ruleset,
            signed_by,
        })
    }

    fn from_parts(parts: Parts, raw: &[u8]) -> Result<Bundle, BundleError> {
        let Parts {
            manifest_bytes,
            signatures,
            files,
        } = parts;
        let manifest: Manifest =
            serde_json::from_slice(&manifest_bytes).map_err(|e| BundleError::Manifest {
                message: e.to_string(),
            })?;
        if manifest.format != FORMAT_VERSION {
            return Err(BundleError::UnsupportedFormat {
                found: manifest.format,
            });
        }
        if let Some(c) = &manifest.conformance {
            conformance_context(c)?;
        }
        let mut listed = BTreeSet::new();
        for f in manifest.files() {
            archive::check_path(&f.path)?;
            if f.path == MANIFEST_PATH || f.path == SIGNATURES_PATH || !listed.insert(&f.path) {
                return Err(BundleError::Manifest {
                    message: format!("file `{}` is listed twice or has a reserved name", f.path),
                });
            }
        }
        Ok(Bundle {
            manifest_bytes,
            manifest,
            files,
            signatures,
            raw: raw.to_vec(),
        })
    }

    /// The manifest.
    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    /// The exact bytes of `manifest.json` (what is signed).
    pub fn manifest_bytes(&self) -> &[u8] {
        &self.manifest_bytes
    }

    /// The signatures, in the order they were added.
    pub fn signatures(&self) -> &[BundleSignature] {
        &self.signatures
    }

    /// The bytes of the file at `path`, if the archive holds it.
    pub fn file(&self, path: &str) -> Option<&[u8]> {
        self.files
            .iter()
            .find(|(p, _)| p == path)
            .map(|(_, d)| d.as_slice())
    }

    /// Checks each listed file against the manifest (for `bundle inspect`).
    pub fn file_checks(&self) -> Vec<(FileEntry, FileCheck)> {
        self.manifest
            .files()
            .map(|f| {
                let check = match self.file(&f.path) {
                    None => FileCheck::Missing,
                    Some(d) => {
                        let sha = sha256_hex(d);
                        if sha == f.sha256 && d.len() as u64 == f.size {
                            FileCheck::Ok
                        } else {
                            FileCheck::Mismatch {
                                sha256: sha,
                                size: d.len() as u64,
                            }
                        }
                    }
                };
                (f.clone(), check)
            })
            .collect()
    }

    /// Verifies the bundle, in this order (the first failure is returned):
    ///
    /// 1. at least one signature is by a key in `trusted`, and every
    ///    signature by a trusted key matches the manifest's bytes;
    /// 2. every file the manifest lists is present with its SHA-256 and
    ///    size, and no other file is;
    /// 3. the archive is in the canonical form;
    /// 4. the sources, lists and tables compile, and the compiled ruleset's
    ///    name, version and fingerprint are the manifest's.
    ///
    /// ```no_run
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use semaforo::bundle::{Bundle, PublicKey, TrustedKeys};
    /// let mut trusted = TrustedKeys::new();
    /// trusted.add(PublicKey::parse(&std::fs::read_to_string("regional.pub")?)?);
    /// let verified = Bundle::from_bytes(&std::fs::read("regional.bundle")?)?.verify(&trusted)?;
    /// let ruleset = verified.ruleset();
    /// # Ok(()) }
    /// ```
    pub fn verify(&self, trusted: &TrustedKeys) -> Result<VerifiedBundle, BundleError> {
        let signed_by = check_signatures(&self.manifest_bytes, &self.signatures, trusted)?;
        let ruleset = self.check_contents()?;
        Ok(VerifiedBundle {
            bundle: self.clone(),
            ruleset,
            signed_by,
        })
    }

    /// Steps 2 to 4 of [`Bundle::verify`].
    fn check_contents(&self) -> Result<Ruleset, BundleError> {
        let listed: BTreeSet<&str> = self.manifest.files().map(|f| f.path.as_str()).collect();
        for (path, _) in &self.files {
            if !listed.contains(path.as_str()) {
                return Err(BundleError::UnlistedFile { path: path.clone() });
            }
        }
        for (f, check) in self.file_checks() {
            match check {
                FileCheck::Ok => {}
                FileCheck::Missing => return Err(BundleError::MissingFile { path: f.path }),
                FileCheck::Mismatch { sha256, size } => {
                    return Err(BundleError::HashMismatch {
                        path: f.path,
                        expected: format!("{} ({} bytes)", f.sha256, f.size),
                        actual: format!("{sha256} ({size} bytes)"),
                    });
                }
            }
        }
        let canonical = self.canonical_bytes(&self.signatures)?;
        if canonical != self.raw {
            let offset = canonical
                .iter()
                .zip(&self.raw)
                .position(|(a, b)| a != b)
                .unwrap_or(canonical.len().min(self.raw.len()));
            return Err(BundleError::NotCanonical {
                offset: offset as u64,
            });
        }
        let ruleset = self.compile()?;
        let m = &self.manifest.ruleset;
        let packages = (
            PackageId::list(&m.packages),
            PackageId::list(&PackageId::of(&ruleset)),
        );
        for (what, manifest, compiled) in [
            ("name", m.name.as_str(), ruleset.name()),
            ("version", &m.version, ruleset.version()),
            ("fingerprint", &m.fingerprint, ruleset.fingerprint_hex()),
            ("packages", &packages.0, &packages.1),
        ] {
            if manifest != compiled {
                return Err(BundleError::RulesetMismatch {
                    what,
                    manifest: manifest.to_string(),
                    compiled: compiled.to_string(),
                });
            }
        }
        Ok(ruleset)
    }

    fn text(&self, path: &str) -> Result<String, BundleError> {
        let bytes = self.file(path).ok_or_else(|| BundleError::MissingFile {
            path: path.to_string(),
        })?;
        String::from_utf8(bytes.to_vec()).map_err(|_| BundleError::NotUtf8 {
            path: path.to_string(),
        })
    }

    /// Compiles the bundled sources, lists and tables (diagnostics name the
    /// files by their paths in the bundle).
    fn compile(&self) -> Result<Ruleset, BundleError> {
        let mut c = Compiler::new();
        for s in &self.manifest.sources {
            c.add_source(s.path.clone(), self.text(&s.path)?);
        }
        for l in &self.manifest.lists {
            c.add_list_file(
                l.name.clone(),
                l.file.path.clone(),
                self.text(&l.file.path)?,
            );
        }
        for t in &self.manifest.tables {
            c.add_table_file(
                t.name.clone(),
                t.file.path.clone(),
                self.text(&t.file.path)?,
            );
        }
        c.compile().map_err(|e| BundleError::Compile(Box::new(e)))
    }

    /// The canonical bytes of this bundle with `signatures`: the manifest,
    /// the listed files in manifest order, then the signatures (if any).
    fn canonical_bytes(&self, signatures: &[BundleSignature]) -> Result<Vec<u8>, BundleError> {
        let sig_bytes = if signatures.is_empty() {
            None
        } else {
            Some(to_json_lines(&SignatureFile {
                signatures: signatures.to_vec(),
            })?)
        };
        let mut entries: Vec<(&str, &[u8])> = vec![(MANIFEST_PATH, &self.manifest_bytes)];
        for f in self.manifest.files() {
            let data = self.file(&f.path).ok_or_else(|| BundleError::MissingFile {
                path: f.path.clone(),
            })?;
            entries.push((&f.path, data));
        }
        if let Some(s) = &sig_bytes {
            entries.push((SIGNATURES_PATH, s));
        }
        archive::write(entries)
    }

    /// Adds `key`'s signature of the manifest and returns the new bundle's
    /// bytes. A signature by the same key is replaced. The contents are
    /// checked first (every file, the canonical form, the compiled
    /// fingerprint): a key never signs a bundle that would not verify.
    pub fn sign(&self, key: &SecretKey) -> Result<Vec<u8>, BundleError> {
        self.check_contents()?;
        let id = key.public_key().id().to_string();
        let signature = BundleSignature {
            key_id: id.clone(),
            signature: hex(&key.sign(&self.manifest_bytes)),
        };
        let mut signatures = self.signatures.clone();
        match signatures.iter_mut().find(|s| s.key_id == id) {
            Some(s) => *s = signature,
            None => signatures.push(signature),
        }
        self.canonical_bytes(&signatures)
    }
}

/// A bundle that verified against trusted keys, with its compiled ruleset.
#[derive(Clone, Debug)]
pub struct VerifiedBundle {
    bundle: Bundle,
    ruleset: Ruleset,
    signed_by: Vec<String>,
}

impl VerifiedBundle {
    /// The compiled ruleset (its fingerprint is the manifest's).
    pub fn ruleset(&self) -> Ruleset {
        self.ruleset.clone()
    }

    /// The manifest.
    pub fn manifest(&self) -> &Manifest {
        &self.bundle.manifest
    }

    /// The bundle.
    pub fn bundle(&self) -> &Bundle {
        &self.bundle
    }

    /// The key ids of the trusted keys whose signatures verified.
    pub fn signed_by(&self) -> &[String] {
        &self.signed_by
    }

    /// The context the conformance vectors run in (their date, the public
    /// conformance sampling key and its label), if the bundle has vectors.
    /// The bundle's `test` blocks can run in it too.
    pub fn conformance_context(&self) -> Option<Context> {
        let c = self.bundle.manifest.conformance.as_ref()?;
        // Checked when the manifest was read (`Bundle::from_parts`).
        conformance_context(c).ok()
    }

    /// Runs the bundle's conformance vectors against `ruleset` (a host's
    /// own compilation, or [`VerifiedBundle::ruleset`]), with the bundle's
    /// date and conformance sampling key. An error if the bundle has no
    /// vectors or they cannot be read; mismatches are in the report.
    pub fn run_conformance(&self, ruleset: &Ruleset) -> Result<ConformanceReport, BundleError> {
        let c = self
            .bundle
            .manifest
            .conformance
            .as_ref()
            .ok_or(BundleError::NoConformance)?;
        let declarations = self.bundle.text(&c.declarations.path)?;
        let expected = self.bundle.text(&c.expected.path)?;
        let ctx = conformance_context(c)?;
        conformance::run(ruleset, &ctx, c, &declarations, &expected)
    }
}

/// The context conformance vectors are evaluated in.
fn conformance_context(c: &ConformanceFiles) -> Result<Context, BundleError> {
    let bad = |message: String| BundleError::Manifest { message };
    let today = Date::parse(&c.today).ok_or_else(|| {
        bad(format!(
            "conformance `today` `{}` is not a date `YYYY-MM-DD`",
            c.today
        ))
    })?;
    let mut key = [0u8; 16];
    keys::hex_into(&c.sampling_key, &mut key).ok_or_else(|| {
        bad("conformance `sampling_key` must be 32 hexadecimal digits".to_string())
    })?;
    Ok(Context::new(
        today,
        SamplingKey(key),
        c.sampling_key_id.clone(),
    ))
}
