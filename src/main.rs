//! The `misskey-rs` command.

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    rustls::crypto::ring::default_provider().install_default().expect("the only crypto provider");
    misskey_rs::cli::main()
}
