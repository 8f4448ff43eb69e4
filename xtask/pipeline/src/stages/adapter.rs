//! The WASI preview1 → preview2 adapter every component is encoded with: the **reactor** adapter (modules built
//! with `-buildmode=c-shared` have `_initialize`, no `_start`), taken from the
//! `wasi-preview1-component-adapter-provider` crate at the host's wasmtime version, and pinned by
//! `adapters/wasi_snapshot_preview1.lock.toml`. A provider whose bytes differ from the lock is refused.

use anyhow::{Result, bail};

use crate::{util, versions};

/// The import module name the adapter provides (`wasi_snapshot_preview1`).
pub const NAME: &str = wasi_preview1_component_adapter_provider::WASI_SNAPSHOT_PREVIEW1_ADAPTER_NAME;
const CRATE: &str = "wasi-preview1-component-adapter-provider";
pub const LOCK: &str = "adapters/wasi_snapshot_preview1.lock.toml";

/// The reactor adapter's bytes, after checking them against the lock (the committed lock's text, embedded when
/// this crate was built).
pub fn reactor() -> Result<&'static [u8]> {
    let bytes = wasi_preview1_component_adapter_provider::WASI_SNAPSHOT_PREVIEW1_REACTOR_ADAPTER;
    let expected = lock_contents()?;
    let committed = versions::Sources::embedded().text(LOCK).unwrap_or_default();
    if committed != expected {
        bail!(
            "{LOCK} does not match the adapter this xtask was built with; if the change is intended, replace it with:\n{expected}"
        );
    }
    Ok(bytes)
}

/// The lock file's expected text for the adapter compiled into this xtask.
pub fn lock_contents() -> Result<String> {
    let bytes = wasi_preview1_component_adapter_provider::WASI_SNAPSHOT_PREVIEW1_REACTOR_ADAPTER;
    Ok(format!(
        "# The WASI preview1 adapter every component is encoded with. Checked by xtask (componentize and tests).\n\
         name = \"{NAME}.reactor.wasm\"\n\
         crate = \"{CRATE}\"\n\
         version = \"{}\"\n\
         bytes = {}\n\
         sha256 = \"{}\"\n",
        versions::crate_version(CRATE)?,
        bytes.len(),
        util::sha256_hex(bytes)
    ))
}

/// The adapter's identity for the manifest: `<crate> <version> (sha256 …)`.
pub fn describe() -> Result<String> {
    let bytes = wasi_preview1_component_adapter_provider::WASI_SNAPSHOT_PREVIEW1_REACTOR_ADAPTER;
    Ok(format!("{} reactor sha256:{}", versions::crate_version(CRATE)?, util::sha256_hex(bytes)))
}

#[cfg(test)]
mod tests {
    #[test]
    fn committed_lock_matches_the_linked_adapter() {
        super::reactor().unwrap();
    }
}
