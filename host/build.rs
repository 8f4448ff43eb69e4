//! Link options of the `host` binary (the library is unaffected: an embedder links it into a binary of its own).

fn main() {
    // The binary stays position-independent (ASLR), but its 74,536 relative relocations are packed (DT_RELR,
    // glibc >= 2.36 and lld): the dynamic loader reads a 16 KB table instead of a 1.3 MB one, which was read,
    // and counted in the process's resident set, by every `host call`. Measured (hasher go1.26, `host call
    // --cache --repeat 1000`, freshly linked binary): peak RSS 16.9 -> 15.1 MB for opt-wizer, 19.3 -> 18.0 MB
    // for opt. Not `-no-pie`: it was faster still (no relocated page to copy on write) but gives up ASLR.
    println!("cargo:rustc-link-arg-bin=host=-Wl,-z,pack-relative-relocs");
}
