//! `semaforo fmt`.

use crate::Status;
use crate::common::{error, read_text};
use crate::render::{self, Format};
use semaforo::{FileId, SourceKind, Sources};
use std::io::Write;
use std::path::PathBuf;

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
                render::diagnostics(&diags, &sources, Format::Human);
                status = Status::Findings;
                continue;
            }
        };
        let formatted = semaforo_syntax::format(&file);
        if formatted == text {
            continue;
        }
        if args.check {
            let _ = writeln!(std::io::stdout(), "{}", path.display());
            status = Status::Findings;
        } else if let Err(e) = std::fs::write(path, formatted) {
            error(format!("cannot write `{}`: {e}", path.display()));
            return Status::Trouble;
        }
    }
    status
}
