//! `semaforo check`.

use crate::Status;
use crate::common::{DataArgs, Stdin, load_with};
use crate::render::{self, Format};
use std::io::Write;
use std::path::PathBuf;

/// Options of `semaforo check`.
#[derive(clap::Args, Debug)]
pub(crate) struct Args {
    /// Rule files, compiled together in this order; `-` reads one from
    /// standard input (named `<stdin>` in diagnostics).
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    format: Format,
    /// Treat warnings as errors.
    #[arg(long)]
    deny_warnings: bool,
    /// External data; when any is given, it is checked too (a full compile).
    #[command(flatten)]
    data: DataArgs,
}

/// Runs the command.
pub(crate) fn run(args: Args) -> Status {
    let compiler = match load_with(&args.files, &args.data, Stdin::Allowed) {
        Ok(c) => c,
        Err(s) => return s,
    };
    let full = !args.data.lists.is_empty() || !args.data.tables.is_empty();
    let (diags, sources) = if full {
        match compiler.compile() {
            Ok(r) => (r.warnings().to_vec(), r.sources().clone()),
            Err(e) => (e.diagnostics, e.sources),
        }
    } else {
        let report = compiler.check();
        (report.diagnostics, report.sources)
    };
    let errors = diags.iter().any(|d| d.is_error());
    let failed = errors || (args.deny_warnings && !diags.is_empty());
    let status = if failed { Status::Findings } else { Status::Ok };
    if let Err(s) = render::diagnostics(&diags, &sources, args.format) {
        return s.status(status);
    }
    if args.format == Format::Human {
        let _ = writeln!(
            std::io::stderr(),
            "{}: {}",
            if failed { "failed" } else { "ok" },
            render::summary(&diags)
        );
    }
    status
}
