//! The `misskey-rs` command.

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    // No transparent huge pages: the allocator asks for them on its arenas, and each one then
    // holds 2 MiB resident however little of it is used (half the idle footprint). Requests
    // allocate small and short-lived objects, which gain nothing from huge pages.
    // SAFETY: prctl with PR_SET_THP_DISABLE reads only its integer arguments.
    unsafe {
        libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0);
    }
    rustls::crypto::ring::default_provider().install_default().expect("the only crypto provider");
    misskey_rs::cli::main()
}
