//! Writes the seed corpora: `cargo run --example corpus` in fuzz/ (or with
//! `--manifest-path fuzz/Cargo.toml` from the repository root).

use std::fs;
use std::path::Path;

fn main() -> std::io::Result<()> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus");
    for (target, seeds) in [
        ("wire_decode", onsite_fuzz::seeds::wire_decode()),
        ("accept", onsite_fuzz::seeds::accept()),
    ] {
        let dir = root.join(target);
        fs::create_dir_all(&dir)?;
        for (name, bytes) in seeds {
            fs::write(dir.join(&name), &bytes)?;
            println!("{target}/{name}: {} bytes", bytes.len());
        }
    }
    Ok(())
}
