//! `semaforo fmt`.

use crate::Status;
use crate::common::{error, read_text};
use crate::output::Output;
use crate::render;
use semaforo::{FileId, SourceKind, Sources};
use std::io::Write as _;
use std::path::{Path, PathBuf};

/// Options of `semaforo fmt`.
#[derive(clap::Args, Debug)]
pub(crate) struct Args {
    /// Rule files to format in place.
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// Change nothing; list the files that would change and exit 1 if any.
    #[arg(long)]
    check: bool,
}

/// Runs the command.
pub(crate) fn run(args: Args) -> Status {
    let mut out = Output::stdout();
    let status = format_files(&args, &mut out);
    match out.finish() {
        Ok(()) => status,
        Err(s) => s.status(status),
    }
}

fn format_files(args: &Args, out: &mut Output) -> Status {
    let mut status = Status::Ok;
    for path in &args.files {
        let text = match read_text(path) {
            Ok(t) => t,
            Err(e) => {
                error(e);
                return Status::Trouble;
            }
        };
        let parsed = semaforo_syntax::parse(&text, FileId(0));
        let file = match parsed {
            Ok(f) => f,
            Err(diags) => {
                let mut sources = Sources::default();
                sources.add(path.display().to_string(), text, SourceKind::Rules);
                render::human(&diags, &sources);
                status = Status::Findings;
                continue;
            }
        };
        let formatted = semaforo_syntax::format(&file);
        if formatted == text {
            continue;
        }
        if args.check {
            status = Status::Findings;
            if let Err(s) = out.write_str(&format!("{}\n", path.display())) {
                return s.status(status);
            }
        } else if let Err(e) = replace_file(path, formatted.as_bytes()) {
            error(format!(
                "cannot write `{}`: {e}; the file was left as it was",
                path.display()
            ));
            return Status::Trouble;
        }
    }
    status
}

/// Replaces the contents of `path` atomically: the new text goes to a
/// temporary file in the same directory, with the original's permissions,
/// is flushed to disk, and is renamed over the original. A reader, or a
/// crash at any point, sees the old file or the new one, never a mix; on
/// an error the temporary file is removed and the original is untouched.
/// A symbolic link is followed: its target is replaced, the link stays.
fn replace_file(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    let target = std::fs::canonicalize(path)?;
    let permissions = std::fs::metadata(&target)?.permissions();
    let dir = target.parent().unwrap_or(Path::new("."));
    let name = target
        .file_name()
        .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
    let (tmp, mut file) = create_temp(dir, &name)?;
    let written = (|| {
        file.write_all(contents)?;
        file.set_permissions(permissions)?;
        file.sync_all()?;
        drop(file);
        std::fs::rename(&tmp, &target)
    })();
    if let Err(e) = written {
        let _ = std::fs::remove_file(&tmp);
        return Err(e);
    }
    // Make the rename itself durable; not every platform can open a
    // directory, and the new contents are already on disk.
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

/// Creates a new, empty temporary file next to `name` in `dir`.
fn create_temp(dir: &Path, name: &str) -> std::io::Result<(PathBuf, std::fs::File)> {
    let mut last = None;
    for attempt in 0..100u32 {
        let tmp = dir.join(format!(
            ".{name}.semaforo-fmt.{}.{attempt}.tmp",
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
