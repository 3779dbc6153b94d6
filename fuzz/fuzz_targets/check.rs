//! Checker: any text that parses is checked without a panic, whatever its
//! names, types and structure.
#![no_main]

use libfuzzer_sys::fuzz_target;
use semaforo_syntax::{FileId, parse};

fuzz_target!(|data: &[u8]| {
    let Ok(src) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(file) = parse(src, FileId(0)) {
        let _ = semaforo_compile::check::check(&[file]);
    }
});
