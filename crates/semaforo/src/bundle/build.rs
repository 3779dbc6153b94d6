//! Building a bundle: compile, compute the expected conformance outcomes,
//! write the manifest and the canonical archive.

use super::{
    BundleError, ConformanceFiles, FORMAT_VERSION, MANIFEST_PATH, Manifest, NamedFile, PackageId,
    RulesetId, archive, conformance, file_entry, to_json_lines,
};
use crate::compiler::Compiler;
use crate::fingerprint::hex;
use crate::ruleset::Context;
use semaforo_plan::{Date, SamplingKey};
use std::collections::BTreeMap;

/// Writes a bundle from rule sources, list and table files and,
/// optionally, conformance declarations. Deterministic: the same inputs
/// give the same bytes.
///
/// ```
/// use semaforo::bundle::{Bundle, BundleBuilder, SecretKey, TrustedKeys};
/// let mut b = BundleBuilder::new();
/// b.add_source("rules.sem", r#"ruleset "demo" version "1"
/// schema declaration { key id: text
///   origin: text }
/// list watched: text
/// rule R1 "Watched origin" { when origin in watched then score 10 }
/// "#);
/// b.add_list_file("watched", "watched.txt", "CN\n");
/// let unsigned = b.build().unwrap();
/// let key = SecretKey::from_seed([9; 32]);
/// let signed = Bundle::from_bytes(&unsigned).unwrap().sign(&key).unwrap();
/// let mut trusted = TrustedKeys::new();
/// trusted.add(key.public_key());
/// let verified = Bundle::from_bytes(&signed).unwrap().verify(&trusted).unwrap();
/// assert_eq!(verified.ruleset().name(), "demo");
/// ```
#[derive(Clone, Debug, Default)]
pub struct BundleBuilder {
    sources: Vec<(String, String)>,
    lists: Vec<(String, String, String)>,
    tables: Vec<(String, String, String)>,
    conformance: Option<(String, String, Date, SamplingKey, String)>,
}

/// The name a file is stored under: its last path component.
fn base_name(file_name: &str) -> &str {
    file_name.rsplit(['/', '\\']).next().unwrap_or(file_name)
}

impl BundleBuilder {
    /// An empty builder.
    pub fn new() -> BundleBuilder {
        BundleBuilder::default()
    }

    /// Adds a rule source (stored as `sources/` and the last component of
    /// `file_name`); sources are compiled in the order added.
    pub fn add_source(
        &mut self,
        file_name: impl Into<String>,
        text: impl Into<String>,
    ) -> &mut BundleBuilder {
        self.sources.push((file_name.into(), text.into()));
        self
    }

    /// Adds the list file supplying list `name` (stored as `lists/` and the
    /// last component of `file_name`).
    pub fn add_list_file(
        &mut self,
        name: impl Into<String>,
        file_name: impl Into<String>,
        text: impl Into<String>,
    ) -> &mut BundleBuilder {
        self.lists
            .push((name.into(), file_name.into(), text.into()));
        self
    }

    /// Adds the table file supplying table `name` (stored as `tables/` and
    /// the last component of `file_name`).
    pub fn add_table_file(
        &mut self,
        name: impl Into<String>,
        file_name: impl Into<String>,
        text: impl Into<String>,
    ) -> &mut BundleBuilder {
        self.tables
            .push((name.into(), file_name.into(), text.into()));
        self
    }

    /// Adds conformance vectors: `declarations` (JSON Lines, one
    /// declaration a line; blank lines are skipped), evaluated on `today`
    /// with the public conformance sampling `key` when the bundle is built,
    /// their outcomes stored as the expected ones. `file_name` names the
    /// declarations in errors and in the bundle (`conformance/`...).
    pub fn conformance(
        &mut self,
        file_name: impl Into<String>,
        declarations: impl Into<String>,
        today: Date,
        key: SamplingKey,
    ) -> &mut BundleBuilder {
        self.conformance = Some((
            file_name.into(),
            declarations.into(),
            today,
            key,
            "conformance".to_string(),
        ));
        self
    }

    /// Compiles the ruleset (diagnostics name the files as given), computes
    /// the expected conformance outcomes, and writes the unsigned bundle.
    pub fn build(&self) -> Result<Vec<u8>, BundleError> {
        let mut c = Compiler::new();
        for (file, text) in &self.sources {
            c.add_source(file.clone(), text.clone());
        }
        for (name, file, text) in &self.lists {
            c.add_list_file(name.clone(), file.clone(), text.clone());
        }
        for (name, file, text) in &self.tables {
            c.add_table_file(name.clone(), file.clone(), text.clone());
        }
        let ruleset = c.compile().map_err(|e| BundleError::Compile(Box::new(e)))?;

        let mut paths = BTreeMap::new();
        let mut path_of = |dir: &str, file: &str| -> Result<String, BundleError> {
            let path = format!("{dir}/{}", base_name(file));
            archive::check_path(&path)?;
            if let Some(first) = paths.insert(path.clone(), file.to_string()) {
                return Err(BundleError::BadPath {
                    path,
                    reason: format!("`{first}` and `{file}` would be stored under one name"),
                });
            }
            Ok(path)
        };
        let mut data: Vec<(String, Vec<u8>)> = Vec::new();
        let mut sources = Vec::new();
        for (file, text) in &self.sources {
            let path = path_of("sources", file)?;
            sources.push(file_entry(path.clone(), text.as_bytes()));
            data.push((path, text.as_bytes().to_vec()));
        }
        let mut named = |dir: &str,
                         items: &[(String, String, String)],
                         data: &mut Vec<(String, Vec<u8>)>|
         -> Result<Vec<NamedFile>, BundleError> {
            let mut out = Vec::new();
            for (name, file, text) in items {
                let path = path_of(dir, file)?;
                out.push(NamedFile {
                    name: name.clone(),
                    file: file_entry(path.clone(), text.as_bytes()),
                });
                data.push((path, text.as_bytes().to_vec()));
            }
            Ok(out)
        };
        let lists = named("lists", &self.lists, &mut data)?;
        let tables = named("tables", &self.tables, &mut data)?;
        let conformance = match &self.conformance {
            None => None,
            Some((file, decls, today, key, key_id)) => {
                let decl_path = path_of("conformance", file)?;
                let expected_path = "conformance/expected.jsonl".to_string();
                if decl_path == expected_path {
                    return Err(BundleError::BadPath {
                        path: decl_path,
                        reason: "the name is reserved for the expected outcomes".into(),
                    });
                }
                let ctx = Context::new(*today, key.clone(), key_id.clone());
                let expected = conformance::expected_lines(&ruleset, &ctx, file, decls)?;
                let files = ConformanceFiles {
                    declarations: file_entry(decl_path.clone(), decls.as_bytes()),
                    expected: file_entry(expected_path.clone(), expected.as_bytes()),
                    today: today.to_string(),
                    sampling_key: hex(&key.0),
                    sampling_key_id: key_id.clone(),
                };
                data.push((decl_path, decls.as_bytes().to_vec()));
                data.push((expected_path, expected.into_bytes()));
                Some(files)
            }
        };
        let manifest = Manifest {
            format: FORMAT_VERSION,
            ruleset: RulesetId {
                name: ruleset.name().to_string(),
                version: ruleset.version().to_string(),
                fingerprint: ruleset.fingerprint_hex().to_string(),
                packages: PackageId::of(&ruleset),
            },
            engine: crate::ENGINE_VERSION.to_string(),
            sources,
            lists,
            tables,
            conformance,
        };
        let manifest_bytes = to_json_lines(&manifest)?;
        let entries = std::iter::once((MANIFEST_PATH, manifest_bytes.as_slice()))
            .chain(data.iter().map(|(p, d)| (p.as_str(), d.as_slice())));
        archive::write(entries)
    }
}
