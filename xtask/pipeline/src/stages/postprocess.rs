//! Post-processing of core modules between `go build` and componentize: `strip` removes every custom section
//! in-process (names, DWARF, producers, Go's build id; the component's own metadata is embedded later), `opt`
//! runs `wasm-opt -Oz` on the stripped module. Each output is validated; behaviour is proven by `check`.

use std::path::Path;

use anyhow::{Context, Result, bail};
use wasmparser::{Parser, Payload};
use xshell::{Shell, cmd};

/// The wasm-opt flags of the `opt` level: size-oriented, with exactly the features Go's wasm backend emits
/// (sign extension, saturating float-to-int, bulk memory, mutable globals), so nothing newer is introduced.
pub const WASM_OPT_FLAGS: &[&str] = &[
    "-Oz",
    "--enable-sign-ext",
    "--enable-nontrapping-float-to-int",
    "--enable-bulk-memory",
    "--enable-mutable-globals",
];

/// The module without its custom sections; every other section is copied byte for byte.
pub fn strip(module: &[u8]) -> Result<Vec<u8>> {
    let mut out = wasm_encoder::Module::new();
    for payload in Parser::new(0).parse_all(module) {
        let payload = payload.context("failed to parse the core module")?;
        match payload {
            Payload::CustomSection(_) | Payload::CodeSectionEntry(_) => {}
            Payload::ModuleSection { .. } | Payload::ComponentSection { .. } => bail!("strip expects a core module"),
            other => {
                if let Some((id, range)) = other.as_section() {
                    out.section(&wasm_encoder::RawSection { id, data: &module[range] });
                }
            }
        }
    }
    let bytes = out.finish();
    crate::util::validate(&bytes).context("the stripped module does not validate")?;
    Ok(bytes)
}

/// `wasm-opt` from `input` to `output` (through a temporary file, renamed into place).
pub fn optimize(sh: &Shell, wasm_opt: &Path, input: &Path, output: &Path) -> Result<()> {
    let dir = output.parent().context("output has no parent")?;
    std::fs::create_dir_all(dir).with_context(|| format!("failed to create {}", dir.display()))?;
    let tmp = dir.join(format!(".module.wasm.{}.tmp", std::process::id()));
    let flags = WASM_OPT_FLAGS;
    let result = cmd!(sh, "{wasm_opt} {flags...} {input} -o {tmp}").quiet().ignore_status().output()?;
    if !result.status.success() {
        let _ = std::fs::remove_file(&tmp);
        bail!(
            "wasm-opt failed on {}\ncommand: {} {} {} -o {}\n{}",
            input.display(),
            wasm_opt.display(),
            flags.join(" "),
            input.display(),
            output.display(),
            String::from_utf8_lossy(&result.stderr).trim_end()
        );
    }
    let bytes = std::fs::read(&tmp).with_context(|| format!("failed to read {}", tmp.display()))?;
    crate::util::validate(&bytes).context("wasm-opt's output does not validate")?;
    std::fs::rename(&tmp, output).with_context(|| format!("failed to move {} into place", tmp.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strip_removes_custom_sections_only() {
        let mut m = wasm_encoder::Module::new();
        let mut types = wasm_encoder::TypeSection::new();
        types.ty().function([], []);
        m.section(&types);
        m.section(&wasm_encoder::CustomSection { name: "name".into(), data: b"\0\0".as_slice().into() });
        m.section(&wasm_encoder::CustomSection { name: ".debug_info".into(), data: b"xyz".as_slice().into() });
        let bytes = m.finish();
        let stripped = strip(&bytes).unwrap();
        let customs =
            Parser::new(0).parse_all(&stripped).filter(|p| matches!(p, Ok(Payload::CustomSection(_)))).count();
        assert_eq!(customs, 0);
        assert!(Parser::new(0).parse_all(&stripped).any(|p| matches!(p, Ok(Payload::TypeSection(_)))));
        assert!(stripped.len() < bytes.len());
    }
}
