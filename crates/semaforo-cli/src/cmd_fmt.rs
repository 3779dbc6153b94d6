//! `semaforo fmt`.

use crate::Status;
use crate::common::{STDIN_NAME, error, is_stdin, read_stdin_text, read_text, stdin_at_most_once};
use crate::output::Output;
use crate::render;
use semaforo::{SourceKind, Sources};
use std::path::PathBuf;

/// Options of `semaforo fmt`.
#[derive(clap::Args, Debug)]
pub(crate) struct Args {
    /// Rule files to format in place; `-` reads standard input and writes
    /// the formatted text to standard output.
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// Change nothing; list the files that would change (`<stdin>` for
    /// `-`) and exit 1 if any.
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
    if let Err(e) = stdin_at_most_once(&args.files) {
        error(e);
        return Status::Trouble;
    }
    let mut status = Status::Ok;
    for path in &args.files {
        let stdin = is_stdin(path);
        let (name, read) = if stdin {
            (STDIN_NAME.to_string(), read_stdin_text())
        } else {
            (path.display().to_string(), read_text(path))
        };
        let text = match read {
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
                sources.add(name, text, SourceKind::Rules);
                render::human(&diags, &sources);
                status = Status::Findings;
                continue;
            }
        };
        if args.check {
            if formatted != text {
                status = Status::Findings;
                if let Err(s) = out.write_str(&format!("{name}\n")) {
                    return s.status(status);
                }
            }
        } else if stdin {
            // Format-on-save: the whole text, changed or not.
            if let Err(s) = out.write_str(&formatted) {
                return s.status(status);
            }
        } else if formatted != text
            && let Err(e) = crate::common::replace_file(path, formatted.as_bytes())
        {
            error(format!(
                "cannot write `{name}`: {e}; the file was left as it was"
            ));
            return Status::Trouble;
        }
    }
    status
}
