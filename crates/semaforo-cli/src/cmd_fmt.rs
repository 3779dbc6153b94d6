//! `semaforo fmt`.

use crate::Status;
use crate::common::{error, read_text};
use crate::output::Output;
use crate::render;
use semaforo::{SourceKind, Sources};
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
        let formatted = match semaforo::format_source(&text) {
            Ok(f) => f,
            Err(diags) => {
                let mut sources = Sources::default();
                sources.add(path.display().to_string(), text, SourceKind::Rules);
                render::human(&diags, &sources);
                status = Status::Findings;
                continue;
            }
        };
        if formatted == text {
            continue;
        }
        if args.check {
            status = Status::Findings;
            if let Err(s) = out.write_str(&format!("{}\n", path.display())) {
                return s.status(status);
            }
        } else if let Err(e) = crate::common::replace_file(path, formatted.as_bytes()) {
            error(format!(
                "cannot write `{}`: {e}; the file was left as it was",
                path.display()
            ));
            return Status::Trouble;
        }
    }
    status
}
