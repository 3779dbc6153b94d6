//! The one way the CLI writes to stdout.
//!
//! Every write goes through [`Output`], which tells two failures apart:
//! a closed pipe (the reader went away, as with `| head`) ends the command
//! quietly with its status so far, and any other write error (a full disk,
//! `> /dev/full`, an I/O error) is reported on stderr and exits 2. A write
//! error is never mistaken for success.

use crate::Status;
use crate::common::error;
use std::io::{BufWriter, ErrorKind, StdoutLock, Write};

/// Buffered stdout.
pub(crate) struct Output {
    inner: BufWriter<StdoutLock<'static>>,
}

/// Why writing stopped; turn it into the exit status with
/// [`Stopped::status`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Stopped {
    /// The reader closed the pipe: stop quietly.
    Closed,
    /// Any other write error, already reported on stderr.
    Failed,
}

impl Stopped {
    /// The exit status when writing stopped: a closed pipe keeps the status
    /// reached so far, a failed write is an I/O error.
    pub(crate) fn status(self, so_far: Status) -> Status {
        match self {
            Stopped::Closed => so_far,
            Stopped::Failed => Status::Trouble,
        }
    }
}

impl From<Stopped> for Status {
    fn from(s: Stopped) -> Status {
        s.status(Status::Ok)
    }
}

fn stopped(e: &std::io::Error) -> Stopped {
    if e.kind() == ErrorKind::BrokenPipe {
        Stopped::Closed
    } else {
        error(format!("cannot write to stdout: {e}"));
        Stopped::Failed
    }
}

impl Output {
    /// Locks stdout for buffered writing.
    pub(crate) fn stdout() -> Output {
        Output {
            inner: BufWriter::with_capacity(64 * 1024, std::io::stdout().lock()),
        }
    }

    /// Writes bytes.
    pub(crate) fn write(&mut self, bytes: &[u8]) -> Result<(), Stopped> {
        self.inner.write_all(bytes).map_err(|e| stopped(&e))
    }

    /// Writes text.
    pub(crate) fn write_str(&mut self, text: &str) -> Result<(), Stopped> {
        self.write(text.as_bytes())
    }

    /// Flushes what was written so far (a reader waiting for each line,
    /// as with `eval` on a pipe, gets it now).
    pub(crate) fn flush(&mut self) -> Result<(), Stopped> {
        self.inner.flush().map_err(|e| stopped(&e))
    }

    /// Flushes everything written; must be called before the command
    /// returns (dropping an `Output` would swallow the error).
    pub(crate) fn finish(mut self) -> Result<(), Stopped> {
        self.inner.flush().map_err(|e| stopped(&e))
    }
}

/// Writes `text` to stdout and flushes it.
pub(crate) fn print_all(text: &str) -> Result<(), Stopped> {
    let mut out = Output::stdout();
    out.write_str(text)?;
    out.finish()
}
