//! The `semaforo` command.

fn main() {}
