#[actix_web::main]
async fn main() {
    return_large_allocations_to_os();
    anaf_portal::telemetry::init();
    let cli = anaf_portal::cli::Cli::parse_or_exit();
    if let Err(error) = anaf_portal::cli::run(cli).await {
        eprintln!("error: {error}");
        std::process::exit(error.exit_code());
    }
}

/// Every Argon2 hash allocates and fills a 19 MiB buffer. glibc's default (dynamic) mmap threshold
/// rises after the first such buffer is freed, and from then on serves them from its per-thread
/// arenas, which keep them resident: hundreds of MB after a burst of logins. A fixed threshold
/// (its default value, 128 KiB) keeps large buffers in their own mappings, returned to the system
/// when freed, so an idle portal goes back to its idle size.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn return_large_allocations_to_os() {
    // SAFETY: mallopt only sets an allocator parameter and is safe to call at any time.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 128 * 1024);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn return_large_allocations_to_os() {}
