//! Rendering diagnostics: rustc-style text, or JSON Lines.

use crate::output::{Output, Stopped};
use codespan_reporting::diagnostic::{Diagnostic as CsDiagnostic, Label as CsLabel};
use codespan_reporting::files::SimpleFiles;
use codespan_reporting::term::{
    self, Config,
    termcolor::{ColorChoice, StandardStream},
};
use semaforo::{Diagnostic, Severity, Sources};
use std::fmt::Write as _;

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
        Format::Json => json(diags, sources),
    }
}

/// Prints diagnostics rustc-style on stderr.
pub(crate) fn human(diags: &[Diagnostic], sources: &Sources) {
    let mut files = SimpleFiles::new();
    let ids: Vec<usize> = sources
        .iter()
        .map(|(_, s)| files.add(s.name.clone(), s.text.clone()))
        .collect();
    let choice = if std::io::IsTerminal::is_terminal(&std::io::stderr()) {
        ColorChoice::Auto
    } else {
        ColorChoice::Never
    };
    let writer = StandardStream::stderr(choice);
    let config = Config::default();
    for d in diags {
        let mut cs = match d.severity {
            Severity::Error => CsDiagnostic::error(),
            Severity::Warning => CsDiagnostic::warning(),
        }
        .with_code(d.code)
        .with_message(d.message.clone());
        let mut labels = Vec::new();
        if let Some(&fid) = ids.get(d.span.file.0 as usize) {
            labels.push(CsLabel::primary(
                fid,
                d.span.start as usize..d.span.end as usize,
            ));
        }
        for l in &d.labels {
            if let Some(&fid) = ids.get(l.span.file.0 as usize) {
                labels.push(
                    CsLabel::secondary(fid, l.span.start as usize..l.span.end as usize)
                        .with_message(l.message.clone()),
                );
            }
        }
        cs = cs.with_labels(labels);
        if let Some(h) = &d.help {
            cs = cs.with_notes(vec![format!("help: {h}")]);
        }
        let _ = term::emit(&mut writer.lock(), &config, &files, &cs);
    }
}

fn json(diags: &[Diagnostic], sources: &Sources) -> Result<(), Stopped> {
    let mut out = Output::stdout();
    let mut text = String::new();
    for d in diags {
        let (file, line, column) = sources.locate(d.span);
        let (end_line, end_column) = sources.locate_end(d.span);
        let v = serde_json::json!({
            "code": d.code,
            "severity": d.severity.to_string(),
            "message": d.message,
            "file": file,
            "line": line,
            "column": column,
            "end_line": end_line,
            "end_column": end_column,
            "help": d.help,
            "labels": d.labels.iter().map(|l| {
                let (f, li, c) = sources.locate(l.span);
                serde_json::json!({"message": l.message, "file": f, "line": li, "column": c})
            }).collect::<Vec<_>>(),
        });
        text.clear();
        let _ = writeln!(text, "{v}");
        out.write_str(&text)?;
    }
    out.finish()
}

/// A one-line summary such as `2 errors, 1 warning`.
pub(crate) fn summary(diags: &[Diagnostic]) -> String {
    let e = diags.iter().filter(|d| d.is_error()).count();
    let w = diags.len() - e;
    let plural = |n: usize, s: &str| format!("{n} {s}{}", if n == 1 { "" } else { "s" });
    format!("{}, {}", plural(e, "error"), plural(w, "warning"))
}
