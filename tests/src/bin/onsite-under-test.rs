//! The `onsite` command, built inside the test crate so tests can run it as a real process
//! (and kill it with SIGKILL) through `CARGO_BIN_EXE_onsite-under-test`.
fn main() -> anyhow::Result<()> {
    onsite_server::cli::main()
}
