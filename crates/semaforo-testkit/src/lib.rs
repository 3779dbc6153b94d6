//! Test support: a reference interpreter of SPEC §3 and generators.
