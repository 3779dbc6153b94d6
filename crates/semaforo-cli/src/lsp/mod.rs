//! `semaforo lsp`: a language server over standard input and output.
//!
//! Diagnostics as the author types (every diagnostic of
//! `Compiler::check` for the document's group of files, see [`state`]),
//! formatting (`semaforo::format_source`), hover, go to definition,
//! completion, references, the outline and checked renames (from
//! `semaforo::Symbols`, see [`names`]). Documents are synchronised whole
//! (`TextDocumentSyncKind::FULL`); positions are UTF-16 columns
//! ([`position`]). `docs/lsp.md` describes it for users.
//!
//! The messages are `lsp-server`'s types, but the framing is read here:
//! `lsp-server`'s own stdio reader stops the server at the first payload
//! that is not JSON-RPC, and a malformed message must not end the session.
//! A malformed message gets a JSON-RPC error response with a null id and
//! the server reads on; an unknown request gets `MethodNotFound`, an
//! unknown notification is ignored. The server is synchronous: one message
//! at a time, each check of a group bounded by the parser's limits.

mod features;
mod names;
mod position;
mod state;

use crate::Status;
use crate::common::{error, warn};
use lsp_server::{ErrorCode, Message, Notification, Request, RequestId, Response};
use lsp_types::{
    CompletionOptions, CompletionParams, CompletionResponse, DidChangeTextDocumentParams,
    DidCloseTextDocumentParams, DidOpenTextDocumentParams, DocumentFormattingParams,
    GotoDefinitionParams, GotoDefinitionResponse, HoverParams, HoverProviderCapability,
    InitializeResult, OneOf, PublishDiagnosticsParams, ServerCapabilities, ServerInfo,
    TextDocumentSyncCapability, TextDocumentSyncKind,
};
use serde::de::DeserializeOwned;
use state::{Data, Document, Documents};
use std::io::{BufRead, Read, Write};

/// Options of `semaforo lsp`.
#[derive(clap::Args, Debug)]
pub(crate) struct Args {
    /// Speak over standard input and output (the only transport; accepted
    /// because editors' clients pass it).
    #[arg(long)]
    stdio: bool,
}

/// The largest message read (a ruleset is at most 16 MiB of text; its
/// JSON escaping can make it larger).
const MAX_MESSAGE_BYTES: usize = 64 * 1024 * 1024;

/// One frame read from the client.
enum Frame {
    Message(Message),
    /// Not a JSON-RPC message: the error code and what was wrong.
    Malformed(i32, String),
}

/// Reads one `Content-Length` framed message; `None` at the end of input.
fn read_frame(input: &mut impl BufRead) -> std::io::Result<Option<Frame>> {
    let mut length: Option<usize> = None;
    let mut bad_header = None;
    let mut saw_header = false;
    loop {
        let mut line = String::new();
        if input.read_line(&mut line)? == 0 {
            return Ok(None);
        }
        let line = line.trim_end_matches(['\r', '\n']);
        if line.is_empty() {
            if saw_header {
                break;
            }
            continue;
        }
        saw_header = true;
        if let Some((name, value)) = line.split_once(':') {
            if name.trim().eq_ignore_ascii_case("content-length") {
                match value.trim().parse::<usize>() {
                    Ok(n) => length = Some(n),
                    Err(_) => bad_header = Some(format!("bad Content-Length `{}`", value.trim())),
                }
            }
        } else {
            bad_header = Some(format!("header line without `:`: `{line}`"));
        }
    }
    let Some(length) = length else {
        return Ok(Some(Frame::Malformed(
            ErrorCode::InvalidRequest as i32,
            bad_header.unwrap_or_else(|| "a message without a Content-Length header".into()),
        )));
    };
    if length > MAX_MESSAGE_BYTES {
        std::io::copy(&mut input.take(length as u64), &mut std::io::sink())?;
        return Ok(Some(Frame::Malformed(
            ErrorCode::InvalidRequest as i32,
            format!("a message of {length} bytes, more than the {MAX_MESSAGE_BYTES} allowed"),
        )));
    }
    let mut body = vec![0; length];
    input.read_exact(&mut body)?;
    let value: serde_json::Value = match serde_json::from_slice(&body) {
        Ok(v) => v,
        Err(e) => {
            return Ok(Some(Frame::Malformed(
                ErrorCode::ParseError as i32,
                format!("the message is not JSON: {e}"),
            )));
        }
    };
    Ok(Some(match serde_json::from_value::<Message>(value) {
        Ok(m) => Frame::Message(m),
        Err(e) => Frame::Malformed(
            ErrorCode::InvalidRequest as i32,
            format!("the message is not a JSON-RPC request, response or notification: {e}"),
        ),
    }))
}

/// Writes an error response with a null id (the id of a message that
/// could not be read).
fn write_null_id_error(out: &mut impl Write, code: i32, message: &str) -> std::io::Result<()> {
    let body = serde_json::json!({
        "jsonrpc": "2.0",
        "id": null,
        "error": {"code": code, "message": message},
    })
    .to_string();
    write!(out, "Content-Length: {}\r\n\r\n{body}", body.len())?;
    out.flush()
}

/// Runs the server until `exit` (status 0 after `shutdown`, 1 without, as
/// the protocol asks) or the end of input (1).
pub(crate) fn run(_args: Args) -> Status {
    let stdin = std::io::stdin();
    let mut input = stdin.lock();
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let mut server = Server::default();
    loop {
        let frame = match read_frame(&mut input) {
            Ok(Some(f)) => f,
            Ok(None) => {
                error("lsp: the client closed the input without `exit`");
                return Status::Findings;
            }
            Err(e) => {
                error(format!("lsp: cannot read a message: {e}"));
                return Status::Trouble;
            }
        };
        let replies = match frame {
            Frame::Malformed(code, message) => {
                warn(format!("lsp: {message}"));
                if let Err(e) = write_null_id_error(&mut out, code, &message) {
                    error(format!("lsp: cannot write a message: {e}"));
                    return Status::Trouble;
                }
                continue;
            }
            Frame::Message(Message::Notification(n)) if n.method == "exit" => {
                return if server.shut_down {
                    Status::Ok
                } else {
                    Status::Findings
                };
            }
            Frame::Message(Message::Request(r)) => vec![Message::Response(server.request(r))],
            Frame::Message(Message::Notification(n)) => server.notification(n),
            // The server sends no requests, so expects no responses.
            Frame::Message(Message::Response(_)) => Vec::new(),
        };
        for m in replies {
            if let Err(e) = m.write(&mut out) {
                error(format!("lsp: cannot write a message: {e}"));
                return Status::Trouble;
            }
        }
    }
}

#[derive(Default)]
struct Server {
    initialized: bool,
    shut_down: bool,
    docs: Documents,
    /// External data from the settings.
    data: Data,
    /// Problems with the settings, shown to the user after `initialized`.
    problems: Vec<String>,
    /// The directory the settings' paths are relative to.
    root: std::path::PathBuf,
}

/// The workspace root: the first workspace folder, else `rootUri`, else
/// the directory the server runs in.
fn workspace_root(params: &serde_json::Value) -> std::path::PathBuf {
    let folder = params
        .get("workspaceFolders")
        .and_then(|f| f.get(0))
        .and_then(|f| f.get("uri"));
    folder
        .or_else(|| params.get("rootUri"))
        .and_then(serde_json::Value::as_str)
        .and_then(state::uri_path)
        .unwrap_or_else(|| std::path::PathBuf::from("."))
}

fn params<P: DeserializeOwned>(value: serde_json::Value) -> Result<P, String> {
    serde_json::from_value(value).map_err(|e| format!("invalid parameters: {e}"))
}

fn ok(id: RequestId, result: impl serde::Serialize) -> Response {
    match serde_json::to_value(result) {
        Ok(v) => Response {
            id,
            result: Some(v),
            error: None,
        },
        Err(e) => Response::new_err(
            id,
            ErrorCode::InternalError as i32,
            format!("cannot encode the result: {e}"),
        ),
    }
}

fn capabilities() -> InitializeResult {
    InitializeResult {
        capabilities: ServerCapabilities {
            text_document_sync: Some(TextDocumentSyncCapability::Kind(TextDocumentSyncKind::FULL)),
            document_formatting_provider: Some(OneOf::Left(true)),
            hover_provider: Some(HoverProviderCapability::Simple(true)),
            definition_provider: Some(OneOf::Left(true)),
            completion_provider: Some(CompletionOptions {
                trigger_characters: Some(vec![".".into()]),
                ..CompletionOptions::default()
            }),
            references_provider: Some(OneOf::Left(true)),
            document_symbol_provider: Some(OneOf::Left(true)),
            rename_provider: Some(OneOf::Right(lsp_types::RenameOptions {
                prepare_provider: Some(true),
                work_done_progress_options: lsp_types::WorkDoneProgressOptions::default(),
            })),
            ..ServerCapabilities::default()
        },
        server_info: Some(ServerInfo {
            name: "semaforo".into(),
            version: Some(semaforo::ENGINE_VERSION.into()),
        }),
    }
}

impl Server {
    fn request(&mut self, r: Request) -> Response {
        let id = r.id.clone();
        if self.shut_down {
            return Response::new_err(
                id,
                ErrorCode::InvalidRequest as i32,
                format!("`{}` after `shutdown`", r.method),
            );
        }
        if r.method == "initialize" {
            if self.initialized {
                return Response::new_err(
                    id,
                    ErrorCode::InvalidRequest as i32,
                    "the server is already initialized".into(),
                );
            }
            self.initialized = true;
            self.root = workspace_root(&r.params);
            let (data, problems) =
                Data::from_options(r.params.get("initializationOptions"), &self.root);
            self.data = data;
            self.problems = problems;
            return ok(id, capabilities());
        }
        if !self.initialized {
            return Response::new_err(
                id,
                ErrorCode::ServerNotInitialized as i32,
                format!("`{}` before `initialize`", r.method),
            );
        }
        match self.answer(&r.method, r.params) {
            Ok(Some(v)) => ok(id, v),
            Ok(None) => Response::new_err(
                id,
                ErrorCode::MethodNotFound as i32,
                format!("unknown method `{}`", r.method),
            ),
            Err(e) => Response::new_err(id, ErrorCode::InvalidParams as i32, e),
        }
    }

    /// The result of a request; `None` for an unknown method.
    fn answer(
        &mut self,
        method: &str,
        p: serde_json::Value,
    ) -> Result<Option<serde_json::Value>, String> {
        let json = |v: serde_json::Result<serde_json::Value>| {
            v.map(Some)
                .map_err(|e| format!("cannot encode the result: {e}"))
        };
        match method {
            "shutdown" => {
                self.shut_down = true;
                Ok(Some(serde_json::Value::Null))
            }
            "textDocument/formatting" => {
                let p: DocumentFormattingParams = params(p)?;
                let edits = self
                    .docs
                    .open
                    .get(p.text_document.uri.as_str())
                    .map(|d| features::formatting(&d.text))
                    .unwrap_or_default();
                json(serde_json::to_value(edits))
            }
            "textDocument/hover" => {
                let p: HoverParams = params(p)?;
                let uri = p.text_document_position_params.text_document.uri.as_str();
                let a = self.docs.analyze(uri, false, &self.data);
                let h = features::hover(&a, uri, p.text_document_position_params.position);
                json(serde_json::to_value(h))
            }
            "textDocument/definition" => {
                let p: GotoDefinitionParams = params(p)?;
                let uri = p.text_document_position_params.text_document.uri.as_str();
                let a = self.docs.analyze(uri, false, &self.data);
                let d = features::definition(&a, uri, p.text_document_position_params.position)
                    .map(GotoDefinitionResponse::Scalar);
                json(serde_json::to_value(d))
            }
            "textDocument/completion" => {
                let p: CompletionParams = params(p)?;
                let uri = p.text_document_position.text_document.uri.as_str();
                let Some(text) = self.docs.open.get(uri).map(|d| d.text.clone()) else {
                    return json(serde_json::to_value(CompletionResponse::Array(Vec::new())));
                };
                // Names from the last text of each file that parsed: the
                // line being typed usually does not.
                let a = self.docs.analyze(uri, true, &self.data);
                let items =
                    features::completion(&a.symbols, &text, p.text_document_position.position);
                json(serde_json::to_value(CompletionResponse::Array(items)))
            }
            "textDocument/references" => {
                let p: lsp_types::ReferenceParams = params(p)?;
                let at = p.text_document_position;
                let uri = at.text_document.uri.as_str();
                let a = self.docs.analyze(uri, false, &self.data);
                let r = names::references(&a, uri, at.position, p.context.include_declaration);
                json(serde_json::to_value(r))
            }
            "textDocument/documentSymbol" => {
                let p: lsp_types::DocumentSymbolParams = params(p)?;
                let uri = p.text_document.uri.as_str();
                let a = self.docs.analyze(uri, true, &self.data);
                let s = names::document_symbols(&a, uri);
                json(serde_json::to_value(
                    lsp_types::DocumentSymbolResponse::Nested(s),
                ))
            }
            "textDocument/prepareRename" => {
                let p: lsp_types::TextDocumentPositionParams = params(p)?;
                let uri = p.text_document.uri.as_str();
                let a = self.docs.analyze(uri, false, &self.data);
                json(serde_json::to_value(names::prepare_rename(
                    &a, uri, p.position,
                )))
            }
            "textDocument/rename" => {
                let p: lsp_types::RenameParams = params(p)?;
                let at = p.text_document_position;
                let uri = at.text_document.uri.as_str();
                let a = self.docs.analyze(uri, false, &self.data);
                let e = names::rename(&a, uri, at.position, &p.new_name)?;
                json(serde_json::to_value(e))
            }
            _ => Ok(None),
        }
    }

    fn notification(&mut self, n: Notification) -> Vec<Message> {
        if !self.initialized {
            return Vec::new();
        }
        let result = match n.method.as_str() {
            "textDocument/didOpen" => params::<DidOpenTextDocumentParams>(n.params).map(|p| {
                let uri = p.text_document.uri.as_str().to_string();
                self.set_text(&uri, p.text_document.text);
                self.publish(&uri, None)
            }),
            "textDocument/didChange" => {
                params::<DidChangeTextDocumentParams>(n.params).map(|p| {
                    let uri = p.text_document.uri.as_str().to_string();
                    // Full sync: the last change holds the whole text.
                    match p.content_changes.into_iter().last() {
                        Some(c) => {
                            self.set_text(&uri, c.text);
                            self.publish(&uri, None)
                        }
                        None => Vec::new(),
                    }
                })
            }
            "textDocument/didClose" => params::<DidCloseTextDocumentParams>(n.params).map(|p| {
                let uri = p.text_document.uri.as_str().to_string();
                self.docs.open.remove(&uri);
                self.publish(&uri, Some(&uri))
            }),
            "initialized" => Ok(self.show_problems()),
            "workspace/didChangeConfiguration" => {
                // `{"settings": {"semaforo": {"lists": ..., "tables": ...}}}`
                // (VS Code's shape), or the options at the top of `settings`.
                let settings = n.params.get("settings");
                let options = settings
                    .and_then(|s| s.get("semaforo"))
                    .or(settings)
                    .filter(|o| o.get("lists").is_some() || o.get("tables").is_some());
                match options {
                    Some(o) => {
                        let (data, problems) = Data::from_options(Some(o), &self.root);
                        self.data = data;
                        self.problems = problems;
                        let mut out = self.show_problems();
                        let open: Vec<String> = self.docs.open.keys().cloned().collect();
                        for uri in open {
                            out.extend(self.publish(&uri, None));
                        }
                        Ok(out)
                    }
                    // Settings for another tool, or none: the data stays.
                    None => Ok(Vec::new()),
                }
            }
            // `didSave`, `$/cancelRequest`, `$/setTrace` and
            // any other notification need nothing.
            _ => Ok(Vec::new()),
        };
        result.unwrap_or_else(|e| {
            warn(format!("lsp: `{}`: {e}", n.method));
            Vec::new()
        })
    }

    /// The problems with the settings, as warning messages to the user
    /// (and lines on standard error).
    fn show_problems(&mut self) -> Vec<Message> {
        self.problems
            .drain(..)
            .map(|p| {
                warn(format!("lsp: {p}"));
                Message::Notification(Notification::new(
                    "window/showMessage".into(),
                    lsp_types::ShowMessageParams {
                        typ: lsp_types::MessageType::WARNING,
                        message: format!("semaforo lsp settings: {p}"),
                    },
                ))
            })
            .collect()
    }

    fn set_text(&mut self, uri: &str, text: String) {
        let parsed = semaforo::format_source(&text).is_ok();
        let d = self
            .docs
            .open
            .entry(uri.to_string())
            .or_insert_with(|| Document {
                text: String::new(),
                last_parsed: None,
            });
        if parsed {
            d.last_parsed = Some(text.clone());
        }
        d.text = text;
    }

    /// Checks the group of `uri` and publishes the diagnostics of each of
    /// its files (an empty list clears a file's). `closed`: a document
    /// just closed, whose diagnostics are cleared.
    fn publish(&self, uri: &str, closed: Option<&str>) -> Vec<Message> {
        let a = self.docs.analyze(uri, false, &self.data);
        let mut out = Vec::new();
        let mut send = |uri: &str, diagnostics| {
            if let Ok(u) = uri.parse() {
                out.push(Message::Notification(Notification::new(
                    "textDocument/publishDiagnostics".into(),
                    PublishDiagnosticsParams::new(u, diagnostics, None),
                )));
            }
        };
        for (u, diagnostics) in features::diagnostics(&a) {
            if Some(u.as_str()) != closed {
                send(&u, diagnostics);
            }
        }
        if let Some(c) = closed {
            send(c, Vec::new());
        }
        out
    }
}
