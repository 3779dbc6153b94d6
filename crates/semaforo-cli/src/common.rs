//! Options and helpers shared by the subcommands.

use crate::Status;
use crate::csv_input::Mapping;
use semaforo::{Compiler, Context, Date, SamplingKey};
use sha2::{Digest, Sha256};
use std::io::Write;
use std::path::{Path, PathBuf};

/// External data options.
#[derive(clap::Args, Debug, Default)]
pub(crate) struct DataArgs {
    /// An external list: `NAME=PATH` (one entry per line; `#` comments).
    #[arg(long = "list", value_name = "NAME=PATH")]
    pub lists: Vec<String>,
    /// An external table: `NAME=PATH` (CSV with header `key,value`).
    #[arg(long = "table", value_name = "NAME=PATH")]
    pub tables: Vec<String>,
}

/// Column mapping options, shared by `backtest` and `lists derive`.
#[derive(clap::Args, Debug, Default, Clone)]
pub(crate) struct MapArgs {
    /// A column mapping file: `COLUMN = PATH` lines (`#` comments), e.g.
    /// `Importer ID = importer`, `HS6 Code = items.hs6`.
    #[arg(long = "map-file", value_name = "FILE")]
    pub map_file: Option<PathBuf>,
    /// One mapping `COLUMN=PATH` (repeatable; wins over the map file).
    #[arg(long = "map", value_name = "COLUMN=PATH")]
    pub maps: Vec<String>,
}

impl MapArgs {
    /// Reads the mapping the options give; errors name the file and line.
    pub(crate) fn mapping(&self) -> Result<Mapping, String> {
        let mut m = Mapping::default();
        if let Some(path) = &self.map_file {
            m.add_file(&path.display().to_string(), &read_text(path)?)?;
        }
        for s in &self.maps {
            m.add_option(s)?;
        }
        Ok(m)
    }
}

/// Evaluation context options.
#[derive(clap::Args, Debug, Default)]
pub(crate) struct ContextArgs {
    /// The evaluation date, `YYYY-MM-DD` (default: the current date in
    /// UTC, or at `--utc-offset`).
    #[arg(long, value_name = "DATE")]
    pub today: Option<String>,
    /// Without `--today`, take the current date at this offset from UTC,
    /// `±HH:MM` (e.g. `-06:00` for Central America).
    #[arg(
        long,
        value_name = "±HH:MM",
        conflicts_with = "today",
        allow_hyphen_values = true
    )]
    pub utc_offset: Option<String>,
    /// A file holding the 128-bit sampling key as 32 hex digits (`#`
    /// comment lines and blank lines allowed). Preferred: a key on the
    /// command line is visible to other users (`ps`) and in shell history.
    /// Without a key option, `SEMAFORO_SAMPLING_KEY` is read; without
    /// either, the all-zero key is used and a warning is printed.
    #[arg(long, value_name = "PATH", conflicts_with = "sampling_key")]
    pub sampling_key_file: Option<PathBuf>,
    /// The sampling key itself, 32 hex digits. For tests only: other users
    /// can read it in `ps`; use `--sampling-key-file` or
    /// `SEMAFORO_SAMPLING_KEY`.
    #[arg(long, value_name = "HEX32")]
    pub sampling_key: Option<String>,
    /// A label for the sampling key, recorded in every outcome (default:
    /// `sha256:` and the first 16 hex digits of the key's SHA-256).
    #[arg(long, value_name = "LABEL")]
    pub sampling_key_id: Option<String>,
}

/// Prints an error line on stderr.
pub(crate) fn error(msg: impl std::fmt::Display) {
    let _ = writeln!(std::io::stderr(), "error: {msg}");
}

/// Prints a warning line on stderr.
pub(crate) fn warn(msg: impl std::fmt::Display) {
    let _ = writeln!(std::io::stderr(), "warning: {msg}");
}

/// Reads a UTF-8 text file; the error names the file.
pub(crate) fn read_text(path: &Path) -> Result<String, String> {
    let bytes =
        std::fs::read(path).map_err(|e| format!("cannot read `{}`: {e}", path.display()))?;
    String::from_utf8(bytes).map_err(|e| {
        format!(
            "`{}` is not valid UTF-8 (first bad byte at offset {})",
            path.display(),
            e.utf8_error().valid_up_to()
        )
    })
}

/// `NAME=PATH` of `--list` and `--table` (`what`).
pub(crate) fn split_assignment(s: &str, what: &str) -> Result<(String, PathBuf), String> {
    match s.split_once('=') {
        Some((n, p)) if !n.is_empty() && !p.is_empty() => Ok((n.to_string(), PathBuf::from(p))),
        _ => Err(format!("`--{what} {s}`: expected `NAME=PATH`")),
    }
}

/// Prints an error and gives the status for usage and I/O problems.
pub(crate) fn trouble(e: impl std::fmt::Display) -> Status {
    error(e);
    Status::Trouble
}

/// Output formats of the report commands (`diff`, `calibrate`, `results`).
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Format {
    /// Readable tables.
    #[value(alias = "human")]
    Text,
    /// One JSON object.
    Json,
}

/// The name diagnostics give to rules read from standard input.
pub(crate) const STDIN_NAME: &str = "<stdin>";

/// Whether a file argument is `-`, standard input.
pub(crate) fn is_stdin(path: &Path) -> bool {
    path.as_os_str() == "-"
}

/// Reads standard input to its end as UTF-8 text.
pub(crate) fn read_stdin_text() -> Result<String, String> {
    let mut bytes = Vec::new();
    std::io::Read::read_to_end(&mut std::io::stdin().lock(), &mut bytes)
        .map_err(|e| format!("cannot read standard input: {e}"))?;
    String::from_utf8(bytes).map_err(|e| {
        format!(
            "{STDIN_NAME} is not valid UTF-8 (first bad byte at offset {})",
            e.utf8_error().valid_up_to()
        )
    })
}

/// Refuses a file list that names standard input (`-`) more than once:
/// the second reading would find it empty.
pub(crate) fn stdin_at_most_once(files: &[PathBuf]) -> Result<(), String> {
    if files.iter().filter(|f| is_stdin(f)).count() > 1 {
        return Err("`-` (standard input) can be given only once".into());
    }
    Ok(())
}

/// Whether `-` among the rule files means standard input.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Stdin {
    /// `-` is read from standard input, named `<stdin>` in diagnostics.
    Allowed,
    /// `-` is an ordinary file name (standard input may carry declarations).
    Refused,
}

/// A compiler loaded with the rule files and external data.
pub(crate) fn load(files: &[PathBuf], data: &DataArgs) -> Result<Compiler, Status> {
    load_with(files, data, Stdin::Refused)
}

/// A compiler loaded with the rule files (`-` for standard input when
/// `stdin` allows it) and external data.
pub(crate) fn load_with(
    files: &[PathBuf],
    data: &DataArgs,
    stdin: Stdin,
) -> Result<Compiler, Status> {
    let mut c = Compiler::new();
    if files.is_empty() {
        return Err(trouble("no rule files given"));
    }
    if stdin == Stdin::Allowed {
        stdin_at_most_once(files).map_err(trouble)?;
    }
    for f in files {
        if stdin == Stdin::Allowed && is_stdin(f) {
            c.add_source(STDIN_NAME, read_stdin_text().map_err(trouble)?);
        } else {
            let text = read_text(f).map_err(trouble)?;
            c.add_source(f.display().to_string(), text);
        }
    }
    for (option, assignments) in [("list", &data.lists), ("table", &data.tables)] {
        for a in assignments {
            let (name, path) = split_assignment(a, option).map_err(trouble)?;
            let text = read_text(&path).map_err(trouble)?;
            let file = path.display().to_string();
            if option == "list" {
                c.add_list_file(name, file, text);
            } else {
                c.add_table_file(name, file, text);
            }
        }
    }
    Ok(c)
}

/// Loads the rule files and external data and compiles them; on failure the
/// diagnostics are printed and the status to exit with is returned.
pub(crate) fn compile_rules(
    files: &[PathBuf],
    data: &DataArgs,
) -> Result<semaforo::Ruleset, Status> {
    let compiler = load(files, data)?;
    compiler.compile().map_err(|e| {
        crate::render::human(&e.diagnostics, &e.sources);
        Status::Findings
    })
}

/// The current date at `offset_minutes` from UTC.
pub(crate) fn current_date(offset_minutes: i64) -> Option<Date> {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .ok()?
        .as_secs();
    let local = i64::try_from(secs).ok()?.checked_add(offset_minutes * 60)?;
    Date::from_days(i32::try_from(local.div_euclid(86_400)).ok()?)
}

/// Reads a UTC offset `±HH:MM` (hours 00 to 14, minutes 00 to 59) as
/// minutes east of UTC.
pub(crate) fn parse_utc_offset(s: &str) -> Option<i64> {
    let (sign, rest) = match s.as_bytes().first()? {
        b'+' => (1, s.get(1..)?),
        b'-' => (-1, s.get(1..)?),
        _ => return None,
    };
    let (h, m) = rest.split_once(':')?;
    let digits = |t: &str| t.len() == 2 && t.bytes().all(|b| b.is_ascii_digit());
    if !digits(h) || !digits(m) {
        return None;
    }
    let (h, m): (i64, i64) = (h.parse().ok()?, m.parse().ok()?);
    (h <= 14 && m <= 59).then_some(sign * (h * 60 + m))
}

/// The evaluation date: `--today`, or the current date in UTC (or at
/// `--utc-offset`). Errors are printed.
pub(crate) fn evaluation_date(args: &ContextArgs) -> Result<Date, Status> {
    date_option(args.today.as_deref(), args.utc_offset.as_deref())
}

/// `--today DATE`, or the current date at `--utc-offset` (UTC without
/// it). Errors are printed.
pub(crate) fn date_option(today: Option<&str>, utc_offset: Option<&str>) -> Result<Date, Status> {
    if let Some(t) = today {
        return Date::parse(t)
            .ok_or_else(|| trouble(format!("`--today {t}`: expected a date `YYYY-MM-DD`")));
    }
    let offset = match utc_offset {
        None => 0,
        Some(o) => parse_utc_offset(o).ok_or_else(|| {
            trouble(format!(
                "`--utc-offset {o}`: expected `+HH:MM` or `-HH:MM`, at most 14 hours"
            ))
        })?,
    };
    current_date(offset)
        .ok_or_else(|| trouble("the system clock is outside years 0000-9999; pass `--today`"))
}

/// The environment variable holding the sampling key.
pub(crate) const KEY_ENV: &str = "SEMAFORO_SAMPLING_KEY";

impl ContextArgs {
    /// Whether a sampling key was given (option, file or environment).
    pub(crate) fn key_given(&self) -> bool {
        self.sampling_key.is_some()
            || self.sampling_key_file.is_some()
            || std::env::var_os(KEY_ENV).is_some()
    }

    /// The sampling key from, in order: `--sampling-key-file` or
    /// `--sampling-key` (they exclude each other), then
    /// `SEMAFORO_SAMPLING_KEY`. Messages never show the key.
    fn key(&self) -> Result<Option<SamplingKey>, String> {
        if let Some(path) = &self.sampling_key_file {
            return read_key_file(path).map(Some);
        }
        if let Some(hex) = &self.sampling_key {
            return parse_key(hex)
                .map(Some)
                .map_err(|e| format!("`--sampling-key`: {e}"));
        }
        match std::env::var_os(KEY_ENV) {
            None => Ok(None),
            Some(v) => v
                .to_str()
                .ok_or_else(|| {
                    "the sampling key must be exactly 32 hexadecimal digits (128 bits)".to_string()
                })
                .and_then(parse_key)
                .map(Some)
                .map_err(|e| format!("{KEY_ENV}: {e}")),
        }
    }
}

/// Reads a sampling key file: `#` comment lines, blank lines, and one line
/// of 32 hexadecimal digits (`--sampling-key-file`, and the conformance
/// key of `bundle build`). Messages never show the key.
pub(crate) fn read_key_file(path: &Path) -> Result<SamplingKey, String> {
    let text = read_text(path)?;
    let mut lines = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'));
    match (lines.next(), lines.next()) {
        (Some(hex), None) => parse_key(hex).map_err(|e| format!("`{}`: {e}", path.display())),
        _ => Err(format!(
            "`{}`: expected one line with the sampling key (32 hexadecimal digits), besides `#` comment lines",
            path.display()
        )),
    }
}

fn parse_key(hex: &str) -> Result<SamplingKey, String> {
    let hex = hex.trim();
    if hex.len() != 32 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        // Never echo the text: it may be a key with a typo.
        return Err("the sampling key must be exactly 32 hexadecimal digits (128 bits)".into());
    }
    let mut key = [0u8; 16];
    for (i, k) in key.iter_mut().enumerate() {
        let byte = hex.get(2 * i..2 * i + 2).unwrap_or("00");
        *k = u8::from_str_radix(byte, 16).map_err(|e| e.to_string())?;
    }
    Ok(SamplingKey(key))
}

/// The evaluation context from the options and the environment.
pub(crate) fn context(args: &ContextArgs) -> Result<Context, Status> {
    let today = evaluation_date(args)?;
    let key = args.key().map_err(|e| {
        error(e);
        Status::Trouble
    })?;
    let (key, default_id) = match key {
        Some(k) => {
            let digest = Sha256::digest(k.0);
            let id: String = digest.iter().take(8).map(|b| format!("{b:02x}")).collect();
            (k, format!("sha256:{id}"))
        }
        None => {
            warn(
                "no sampling key given (`--sampling-key-file` or SEMAFORO_SAMPLING_KEY): using the all-zero key, \
                 so sampled rules select predictably",
            );
            (SamplingKey::default(), "zero-key".to_string())
        }
    };
    Ok(Context::new(
        today,
        key,
        args.sampling_key_id.clone().unwrap_or(default_id),
    ))
}

/// Replaces the contents of `path` atomically: the new text goes to a
/// temporary file in the same directory, with the original's permissions,
/// is flushed to disk, and is renamed over the original. A reader, or a
/// crash at any point, sees the old file or the new one, never a mix; on
/// an error the temporary file is removed and the original is untouched.
/// A symbolic link is followed: its target is replaced, the link stays.
/// A file that does not exist yet is created the same way.
pub(crate) fn replace_file(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    let mut r = Replacing::begin(path)?;
    r.write_all(contents)?;
    r.commit()
}

/// A file written as a stream and put in place atomically by
/// [`Replacing::commit`] ([`replace_file`] for contents held whole);
/// dropped without `commit` (or when `commit` fails), it removes its
/// temporary file and leaves the old file as it was.
pub(crate) struct Replacing {
    tmp: PathBuf,
    target: PathBuf,
    dir: PathBuf,
    permissions: Option<std::fs::Permissions>,
    file: Option<std::io::BufWriter<std::fs::File>>,
}

impl Replacing {
    /// Starts replacing `path`: creates the temporary file next to it.
    pub(crate) fn begin(path: &Path) -> std::io::Result<Replacing> {
        let (target, permissions) = match std::fs::canonicalize(path) {
            Ok(t) => {
                let p = std::fs::metadata(&t)?.permissions();
                (t, Some(p))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => (path.to_path_buf(), None),
            Err(e) => return Err(e),
        };
        let dir = match target.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let name = target
            .file_name()
            .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
        let (tmp, file) = create_temp(&dir, &name)?;
        Ok(Replacing {
            tmp,
            target,
            dir,
            permissions,
            file: Some(std::io::BufWriter::with_capacity(1 << 16, file)),
        })
    }

    /// Appends bytes.
    pub(crate) fn write_all(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        match &mut self.file {
            Some(f) => f.write_all(bytes),
            None => Err(std::io::Error::other("the file was already closed")),
        }
    }

    /// Puts the file in place of the target.
    pub(crate) fn commit(mut self) -> std::io::Result<()> {
        let Some(f) = self.file.take() else {
            return Err(std::io::Error::other("the file was already closed"));
        };
        let file = f
            .into_inner()
            .map_err(std::io::IntoInnerError::into_error)?;
        if let Some(p) = self.permissions.take() {
            file.set_permissions(p)?;
        }
        file.sync_all()?;
        drop(file);
        std::fs::rename(&self.tmp, &self.target)?;
        if let Ok(d) = std::fs::File::open(&self.dir) {
            let _ = d.sync_all();
        }
        Ok(())
    }
}

impl Drop for Replacing {
    fn drop(&mut self) {
        // Committed files were renamed; this only removes a leftover.
        if self.file.is_some() || self.tmp.exists() {
            self.file = None;
            let _ = std::fs::remove_file(&self.tmp);
        }
    }
}

/// Creates a new, empty temporary file next to `name` in `dir`.
fn create_temp(dir: &Path, name: &str) -> std::io::Result<(PathBuf, std::fs::File)> {
    let mut last = None;
    for attempt in 0..100u32 {
        let tmp = dir.join(format!(
            ".{name}.semaforo.{}.{attempt}.tmp",
            std::process::id()
        ));
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp)
        {
            Ok(f) => return Ok((tmp, f)),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => last = Some(e),
            Err(e) => return Err(e),
        }
    }
    Err(last.unwrap_or_else(|| std::io::Error::other("no temporary file name left")))
}
