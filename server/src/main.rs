fn main() -> anyhow::Result<()> {
    onsite_server::cli::main()
}
