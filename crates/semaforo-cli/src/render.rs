//! Printing diagnostics: rustc-style text on stderr, or JSON Lines on
//! stdout. The rendering itself is the library's (`semaforo::render`), so
//! a host shows the same text as the command.

use crate::output::{Output, Stopped};
use semaforo::{Diagnostic, Sources};
use std::io::{IsTerminal, Write};

pub(crate) use semaforo::render::summary;

/// How diagnostics are printed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Format {
    /// rustc-style text on stderr.
    #[default]
    Human,
    /// One JSON object per diagnostic on stdout.
    Json,
}

/// Prints diagnostics in the chosen format. Human output goes to stderr
/// (its write errors are ignored, like every other message); JSON goes to
/// stdout, whose write errors are returned.
pub(crate) fn diagnostics(
    diags: &[Diagnostic],
    sources: &Sources,
    format: Format,
) -> Result<(), Stopped> {
    match format {
        Format::Human => {
            human(diags, sources);
            Ok(())
        }
        Format::Json => {
            let mut out = Output::stdout();
            out.write_str(&semaforo::render::render_json(diags, sources))?;
            out.finish()
        }
    }
}

/// Prints diagnostics rustc-style on stderr, in colour when stderr is a
/// terminal (and neither `NO_COLOR` is set nor `TERM` is `dumb`).
pub(crate) fn human(diags: &[Diagnostic], sources: &Sources) {
    let text = semaforo::render::render_text(diags, sources, colour());
    let _ = std::io::stderr().lock().write_all(text.as_bytes());
}

/// Whether to colour what is written on stderr, as termcolor's `Auto`
/// decides it.
fn colour() -> bool {
    std::io::stderr().is_terminal()
        && std::env::var_os("NO_COLOR").is_none()
        && std::env::var_os("TERM").is_some_and(|t| t != "dumb")
}
