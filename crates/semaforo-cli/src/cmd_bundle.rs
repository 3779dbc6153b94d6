//! `semaforo bundle` (keygen, build, sign, verify, inspect) and
//! `semaforo conformance`: signed ruleset bundles, `docs/bundles.md`.

use crate::Status;
use crate::common::{
    DataArgs, Format, compile_rules, current_date, error, read_key_file, read_text, replace_file,
    split_assignment, trouble,
};
use crate::output::print_all;
use semaforo::bundle::{
    Bundle, BundleBuilder, BundleError, ConformanceReport, FileCheck, PublicKey, SecretKey,
    TrustedKeys, VerifiedBundle,
};
use semaforo::{Context, Date, SamplingKey};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// Options of `semaforo bundle`.
#[derive(clap::Args, Debug)]
pub(crate) struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(clap::Subcommand, Debug)]
enum Command {
    /// Write a new Ed25519 signing key pair: a secret and a public key file.
    Keygen(KeygenArgs),
    /// Pack rule sources, lists, tables and conformance vectors into an unsigned bundle.
    Build(BuildArgs),
    /// Add a signature to a bundle (its contents are checked first).
    Sign(SignArgs),
    /// Verify a bundle against trusted public keys, then run its tests and vectors.
    Verify(VerifyArgs),
    /// Show a bundle's manifest, signatures and whether each file matches.
    Inspect(InspectArgs),
}

#[derive(clap::Args, Debug)]
struct KeygenArgs {
    /// The secret key file to create (refused if it exists).
    #[arg(long, value_name = "FILE")]
    secret: PathBuf,
    /// The public key file to create (refused if it exists).
    #[arg(long, value_name = "FILE")]
    public: PathBuf,
}

#[derive(clap::Args, Debug)]
struct BuildArgs {
    /// Rule files, compiled together in this order.
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// External data.
    #[command(flatten)]
    data: DataArgs,
    /// Conformance declarations, JSON Lines; their outcomes are computed
    /// now and stored in the bundle as the expected ones.
    #[arg(long, value_name = "DECLS.jsonl", requires_all = ["today", "conformance_key_file"])]
    conformance: Option<PathBuf>,
    /// The evaluation date of the conformance vectors, `YYYY-MM-DD`.
    #[arg(long, value_name = "DATE", requires = "conformance")]
    today: Option<String>,
    /// A file holding the conformance sampling key (32 hex digits). It is
    /// stored in the bundle, so it must never be a production key.
    #[arg(long, value_name = "FILE", requires = "conformance")]
    conformance_key_file: Option<PathBuf>,
    /// The bundle file to write.
    #[arg(short = 'o', long = "output", value_name = "OUT")]
    output: PathBuf,
}

#[derive(clap::Args, Debug)]
struct SignArgs {
    /// The bundle.
    bundle: PathBuf,
    /// The secret key file.
    #[arg(long, value_name = "SECRET")]
    key: PathBuf,
    /// Where to write the signed bundle (default: replace BUNDLE).
    #[arg(short = 'o', long = "output", value_name = "OUT")]
    output: Option<PathBuf>,
}

/// Trusted public keys.
#[derive(clap::Args, Debug)]
pub(crate) struct TrustArgs {
    /// A trusted public key file (repeatable); a bundle must be signed by
    /// at least one.
    #[arg(long = "trusted-key", value_name = "PUB", required = true)]
    trusted: Vec<PathBuf>,
}

#[derive(clap::Args, Debug)]
struct VerifyArgs {
    /// The bundle.
    bundle: PathBuf,
    /// Trusted keys.
    #[command(flatten)]
    trust: TrustArgs,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
}

#[derive(clap::Args, Debug)]
struct InspectArgs {
    /// The bundle.
    bundle: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
}

/// Options of `semaforo conformance`.
#[derive(clap::Args, Debug)]
pub(crate) struct ConformanceArgs {
    /// The bundle whose vectors run.
    bundle: PathBuf,
    /// Trusted keys.
    #[command(flatten)]
    trust: TrustArgs,
    /// Rule files of the integration to check (default: the bundle's own
    /// ruleset), compiled together in this order.
    files: Vec<PathBuf>,
    /// External data of those rule files.
    #[command(flatten)]
    data: DataArgs,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
}

/// Runs `semaforo bundle`.
pub(crate) fn run(args: Args) -> Status {
    let result = match args.command {
        Command::Keygen(a) => keygen(&a),
        Command::Build(a) => build(&a),
        Command::Sign(a) => sign(&a),
        Command::Verify(a) => verify(&a),
        Command::Inspect(a) => inspect(&a),
    };
    result.unwrap_or_else(|s| s)
}

fn read_bytes(path: &Path) -> Result<Vec<u8>, Status> {
    std::fs::read(path).map_err(|e| trouble(format!("cannot read `{}`: {e}", path.display())))
}

/// Reads a bundle; an unreadable file is trouble, a refused one a finding.
fn read_bundle(path: &Path) -> Result<Bundle, Status> {
    let bytes = read_bytes(path)?;
    Bundle::from_bytes(&bytes).map_err(|e| refused(path, &e))
}

/// Reports a refused bundle (with the compiler's diagnostics rendered when
/// it does not compile) and gives the status.
fn refused(path: &Path, e: &BundleError) -> Status {
    if let BundleError::Compile(c) = e {
        crate::render::human(&c.diagnostics, &c.sources);
        error(format!(
            "bundle `{}` refused: the bundled ruleset does not compile",
            path.display()
        ));
    } else {
        error(format!("bundle `{}` refused: {e}", path.display()));
    }
    Status::Findings
}

fn trusted_keys(args: &TrustArgs) -> Result<TrustedKeys, Status> {
    let mut keys = TrustedKeys::new();
    for p in &args.trusted {
        let text = read_text(p).map_err(trouble)?;
        let key =
            PublicKey::parse(&text).map_err(|e| trouble(format!("`{}`: {e}", p.display())))?;
        keys.add(key);
    }
    Ok(keys)
}

fn keygen(a: &KeygenArgs) -> Result<Status, Status> {
    let mut seed = [0u8; 32];
    getrandom::fill(&mut seed)
        .map_err(|e| trouble(format!("cannot read the system's random source: {e}")))?;
    let secret = SecretKey::from_seed(seed);
    let public = secret.public_key();
    create_new(&a.secret, secret.to_text().as_bytes(), true)?;
    create_new(&a.public, public.to_text().as_bytes(), false)?;
    print_all(&format!(
        "key id {}\nsecret key: {} (keep it secret)\npublic key: {}\n",
        public.id(),
        a.secret.display(),
        a.public.display()
    ))
    .map_err(|s| s.status(Status::Ok))?;
    Ok(Status::Ok)
}

/// Creates a file that must not exist yet (a key is never overwritten);
/// a secret one readable by its owner only.
fn create_new(path: &Path, contents: &[u8], secret: bool) -> Result<(), Status> {
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    if secret {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    #[cfg(not(unix))]
    let _ = secret;
    let mut f = opts
        .open(path)
        .map_err(|e| trouble(format!("cannot create `{}`: {e}", path.display())))?;
    std::io::Write::write_all(&mut f, contents)
        .and_then(|()| f.sync_all())
        .map_err(|e| trouble(format!("cannot write `{}`: {e}", path.display())))
}

fn build(a: &BuildArgs) -> Result<Status, Status> {
    // The same inputs as `check` and `eval`: rule files in order, then
    // `--list NAME=PATH` and `--table NAME=PATH`.
    let mut b = BundleBuilder::new();
    for f in &a.files {
        b.add_source(f.display().to_string(), read_text(f).map_err(trouble)?);
    }
    for (option, assignments) in [("list", &a.data.lists), ("table", &a.data.tables)] {
        for s in assignments {
            let (name, path) = split_assignment(s, option).map_err(trouble)?;
            let text = read_text(&path).map_err(trouble)?;
            let file = path.display().to_string();
            if option == "list" {
                b.add_list_file(name, file, text);
            } else {
                b.add_table_file(name, file, text);
            }
        }
    }
    if let (Some(decls), Some(today), Some(key_file)) =
        (&a.conformance, &a.today, &a.conformance_key_file)
    {
        let today = Date::parse(today)
            .ok_or_else(|| trouble(format!("`--today {today}`: expected a date `YYYY-MM-DD`")))?;
        let key = read_key_file(key_file).map_err(trouble)?;
        b.conformance(
            decls.display().to_string(),
            read_text(decls).map_err(trouble)?,
            today,
            key,
        );
    }
    let bytes = match b.build() {
        Ok(b) => b,
        Err(BundleError::Compile(c)) => {
            crate::render::human(&c.diagnostics, &c.sources);
            return Err(Status::Findings);
        }
        Err(e) => {
            error(format!("cannot build the bundle: {e}"));
            return Err(Status::Findings);
        }
    };
    replace_file(&a.output, &bytes)
        .map_err(|e| trouble(format!("cannot write `{}`: {e}", a.output.display())))?;
    let m = Bundle::from_bytes(&bytes).map_err(|e| refused(&a.output, &e))?;
    let m = m.manifest();
    print_all(&format!(
        "built `{}`: ruleset `{}` version `{}`, fingerprint {}, {} files, {}; unsigned (run `semaforo bundle sign`)\n",
        a.output.display(),
        m.ruleset.name,
        m.ruleset.version,
        m.ruleset.fingerprint,
        m.files().count(),
        match &m.conformance {
            Some(_) => "with conformance vectors",
            None => "no conformance vectors",
        }
    ))
    .map_err(|s| s.status(Status::Ok))?;
    Ok(Status::Ok)
}

fn sign(a: &SignArgs) -> Result<Status, Status> {
    let text = read_text(&a.key).map_err(trouble)?;
    let key =
        SecretKey::parse(&text).map_err(|e| trouble(format!("`{}`: {e}", a.key.display())))?;
    let bundle = read_bundle(&a.bundle)?;
    let signed = bundle.sign(&key).map_err(|e| refused(&a.bundle, &e))?;
    let out = a.output.as_ref().unwrap_or(&a.bundle);
    replace_file(out, &signed)
        .map_err(|e| trouble(format!("cannot write `{}`: {e}", out.display())))?;
    print_all(&format!(
        "signed `{}` with key {}\n",
        out.display(),
        key.public_key().id()
    ))
    .map_err(|s| s.status(Status::Ok))?;
    Ok(Status::Ok)
}

/// Verifies a bundle file against the trusted keys; a refusal is reported.
fn verified(path: &Path, trust: &TrustArgs) -> Result<VerifiedBundle, Status> {
    let keys = trusted_keys(trust)?;
    let bytes = read_bytes(path)?;
    Bundle::verify_bytes(&bytes, &keys).map_err(|e| refused(path, &e))
}

/// The context the bundle's `test` blocks run in: the conformance date
/// and key when the bundle has vectors, else today's date (UTC) and the
/// all-zero key, as `semaforo test` uses by default.
fn test_context(v: &VerifiedBundle) -> Result<Context, Status> {
    if let Some(ctx) = v.conformance_context() {
        return Ok(ctx);
    }
    let today = current_date(0).ok_or_else(|| trouble("the system clock is out of range"))?;
    Ok(Context::new(today, SamplingKey::default(), "zero-key"))
}

fn verify(a: &VerifyArgs) -> Result<Status, Status> {
    let v = verified(&a.bundle, &a.trust)?;
    let ruleset = v.ruleset();
    let ctx = test_context(&v)?;
    let tests = ruleset.run_tests(&ctx);
    let failed_tests: Vec<String> = tests
        .iter()
        .filter(|t| !t.passed())
        .map(|t| {
            let msgs: Vec<&str> = t.failures.iter().map(|f| f.message.as_str()).collect();
            format!("test `{}`: {}", t.name, msgs.join("; "))
        })
        .collect();
    let conformance = match v.manifest().conformance {
        None => None,
        Some(_) => Some(
            v.run_conformance(&ruleset)
                .map_err(|e| refused(&a.bundle, &e))?,
        ),
    };
    let m = v.manifest();
    let ok = failed_tests.is_empty() && conformance.as_ref().is_none_or(|r| r.passed());
    let out = match a.format {
        Format::Json => {
            let value = serde_json::json!({
                "bundle": a.bundle.display().to_string(),
                "verified": true,
                "ruleset": &m.ruleset,
                "engine": &m.engine,
                "this_engine": semaforo::ENGINE_VERSION,
                "signed_by": v.signed_by(),
                "files": m.files().count(),
                "tests": {"total": tests.len(), "failed": failed_tests},
                "conformance": conformance.as_ref().map(report_json),
                "passed": ok,
            });
            format!("{value}\n")
        }
        Format::Text => {
            let mut s = String::new();
            let _ = writeln!(
                s,
                "bundle `{}`: signature by trusted key {} verified",
                a.bundle.display(),
                v.signed_by().join(", ")
            );
            let _ = writeln!(
                s,
                "{} files match the manifest; ruleset `{}` version `{}` compiles to fingerprint {}",
                m.files().count(),
                m.ruleset.name,
                m.ruleset.version,
                m.ruleset.fingerprint
            );
            if m.engine != semaforo::ENGINE_VERSION {
                let _ = writeln!(
                    s,
                    "note: built by engine {}, verified by engine {}",
                    m.engine,
                    semaforo::ENGINE_VERSION
                );
            }
            let _ = writeln!(
                s,
                "tests: {} passed, {} failed",
                tests.len() - failed_tests.len(),
                failed_tests.len()
            );
            for f in &failed_tests {
                let _ = writeln!(s, "  {f}");
            }
            match &conformance {
                None => s.push_str("conformance: the bundle carries no vectors\n"),
                Some(r) => s.push_str(&report_text(r)),
            }
            s.push_str(if ok { "ok\n" } else { "FAILED\n" });
            s
        }
    };
    let status = if ok { Status::Ok } else { Status::Findings };
    print_all(&out).map_err(|s| s.status(status))?;
    Ok(status)
}

fn report_json(r: &ConformanceReport) -> serde_json::Value {
    let mismatches: Vec<serde_json::Value> = r
        .mismatches
        .iter()
        .map(|m| {
            serde_json::json!({
                "line": m.line,
                "id": m.id,
                "expected": m.expected,
                "got": m.got.as_ref().ok(),
                "error": m.got.as_ref().err(),
                "message": m.to_string(),
            })
        })
        .collect();
    serde_json::json!({
        "total": r.total,
        "passed": r.total - r.mismatches.len(),
        "failed": r.mismatches.len(),
        "fingerprint": r.fingerprint,
        "mismatches": mismatches,
    })
}

fn report_text(r: &ConformanceReport) -> String {
    let mut s = String::new();
    for m in &r.mismatches {
        let _ = writeln!(s, "  mismatch: {m}");
    }
    let _ = writeln!(
        s,
        "conformance: {} of {} vectors give the expected outcome (ruleset fingerprint {})",
        r.total - r.mismatches.len(),
        r.total,
        r.fingerprint
    );
    s
}

fn inspect(a: &InspectArgs) -> Result<Status, Status> {
    let bundle = read_bundle(&a.bundle)?;
    let m = bundle.manifest();
    let checks = bundle.file_checks();
    let all_ok = checks.iter().all(|(_, c)| *c == FileCheck::Ok);
    let out = match a.format {
        Format::Json => {
            let files: Vec<serde_json::Value> = checks
                .iter()
                .map(|(f, c)| {
                    let (status, actual) = match c {
                        FileCheck::Ok => ("ok", None),
                        FileCheck::Missing => ("missing", None),
                        FileCheck::Mismatch { sha256, size } => {
                            ("mismatch", Some(serde_json::json!({"sha256": sha256, "size": size})))
                        }
                        _ => ("unknown", None),
                    };
                    serde_json::json!({"path": f.path, "sha256": f.sha256, "size": f.size, "status": status, "actual": actual})
                })
                .collect();
            let value = serde_json::json!({
                "manifest": m,
                "signatures": bundle.signatures().iter().map(|s| &s.key_id).collect::<Vec<_>>(),
                "files": files,
                "files_match": all_ok,
            });
            format!("{value}\n")
        }
        Format::Text => {
            let mut s = String::new();
            let _ = writeln!(s, "bundle `{}` (format {})", a.bundle.display(), m.format);
            let _ = writeln!(
                s,
                "ruleset `{}` version `{}`\nfingerprint {}\nengine {}",
                m.ruleset.name, m.ruleset.version, m.ruleset.fingerprint, m.engine
            );
            for p in &m.ruleset.packages {
                let _ = writeln!(s, "package `{}` version `{}`", p.name, p.version);
            }
            if bundle.signatures().is_empty() {
                s.push_str("signatures: none\n");
            } else {
                let ids: Vec<&str> = bundle
                    .signatures()
                    .iter()
                    .map(|s| s.key_id.as_str())
                    .collect();
                let _ = writeln!(
                    s,
                    "signatures: key ids {} (not verified: use `bundle verify`)",
                    ids.join(", ")
                );
            }
            s.push_str("files:\n");
            let names: std::collections::HashMap<&str, String> = m
                .lists
                .iter()
                .map(|l| (l.file.path.as_str(), format!("list `{}`", l.name)))
                .chain(
                    m.tables
                        .iter()
                        .map(|t| (t.file.path.as_str(), format!("table `{}`", t.name))),
                )
                .collect();
            for (f, c) in &checks {
                let status = match c {
                    FileCheck::Ok => "ok".to_string(),
                    FileCheck::Missing => "MISSING".to_string(),
                    FileCheck::Mismatch { sha256, size } => {
                        format!("MISMATCH (sha256 {sha256}, {size} bytes)")
                    }
                    _ => "UNKNOWN".to_string(),
                };
                let what = names
                    .get(f.path.as_str())
                    .map_or(String::new(), |n| format!(" ({n})"));
                let _ = writeln!(s, "  {} {}{what}  {}", f.sha256, f.path, status);
            }
            match &m.conformance {
                Some(c) => {
                    let _ = writeln!(
                        s,
                        "conformance: `{}` on {}, sampling key `{}` ({})",
                        c.declarations.path, c.today, c.sampling_key, c.sampling_key_id
                    );
                }
                None => s.push_str("conformance: none\n"),
            }
            s
        }
    };
    let status = if all_ok { Status::Ok } else { Status::Findings };
    print_all(&out).map_err(|s| s.status(status))?;
    Ok(status)
}

/// Runs `semaforo conformance`.
pub(crate) fn conformance(a: ConformanceArgs) -> Status {
    conformance_inner(&a).unwrap_or_else(|s| s)
}

fn conformance_inner(a: &ConformanceArgs) -> Result<Status, Status> {
    let v = verified(&a.bundle, &a.trust)?;
    let ruleset = if a.files.is_empty() {
        v.ruleset()
    } else {
        compile_rules(&a.files, &a.data)?
    };
    let report = v
        .run_conformance(&ruleset)
        .map_err(|e| refused(&a.bundle, &e))?;
    let out = match a.format {
        Format::Json => format!("{}\n", report_json(&report)),
        Format::Text => report_text(&report),
    };
    let status = if report.passed() {
        Status::Ok
    } else {
        Status::Findings
    };
    print_all(&out).map_err(|s| s.status(status))?;
    Ok(status)
}
