//! Replays every committed seed (and any crash input kept under artifacts/) through both
//! targets without libFuzzer: `cargo test` in fuzz/, on any toolchain.

use std::fs;
use std::path::Path;

fn replay(target: &str, run: fn(&[u8])) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut n = 0;
    for dir in [
        root.join("corpus").join(target),
        root.join("artifacts").join(target),
    ] {
        let Ok(entries) = fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries {
            let path = entry.expect("a readable directory entry").path();
            let bytes = fs::read(&path).expect("a readable seed");
            println!("{}", path.display());
            run(&bytes);
            n += 1;
        }
    }
    assert!(n > 0, "no seeds for {target}");
}

#[test]
fn wire_decode_seeds() {
    replay("wire_decode", onsite_fuzz::wire_decode::run);
}

#[test]
fn accept_seeds() {
    replay("accept", onsite_fuzz::accept::run);
}

#[test]
fn seeds_decode_and_are_committed() {
    for (name, bytes) in onsite_fuzz::seeds::wire_decode() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("corpus/wire_decode")
            .join(&name);
        assert_eq!(
            fs::read(&path).ok().as_deref(),
            Some(bytes.as_slice()),
            "{} is not what `cargo run --example corpus` writes",
            path.display()
        );
    }
}

/// Inputs that once crashed a target (docs/fuzzing.md, Findings): each must now pass.
#[test]
fn past_crashes() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("regressions");
    for (target, run) in [
        ("wire_decode", onsite_fuzz::wire_decode::run as fn(&[u8])),
        ("accept", onsite_fuzz::accept::run),
    ] {
        let Ok(entries) = fs::read_dir(root.join(target)) else {
            continue;
        };
        for entry in entries {
            let path = entry.expect("a readable directory entry").path();
            println!("{}", path.display());
            run(&fs::read(&path).expect("a readable input"));
        }
    }
}
