//! Fixtures the crate's tests share: the project root (tests read the checkout's own go/ and wit/), the hasher
//! component with the machine-Go build, and temporary workspaces. Test code only.

use std::path::PathBuf;
use std::sync::OnceLock;

use xshell::Shell;

use crate::model::{self, Component, Variant, Workspace};

/// The checkout this crate was built from (two levels above xtask/pipeline).
pub fn root() -> PathBuf {
    let manifest = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().and_then(|p| p.parent()).expect("the crate lives in xtask/pipeline").to_path_buf()
}

/// The hasher component and the machine-Go raw variant, as every end-to-end test uses them.
pub fn hasher_go126() -> (PathBuf, Component, Variant) {
    let root = root();
    let component = model::select_components(&root, &["hasher".to_string()]).unwrap().remove(0);
    let variant = model::select_variants(&["go1.26-raw".to_string()]).unwrap().remove(0);
    (root, component, variant)
}

/// The hasher's core module for go1.26, built once per test process into a work directory of its own.
pub fn hasher_core_module() -> Vec<u8> {
    static CORE: OnceLock<Vec<u8>> = OnceLock::new();
    CORE.get_or_init(|| go126_core_module(&hasher_go126().1)).clone()
}

/// A component's core module built with the machine-Go build (go1.26) into a work directory of its own.
pub fn go126_core_module(component: &Component) -> Vec<u8> {
    let sh = Shell::new().unwrap();
    let (root, _, variant) = hasher_go126();
    let work = root.join(format!("target/xtask-tests/{}-{}", component.name, std::process::id()));
    let ws = Workspace { work, ..Workspace::new(&root) };
    let toolchain = crate::env::toolchain::GoToolchain::resolve(&sh, &root, &variant.build).unwrap();
    let path = crate::stages::gobuild::build(&sh, &ws, component, &variant.build, &toolchain, None).unwrap();
    let bytes = crate::util::read(&path).unwrap();
    std::fs::remove_dir_all(&ws.work).unwrap();
    bytes
}

/// The workspace of a test's temporary project `tmp` (one of [`hasher_workspace`]'s): its own sources and work
/// directory, and this checkout's Cargo workspace for the typed suites (a copy of a suite's crate has none).
pub fn workspace_of(tmp: &std::path::Path) -> Workspace {
    Workspace { cargo_workspace: root(), ..Workspace::new(tmp) }
}

/// A temporary project holding the hasher, the bindings' runtime, the WIT files and the toolchain pins: a
/// workspace of its own for tests that run the pipeline (`tag` names it).
pub fn hasher_workspace(tag: &str) -> PathBuf {
    let root = root();
    let tmp = std::env::temp_dir().join(format!("xtask-{tag}-{}", std::process::id()));
    for dir in ["go/hasher", "go/witpkg", "wit"] {
        crate::util::copy_dir(&root.join(dir), &tmp.join(dir));
    }
    std::fs::copy(root.join("go/toolchains.toml"), tmp.join("go/toolchains.toml")).unwrap();
    tmp
}
