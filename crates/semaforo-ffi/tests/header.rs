//! The checked-in `include/semaforo.h` must be what cbindgen generates from
//! the current source with `cbindgen.toml`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests unwrap, index and panic: a failure is the test's report"
)]

use std::path::Path;

#[test]
fn header_is_up_to_date() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let config = cbindgen::Config::from_file(dir.join("cbindgen.toml")).unwrap();
    let bindings = cbindgen::Builder::new()
        .with_crate(dir)
        .with_config(config)
        .generate()
        .expect("cbindgen generates the header");
    let mut generated = Vec::new();
    bindings.write(&mut generated);
    let checked_in = std::fs::read(dir.join("include/semaforo.h")).unwrap();
    if generated != checked_in && std::env::var_os("SEMAFORO_BLESS_HEADER").is_some() {
        // `SEMAFORO_BLESS_HEADER=1 cargo test -p semaforo-ffi --test header`
        // writes the header; review the diff like any source change.
        std::fs::write(dir.join("include/semaforo.h"), &generated).unwrap();
        return;
    }
    if generated != checked_in {
        let path = std::env::temp_dir().join("semaforo.generated.h");
        let _ = std::fs::write(&path, &generated);
        panic!(
            "include/semaforo.h is out of date with the source (the generated header is in {}); \
             regenerate it with `SEMAFORO_BLESS_HEADER=1 cargo test -p semaforo-ffi --test header` \
             or, from crates/semaforo-ffi, \
             `cbindgen --config cbindgen.toml --output include/semaforo.h` (cbindgen 0.29)",
            path.display()
        );
    }
}
