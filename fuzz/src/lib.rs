//! Fuzz targets of Onsite (docs/fuzzing.md). The targets in fuzz_targets/ are one line
//! each; what they do lives here, so that the seed generator (examples/corpus.rs) and a
//! plain `cargo test` replay of the corpus share it.

pub mod accept;
pub mod seeds;
pub mod wire_decode;
pub mod world;
