//! `semaforo lsp`: an LSP client speaking to the real binary over stdio,
//! with `Content-Length` framing, as an editor does.

use crate::support::{scratch, write};
use serde_json::{Value, json};
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::time::{Duration, Instant};

/// How long a test waits for one message before failing.
const PATIENCE: Duration = Duration::from_secs(30);

struct Client {
    child: Child,
    stdin: ChildStdin,
    messages: Receiver<Value>,
    /// Notifications received while waiting for a response.
    pending: Vec<Value>,
    next_id: i64,
}

/// Reads one framed message; `None` at the end of the stream.
fn read_message(r: &mut impl BufRead) -> Option<Value> {
    let mut length = None;
    loop {
        let mut line = String::new();
        if r.read_line(&mut line).ok()? == 0 {
            return None;
        }
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some(v) = line.strip_prefix("Content-Length:") {
            length = Some(v.trim().parse::<usize>().unwrap());
        }
    }
    let mut body = vec![0; length.expect("a Content-Length header")];
    r.read_exact(&mut body).ok()?;
    Some(serde_json::from_slice(&body).unwrap())
}

impl Client {
    fn start(dir: &Path) -> Client {
        let mut child = Command::new(env!("CARGO_BIN_EXE_semaforo"))
            .arg("lsp")
            .current_dir(dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdin = child.stdin.take().unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = channel();
        std::thread::spawn(move || {
            let mut r = BufReader::new(stdout);
            while let Some(m) = read_message(&mut r) {
                if tx.send(m).is_err() {
                    break;
                }
            }
        });
        Client {
            child,
            stdin,
            messages: rx,
            pending: Vec::new(),
            next_id: 1,
        }
    }

    fn send_raw(&mut self, body: &[u8]) {
        write!(self.stdin, "Content-Length: {}\r\n\r\n", body.len()).unwrap();
        self.stdin.write_all(body).unwrap();
        self.stdin.flush().unwrap();
    }

    fn send(&mut self, v: &Value) {
        self.send_raw(v.to_string().as_bytes());
    }

    fn next(&mut self) -> Value {
        match self.messages.recv_timeout(PATIENCE) {
            Ok(v) => v,
            Err(RecvTimeoutError::Timeout) => panic!("no message from the server"),
            Err(RecvTimeoutError::Disconnected) => panic!("the server closed its output"),
        }
    }

    /// Sends a request and returns its whole response.
    fn request_raw(&mut self, method: &str, params: Value) -> Value {
        let id = self.next_id;
        self.next_id += 1;
        self.send(&json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}));
        loop {
            let m = self.next();
            if m["id"] == json!(id) && m.get("method").is_none() {
                return m;
            }
            self.pending.push(m);
        }
    }

    /// Sends a request and returns its result (failing on an error).
    fn request(&mut self, method: &str, params: Value) -> Value {
        let r = self.request_raw(method, params);
        assert!(r.get("error").is_none(), "{method} failed: {r}");
        r["result"].clone()
    }

    fn notify(&mut self, method: &str, params: Value) {
        self.send(&json!({"jsonrpc": "2.0", "method": method, "params": params}));
    }

    /// The next `publishDiagnostics` for `uri`.
    fn diagnostics_for(&mut self, uri: &str) -> Vec<Value> {
        let deadline = Instant::now() + PATIENCE;
        loop {
            if let Some(i) = self.pending.iter().position(|m| {
                m["method"] == "textDocument/publishDiagnostics" && m["params"]["uri"] == uri
            }) {
                let m = self.pending.remove(i);
                return m["params"]["diagnostics"].as_array().unwrap().clone();
            }
            assert!(Instant::now() < deadline, "no diagnostics for {uri}");
            let m = self.next();
            self.pending.push(m);
        }
    }

    fn initialize(&mut self, dir: &Path) -> Value {
        self.initialize_with(dir, Value::Null)
    }

    fn initialize_with(&mut self, dir: &Path, options: Value) -> Value {
        let r = self.request(
            "initialize",
            json!({"processId": null, "rootUri": uri(dir, ""), "capabilities": {},
                   "initializationOptions": options}),
        );
        self.notify("initialized", json!({}));
        r
    }

    fn open(&mut self, uri: &str, text: &str) {
        self.notify(
            "textDocument/didOpen",
            json!({"textDocument": {"uri": uri, "languageId": "semaforo", "version": 1, "text": text}}),
        );
    }

    fn change(&mut self, uri: &str, version: i64, text: &str) {
        self.notify(
            "textDocument/didChange",
            json!({"textDocument": {"uri": uri, "version": version}, "contentChanges": [{"text": text}]}),
        );
    }

    /// `shutdown` then `exit`; the server's exit status.
    fn shutdown(mut self) -> i32 {
        assert_eq!(self.request("shutdown", Value::Null), Value::Null);
        self.notify("exit", Value::Null);
        wait_exit(&mut self.child)
    }
}

impl Drop for Client {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn wait_exit(child: &mut Child) -> i32 {
    let deadline = Instant::now() + PATIENCE;
    loop {
        if let Some(s) = child.try_wait().unwrap() {
            return s.code().unwrap_or(-1);
        }
        assert!(Instant::now() < deadline, "the server did not exit");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The `file:` URI of `dir/name` (scratch paths are ASCII).
fn uri(dir: &Path, name: &str) -> String {
    let p = dir.join(name);
    format!("file://{}", p.to_str().unwrap())
}

fn pos(line: u32, character: u32) -> Value {
    json!({"line": line, "character": character})
}

/// The position of the `n`th (0-based) occurrence of `needle` in `text`,
/// plus `plus` UTF-16 units, with a UTF-16 column.
fn position_of(text: &str, needle: &str, n: usize, plus: u32) -> Value {
    let at = text.match_indices(needle).nth(n).unwrap().0;
    let line = text[..at].matches('\n').count() as u32;
    let start = text[..at].rfind('\n').map_or(0, |i| i + 1);
    let col = text[start..at].encode_utf16().count() as u32;
    pos(line, col + plus)
}

const PACKAGE: &str = r#"package "sica" version "1"
lanes green, yellow, red
schema declaration {
  key id: text
  origin: text
  freight: number?
  items: [item]
}
record item {
  hs: text
  value: number
}
list watched = ["CN", "VN"]
list importers: text
table value_control: { min: number, max: number }
rule VAL-001 "Valor bajo" {
  profile owner "Grupo", level regional
  when any(it in items: it.value < lookup(value_control, it.hs).min) and not (origin in importers)
  then lane yellow
}
"#;

const NATIONAL: &str = r#"ruleset "gt" version "1"
uses "sica" version "1"
override sica/VAL-001 {
  disable
  reason "no"
}
rule GT-1 "Origen vigilado" {
  when origin in watched
  then score 10
}
test "watched" {
  given { "id": "1", "origin": "CN", "items": [] }
  expect fired GT-1
  expect not fired sica/VAL-001
}
"#;

/// A scratch directory holding the package and the national ruleset.
fn regional(name: &str) -> std::path::PathBuf {
    let dir = scratch(name);
    write(&dir, "a-gt.sem", NATIONAL);
    write(&dir, "sica.sem", PACKAGE);
    dir
}

/// A server on the package and the national ruleset, with the national
/// file open and its group clean: the directory, the package's and the
/// national file's URIs, and the client.
fn national_open(name: &str) -> (String, String, Client) {
    let dir = regional(name);
    let sica = uri(&dir, "sica.sem");
    let gt = uri(&dir, "a-gt.sem");
    let mut c = Client::start(&dir);
    c.initialize(&dir);
    c.open(&gt, NATIONAL);
    // The national file sorts first by name, but compiles after the
    // package: its group is clean.
    assert_eq!(c.diagnostics_for(&gt), Vec::<Value>::new());
    (sica, gt, c)
}

#[test]
fn lsp_initialize_announces_capabilities() {
    let dir = scratch("lsp-init");
    let mut c = Client::start(&dir);
    let r = c.initialize(&dir);
    let caps = &r["capabilities"];
    assert_eq!(caps["textDocumentSync"], json!(1), "full sync: {r}");
    assert_eq!(caps["documentFormattingProvider"], json!(true));
    assert_eq!(caps["hoverProvider"], json!(true));
    assert_eq!(caps["definitionProvider"], json!(true));
    assert_eq!(caps["referencesProvider"], json!(true));
    assert_eq!(caps["documentSymbolProvider"], json!(true));
    assert_eq!(caps["renameProvider"], json!({"prepareProvider": true}));
    assert_eq!(
        caps["completionProvider"]["triggerCharacters"],
        json!(["."])
    );
    assert_eq!(r["serverInfo"]["name"], "semaforo");
    assert_eq!(c.shutdown(), 0);
}

#[test]
fn lsp_diagnostics_have_utf16_ranges_and_clear_when_fixed() {
    let dir = scratch("lsp-diag");
    let u = uri(&dir, "rules.sem");
    // `é` is two bytes and one UTF-16 unit; `🚢` four bytes, two units and
    // one character: only UTF-16 columns put the range on `orign`.
    let bad = "ruleset \"x\" version \"1\"\n# é\nschema declaration { key id: text\n  origin: text }\nrule R \"é 🚢\" { when orign == \"CN\" then score 1 }\n";
    let mut c = Client::start(&dir);
    c.initialize(&dir);
    c.open(&u, bad);
    let d = c.diagnostics_for(&u);
    assert_eq!(d.len(), 1, "{d:?}");
    assert_eq!(d[0]["code"], "E0202");
    assert_eq!(d[0]["severity"], json!(1));
    assert_eq!(d[0]["source"], "semaforo");
    let msg = d[0]["message"].as_str().unwrap();
    assert!(msg.starts_with("unknown name `orign`"), "{msg}");
    assert!(msg.contains("did you mean `origin`?"), "{msg}");
    let start = position_of(bad, "orign", 0, 0);
    assert_eq!(start, pos(4, 21));
    assert_eq!(
        d[0]["range"],
        json!({"start": start, "end": position_of(bad, "orign", 0, 5)})
    );

    c.change(&u, 2, &bad.replace("orign", "origin"));
    assert_eq!(c.diagnostics_for(&u), Vec::<Value>::new());
    assert_eq!(c.shutdown(), 0);
}

#[test]
fn lsp_syntax_errors_are_diagnostics_and_duplicates_are_related() {
    let dir = scratch("lsp-syntax");
    let u = uri(&dir, "rules.sem");
    let mut c = Client::start(&dir);
    c.initialize(&dir);
    c.open(&u, "ruleset \"x\" version\n");
    let d = c.diagnostics_for(&u);
    assert!(!d.is_empty());
    assert!(d[0]["code"].as_str().unwrap().starts_with("E0"), "{d:?}");
    // A duplicate field: the first declaration is related information.
    let dup = "ruleset \"x\" version \"1\"\nschema declaration { key id: text\n  origin: text\n  origin: text }\n";
    c.change(&u, 2, dup);
    let d = c.diagnostics_for(&u);
    let related = d
        .iter()
        .find_map(|d| d["relatedInformation"].as_array())
        .expect("a diagnostic with related information");
    assert_eq!(related[0]["location"]["uri"], u.as_str());
    assert_eq!(related[0]["location"]["range"]["start"], pos(2, 2));
}

#[test]
fn lsp_formatting_returns_one_edit_and_none_for_broken_text() {
    let dir = scratch("lsp-fmt");
    let u = uri(&dir, "rules.sem");
    let text = "ruleset \"x\" version \"1\"\nschema declaration {   key id: text }\n";
    let mut c = Client::start(&dir);
    c.initialize(&dir);
    c.open(&u, text);
    let params =
        json!({"textDocument": {"uri": u}, "options": {"tabSize": 2, "insertSpaces": true}});
    let edits = c.request("textDocument/formatting", params.clone());
    let edits = edits.as_array().unwrap();
    assert_eq!(edits.len(), 1);
    assert_eq!(edits[0]["range"]["start"], pos(0, 0));
    assert_eq!(edits[0]["range"]["end"], pos(2, 0));
    let formatted = edits[0]["newText"].as_str().unwrap();
    assert!(
        formatted.contains("schema declaration {\n  key id: text\n}"),
        "{formatted}"
    );
    // Formatted text: nothing to do.
    c.change(&u, 2, formatted);
    assert_eq!(
        c.request("textDocument/formatting", params.clone()),
        json!([])
    );
    // A syntax error: no edits, the buffer is left alone.
    c.change(&u, 3, "ruleset \"x\" version\nschema   declaration { }");
    assert_eq!(c.request("textDocument/formatting", params), json!([]));
}

#[test]
fn lsp_hover_describes_fields_lists_and_tables() {
    let dir = regional("lsp-hover");
    let u = uri(&dir, "sica.sem");
    let mut c = Client::start(&dir);
    c.initialize(&dir);
    c.open(&u, PACKAGE);
    assert_eq!(c.diagnostics_for(&u), Vec::<Value>::new());
    let mut hover = |needle: &str, n: usize| -> String {
        let r = c.request(
            "textDocument/hover",
            json!({"textDocument": {"uri": u}, "position": position_of(PACKAGE, needle, n, 1)}),
        );
        r["contents"]["value"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    };
    // `it.value` in the rule: a field of `item`.
    let value = hover("value <", 0);
    assert!(value.contains("field `value: number` of `item`"), "{value}");
    // `items` in the quantifier: a list of records, with their fields.
    let items = hover("items:", 0);
    assert!(
        items.contains("field `items: [item]` of `declaration`"),
        "{items}"
    );
    assert!(
        items.contains("`hs: text`") && items.contains("`value: number`"),
        "{items}"
    );
    // An optional field says so.
    let freight = hover("freight", 0);
    assert!(
        freight.contains("`freight: number?`") && freight.contains("optional"),
        "{freight}"
    );
    // Lists: an inline list's size, an external list's source.
    let watched = hover("watched", 0);
    assert!(
        watched.contains("list `watched` of `text`: 2 values"),
        "{watched}"
    );
    let importers = hover("importers)", 0);
    assert!(importers.contains("external"), "{importers}");
    // A table with columns, hovered where it is used.
    let table = hover("value_control,", 0);
    assert!(table.contains("table `value_control`"), "{table}");
    assert!(
        table.contains("`min: number`") && table.contains("`max: number`"),
        "{table}"
    );
    // A column after `lookup(...)`, a lane, a rule.
    let min = hover(".min", 0);
    assert!(
        min.contains("column `min: number` of table `value_control`"),
        "{min}"
    );
    let lane = hover("yellow\n}", 0);
    assert!(lane.contains("severity 2 of 3"), "{lane}");
    let rule = hover("VAL-001", 0);
    assert!(rule.contains("rule `sica/VAL-001`: Valor bajo"), "{rule}");
    assert!(rule.contains("owner \"Grupo\""), "{rule}");
}

#[test]
fn lsp_definition_of_fields_lists_and_qualified_rules_across_files() {
    let (sica, gt, mut c) = national_open("lsp-def");
    let mut definition = |at: Value| -> Value {
        c.request(
            "textDocument/definition",
            json!({"textDocument": {"uri": gt}, "position": at}),
        )
    };
    // `origin` in the national rule: the package's schema.
    let origin = definition(position_of(NATIONAL, "origin in", 0, 2));
    assert_eq!(origin["uri"], sica.as_str());
    assert_eq!(
        origin["range"]["start"],
        position_of(PACKAGE, "origin", 0, 0)
    );
    // `watched`: the package's list.
    let watched = definition(position_of(NATIONAL, "watched\n", 0, 1));
    assert_eq!(watched["uri"], sica.as_str());
    assert_eq!(
        watched["range"]["start"],
        position_of(PACKAGE, "watched", 0, 0)
    );
    // `sica/VAL-001` in the override and in an `expect` line.
    let val = position_of(PACKAGE, "VAL-001", 0, 0);
    for n in 0..2 {
        let r = definition(position_of(NATIONAL, "sica/VAL-001", n, 6));
        assert_eq!(r["uri"], sica.as_str(), "occurrence {n}");
        assert_eq!(r["range"]["start"], val, "occurrence {n}");
    }
    // A rule of the same file.
    let gt1 = definition(position_of(NATIONAL, "GT-1", 1, 1));
    assert_eq!(gt1["uri"], gt.as_str());
    assert_eq!(gt1["range"]["start"], position_of(NATIONAL, "GT-1", 0, 0));
    // Nothing under the cursor: null.
    assert_eq!(definition(pos(0, 0)), Value::Null);
}

#[test]
fn lsp_completion_after_it_dot_offers_the_elements_fields() {
    let dir = regional("lsp-complete");
    let u = uri(&dir, "sica.sem");
    let mut c = Client::start(&dir);
    c.initialize(&dir);
    c.open(&u, PACKAGE);
    // Mid-edit: the text does not parse.
    let editing = PACKAGE.replace(
        "it.value < lookup",
        "any(x in items: x.) and it.value < lookup",
    );
    c.change(&u, 2, &editing);
    let at = position_of(&editing, "x.)", 0, 2);
    let r = c.request(
        "textDocument/completion",
        json!({"textDocument": {"uri": u}, "position": at, "context": {"triggerKind": 2, "triggerCharacter": "."}}),
    );
    let labels: Vec<&str> = r
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["label"].as_str().unwrap())
        .collect();
    assert_eq!(labels, ["hs", "value"]);
    assert_eq!(r[1]["detail"], "number");
    let doc = r[1]["documentation"]["value"].as_str().unwrap();
    assert!(doc.contains("field `value: number` of `item`"), "{doc}");
    // Elsewhere: top-level fields, lists, tables, lanes and keywords.
    let at = position_of(&editing, "then lane", 0, 0);
    let r = c.request(
        "textDocument/completion",
        json!({"textDocument": {"uri": u}, "position": at}),
    );
    let labels: Vec<&str> = r
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["label"].as_str().unwrap())
        .collect();
    for want in [
        "origin",
        "items",
        "watched",
        "importers",
        "value_control",
        "yellow",
        "when",
    ] {
        assert!(labels.contains(&want), "{want} missing from {labels:?}");
    }
    assert!(
        !labels.contains(&"hs"),
        "an element field offered at top level: {labels:?}"
    );
}

#[test]
fn lsp_survives_garbage_and_unknown_methods() {
    let dir = scratch("lsp-garbage");
    let mut c = Client::start(&dir);
    // Before `initialize`: refused with ServerNotInitialized.
    let r = c.request_raw("textDocument/hover", json!({}));
    assert_eq!(r["error"]["code"], json!(-32002));
    c.initialize(&dir);
    c.send_raw(b"{this is not json");
    let r = c.next();
    assert_eq!(r["error"]["code"], json!(-32700), "{r}");
    assert_eq!(r["id"], Value::Null);
    c.send_raw(b"{\"jsonrpc\": \"2.0\", \"neither\": 1}");
    let r = c.next();
    assert_eq!(r["error"]["code"], json!(-32600), "{r}");
    // An unknown request: MethodNotFound; an unknown notification: ignored.
    let r = c.request_raw("semaforo/unknown", json!({}));
    assert_eq!(r["error"]["code"], json!(-32601));
    c.notify("semaforo/unknownNotification", json!({}));
    // Bad parameters: InvalidParams.
    let r = c.request_raw("textDocument/hover", json!({"textDocument": 3}));
    assert_eq!(r["error"]["code"], json!(-32602));
    // Still serving.
    let u = uri(&dir, "rules.sem");
    c.open(&u, "ruleset \"x\" version \"1\"\n");
    c.diagnostics_for(&u);
    assert_eq!(c.shutdown(), 0);
}

#[test]
fn lsp_exit_without_shutdown_is_status_1_and_requests_after_shutdown_fail() {
    let dir = scratch("lsp-exit");
    let mut c = Client::start(&dir);
    c.initialize(&dir);
    assert_eq!(c.request("shutdown", Value::Null), Value::Null);
    let r = c.request_raw("textDocument/hover", json!({}));
    assert_eq!(r["error"]["code"], json!(-32600));
    c.notify("exit", Value::Null);
    assert_eq!(wait_exit(&mut c.child), 0);

    let mut c = Client::start(&dir);
    c.initialize(&dir);
    c.notify("exit", Value::Null);
    assert_eq!(wait_exit(&mut c.child), 1);
}

#[test]
fn lsp_settings_data_gives_sizes_and_data_diagnostics() {
    let dir = regional("lsp-data");
    write(
        &dir,
        "data/importers.txt",
        "# watched\nIMP-1\nIMP-2\n\nIMP-3\n",
    );
    write(&dir, "data/vc.csv", "key,min,max\n6403,1,2\n6404,x,3\n");
    let sica = uri(&dir, "sica.sem");
    let mut c = Client::start(&dir);
    c.initialize_with(
        &dir,
        json!({"lists": {"importers": "data/importers.txt"},
               "tables": {"value_control": "data/vc.csv"},
               "unrelated": 1}),
    );
    c.open(&sica, PACKAGE);
    // The bad cell is reported in the table's file.
    let vc = uri(&dir, "data/vc.csv");
    let d = c.diagnostics_for(&vc);
    assert_eq!(d.len(), 1, "{d:?}");
    assert_eq!(d[0]["range"]["start"], pos(2, 5), "{d:?}");
    assert!(d[0]["message"].as_str().unwrap().contains("`min`"), "{d:?}");
    let mut hover = |needle: &str| -> String {
        let r = c.request(
            "textDocument/hover",
            json!({"textDocument": {"uri": sica}, "position": position_of(PACKAGE, needle, 0, 1)}),
        );
        r["contents"]["value"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    };
    let importers = hover("importers)");
    assert!(
        importers.contains("list `importers` of `text`: 3 values"),
        "{importers}"
    );
    let table = hover("value_control,");
    assert!(table.contains(", 2 keys"), "{table}");
}

#[test]
fn lsp_settings_problems_are_shown_not_fatal() {
    let dir = scratch("lsp-bad-settings");
    let mut c = Client::start(&dir);
    c.initialize_with(&dir, json!({"lists": {"x": "missing.txt"}, "tables": 3}));
    let mut messages = Vec::new();
    while messages.len() < 2 {
        let m = c.next();
        if m["method"] == "window/showMessage" {
            messages.push(m["params"]["message"].as_str().unwrap().to_string());
        }
    }
    messages.sort();
    assert!(
        messages[0].contains("`lists.x`: cannot read"),
        "{messages:?}"
    );
    assert!(
        messages[1].contains("`tables` is not an object"),
        "{messages:?}"
    );
    assert_eq!(c.shutdown(), 0);
}

#[test]
fn lsp_a_ruleset_finds_its_package_in_a_parent_directory() {
    let dir = scratch("lsp-parent");
    write(&dir, "sica.sem", PACKAGE);
    write(&dir, "gt/gt.sem", NATIONAL);
    let gt = uri(&dir, "gt/gt.sem");
    let mut c = Client::start(&dir);
    c.initialize(&dir);
    c.open(&gt, NATIONAL);
    assert_eq!(c.diagnostics_for(&gt), Vec::<Value>::new());
    let r = c.request(
        "textDocument/definition",
        json!({"textDocument": {"uri": gt}, "position": position_of(NATIONAL, "sica/VAL-001", 0, 6)}),
    );
    assert_eq!(r["uri"], uri(&dir, "sica.sem").as_str());
    // Closing the document clears its diagnostics.
    c.notify(
        "textDocument/didClose",
        json!({"textDocument": {"uri": gt}}),
    );
    assert_eq!(c.diagnostics_for(&gt), Vec::<Value>::new());
    assert_eq!(c.shutdown(), 0);
}

#[test]
fn lsp_deeply_nested_input_is_a_diagnostic_not_a_crash() {
    let dir = scratch("lsp-deep");
    let u = uri(&dir, "rules.sem");
    let deep = format!(
        "ruleset \"x\" version \"1\"\nschema declaration {{ key id: text\n  n: number }}\nrule R \"r\" {{ when {}n{} > 1 then score 1 }}\n",
        "(".repeat(100_000),
        ")".repeat(100_000)
    );
    let mut c = Client::start(&dir);
    c.initialize(&dir);
    c.open(&u, &deep);
    let d = c.diagnostics_for(&u);
    assert!(!d.is_empty() && d[0]["severity"] == json!(1), "{d:?}");
    // Hover, definition, completion and formatting on it answer.
    let at = json!({"textDocument": {"uri": u}, "position": pos(3, 100_020)});
    assert_eq!(c.request("textDocument/hover", at.clone()), Value::Null);
    assert_eq!(
        c.request("textDocument/definition", at.clone()),
        Value::Null
    );
    c.request("textDocument/completion", at);
    let f = json!({"textDocument": {"uri": u}, "options": {"tabSize": 2, "insertSpaces": true}});
    assert_eq!(c.request("textDocument/formatting", f), json!([]));
    assert_eq!(c.shutdown(), 0);
}

#[test]
fn lsp_changed_settings_bring_new_data() {
    let dir = regional("lsp-config");
    write(&dir, "data/importers.txt", "IMP-1\n");
    let sica = uri(&dir, "sica.sem");
    let mut c = Client::start(&dir);
    c.initialize(&dir);
    c.open(&sica, PACKAGE);
    c.diagnostics_for(&sica);
    let at = json!({"textDocument": {"uri": sica}, "position": position_of(PACKAGE, "importers)", 0, 1)});
    let before = c.request("textDocument/hover", at.clone());
    assert!(
        before["contents"]["value"]
            .as_str()
            .unwrap()
            .contains("external"),
        "{before}"
    );
    c.notify(
        "workspace/didChangeConfiguration",
        json!({"settings": {"semaforo": {"lists": {"importers": "data/importers.txt"}}}}),
    );
    // The open documents are checked again with the data.
    c.diagnostics_for(&sica);
    let after = c.request("textDocument/hover", at);
    assert!(
        after["contents"]["value"]
            .as_str()
            .unwrap()
            .contains(": 1 value"),
        "{after}"
    );
    assert_eq!(c.shutdown(), 0);
}

#[test]
fn lsp_references_of_a_package_rule_across_files() {
    let (sica, gt, mut c) = national_open("lsp-refs");
    let refs = |c: &mut Client, at: Value, decl: bool| -> Vec<(String, Value)> {
        let r = c.request(
            "textDocument/references",
            json!({"textDocument": {"uri": gt}, "position": at,
                   "context": {"includeDeclaration": decl}}),
        );
        r.as_array()
            .unwrap()
            .iter()
            .map(|l| {
                (
                    l["uri"].as_str().unwrap().to_string(),
                    l["range"]["start"].clone(),
                )
            })
            .collect()
    };
    // From the override's `sica/VAL-001`: the declaration in the package,
    // then both uses in the national file.
    let got = refs(&mut c, position_of(NATIONAL, "sica/VAL-001", 0, 6), true);
    assert_eq!(
        got,
        vec![
            (sica.clone(), position_of(PACKAGE, "VAL-001", 0, 0)),
            (gt.clone(), position_of(NATIONAL, "sica/VAL-001", 0, 0)),
            (gt.clone(), position_of(NATIONAL, "sica/VAL-001", 1, 0)),
        ]
    );
    // Without the declaration.
    assert_eq!(
        refs(&mut c, position_of(NATIONAL, "sica/VAL-001", 1, 6), false).len(),
        2
    );
    // A list used in the national file and declared in the package.
    let watched = refs(&mut c, position_of(NATIONAL, "watched\n", 0, 1), true);
    assert_eq!(
        watched,
        vec![
            (sica.clone(), position_of(PACKAGE, "watched", 0, 0)),
            (gt.clone(), position_of(NATIONAL, "watched\n", 0, 0)),
        ]
    );
    // Nothing under the cursor: no references.
    assert_eq!(refs(&mut c, pos(0, 0), true), Vec::new());
    assert_eq!(c.shutdown(), 0);
}

#[test]
fn lsp_outline_lists_records_with_fields_lists_tables_and_rules() {
    let dir = regional("lsp-outline");
    let sica = uri(&dir, "sica.sem");
    let mut c = Client::start(&dir);
    c.initialize(&dir);
    c.open(&sica, PACKAGE);
    let r = c.request(
        "textDocument/documentSymbol",
        json!({"textDocument": {"uri": sica}}),
    );
    let names: Vec<(String, i64)> = r
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["name"].as_str().unwrap().to_string(),
                s["kind"].as_i64().unwrap(),
            )
        })
        .collect();
    // LSP kinds: 23 struct, 18 array, 19 object, 22 enum member, 12 function.
    assert_eq!(
        names,
        [
            ("green", 22),
            ("yellow", 22),
            ("red", 22),
            ("declaration", 23),
            ("item", 23),
            ("watched", 18),
            ("importers", 18),
            ("value_control", 19),
            ("sica/VAL-001", 12),
        ]
        .map(|(n, k)| (n.to_string(), k))
    );
    let decl = &r[3];
    let fields: Vec<&str> = decl["children"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["id", "origin", "freight", "items"]);
    assert_eq!(r[8]["detail"], "Valor bajo");
    assert_eq!(
        r[8]["selectionRange"]["start"],
        position_of(PACKAGE, "VAL-001", 0, 0)
    );
    let columns: Vec<&str> = r[7]["children"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap())
        .collect();
    assert_eq!(columns, ["min", "max"]);
    assert_eq!(c.shutdown(), 0);
}

#[test]
fn lsp_rename_edits_every_file_and_refuses_what_would_not_compile() {
    let (sica, gt, mut c) = national_open("lsp-rename");
    // prepareRename on a qualified reference: the id after the `/`.
    let p = c.request(
        "textDocument/prepareRename",
        json!({"textDocument": {"uri": gt}, "position": position_of(NATIONAL, "sica/VAL-001", 0, 8)}),
    );
    assert_eq!(p["placeholder"], "VAL-001");
    assert_eq!(
        p["range"]["start"],
        position_of(NATIONAL, "sica/VAL-001", 0, 5)
    );
    assert_eq!(
        p["range"]["end"],
        position_of(NATIONAL, "sica/VAL-001", 0, 12)
    );
    // Nothing renamable at a keyword.
    let none = c.request(
        "textDocument/prepareRename",
        json!({"textDocument": {"uri": gt}, "position": pos(0, 1)}),
    );
    assert_eq!(none, Value::Null);
    // The rename: the package's declaration and both national uses.
    let e = c.request(
        "textDocument/rename",
        json!({"textDocument": {"uri": gt},
               "position": position_of(NATIONAL, "sica/VAL-001", 1, 8),
               "newName": "VAL-010"}),
    );
    let changes = &e["changes"];
    let starts = |u: &str| -> Vec<Value> {
        changes[u]
            .as_array()
            .unwrap()
            .iter()
            .inspect(|t| assert_eq!(t["newText"], "VAL-010"))
            .map(|t| t["range"]["start"].clone())
            .collect()
    };
    assert_eq!(starts(&sica), vec![position_of(PACKAGE, "VAL-001", 0, 0)]);
    assert_eq!(
        starts(&gt),
        vec![
            position_of(NATIONAL, "sica/VAL-001", 0, 5),
            position_of(NATIONAL, "sica/VAL-001", 1, 5),
        ]
    );
    // A list renamed to the name of another list of the package: a
    // duplicate declaration, refused with the checker's message.
    let clash = c.request_raw(
        "textDocument/rename",
        json!({"textDocument": {"uri": gt},
               "position": position_of(NATIONAL, "watched\n", 0, 1),
               "newName": "importers"}),
    );
    let msg = clash["error"]["message"].as_str().unwrap();
    assert!(msg.contains("would not compile"), "{clash}");
    // A qualified new name is refused.
    let qualified = c.request_raw(
        "textDocument/rename",
        json!({"textDocument": {"uri": gt},
               "position": position_of(NATIONAL, "GT-1", 0, 1),
               "newName": "sica/GT-2"}),
    );
    assert!(
        qualified["error"]["message"]
            .as_str()
            .unwrap()
            .contains("package"),
        "{qualified}"
    );
    assert_eq!(c.shutdown(), 0);
}
