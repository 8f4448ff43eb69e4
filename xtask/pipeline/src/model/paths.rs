//! Where everything produced lives under `target/`: stages ask here for paths instead of joining strings
//! themselves.

use std::path::{Path, PathBuf};

use super::{Build, Component, Post, Variant};

/// `target/wasm`: where intermediate products go (a verification run uses another directory).
pub fn work_dir(root: &Path) -> PathBuf {
    root.join("target/wasm")
}

/// `<work>/<component>/<build>/`: the products of one build.
pub fn build_dir(work: &Path, component: &Component, build: &Build) -> PathBuf {
    work.join(&component.name).join(build.name)
}

/// The core module `go build` produced.
pub fn core_module(work: &Path, component: &Component, build: &Build) -> PathBuf {
    build_dir(work, component, build).join("core.wasm")
}

/// The post-processed core module (the raw level is the core module itself).
pub fn module(work: &Path, component: &Component, variant: &Variant) -> PathBuf {
    match variant.post {
        Post::Raw => core_module(work, component, &variant.build),
        post => build_dir(work, component, &variant.build).join(post.name()).join("module.wasm"),
    }
}

/// The component made from it.
pub fn component(work: &Path, component: &Component, variant: &Variant) -> PathBuf {
    build_dir(work, component, &variant.build).join(variant.post.name()).join("component.wasm")
}

/// The composition of that component with the component's parts, which is what is checked and shipped.
pub fn composed(work: &Path, component: &Component, variant: &Variant) -> PathBuf {
    build_dir(work, component, &variant.build).join(variant.post.name()).join("composed.wasm")
}

/// `target/dist/`.
pub fn dist_dir(root: &Path) -> PathBuf {
    root.join("target/dist")
}

/// Where a failed `dist` keeps the artifacts that passed (with a manifest listing the failures).
pub fn dist_partial_dir(root: &Path) -> PathBuf {
    root.join("target/dist-partial")
}

/// The shipped artifact, relative to `target/dist`.
pub fn dist_relative(component: &Component, variant: &Variant) -> String {
    dist_relative_named(&component.name, &variant.name())
}

/// [`dist_relative`] from the names (`hasher`, `go1.26-opt`), as a manifest records them.
pub fn dist_relative_named(component: &str, variant: &str) -> String {
    format!("{component}/{variant}.wasm")
}
