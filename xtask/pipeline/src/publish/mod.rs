//! Publishing (`cargo xtask publish <registry/repository>`): pushes artifacts of target/dist to an OCI registry as Wasm OCI
//! artifacts (the CNCF TAG Runtime layout: config `application/vnd.wasm.config.v0+json` naming the component's
//! imports and exports, one `application/wasm` layer), in-process with `oci-client`. Each is tagged
//! `<component>-<variant>` and `<component>-<variant>-<release>`, annotated with what manifest.json records, and
//! has an in-toto statement with SLSA provenance v1 and its SBOM (`application/spdx+json`, the dist's
//! `<variant>.spdx.json`) attached as referrers (the registry's referrers API, or the
//! OCI 1.1 fallback tag `sha256-<digest>` where the registry has none, as distribution 2.8 has not). Every
//! artifact is read back and checked against the dist's manifest before it is pushed; what was published is
//! recorded in `target/publish/<registry>_<repository>.json` (references and digests).
//!
//! The manifests are built from the artifact and its record alone (no timestamps), so publishing the same dist
//! twice pushes the same digests.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail, ensure};
use oci_client::secrets::RegistryAuth;
use oci_client::{Client, Reference};
use serde_json::{Value, json};

use host::oci::{WASM_CONFIG_MEDIA_TYPE, WASM_LAYER_MEDIA_TYPE};

use crate::dist::{self, Artifact, Manifest, Source};
use crate::model::{self, Selection, paths};
use crate::{status, util};

const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
const OCI_EMPTY: &str = "application/vnd.oci.empty.v1+json";
/// The media type (and artifact type) of the SBOM referrer.
const SPDX_JSON: &str = "application/spdx+json";
/// The media type (and artifact type) of the provenance referrer.
pub const IN_TOTO: &str = "application/vnd.in-toto+json";
const SLSA_PROVENANCE: &str = "https://slsa.dev/provenance/v1";
/// What built the artifacts, as the provenance names it.
const BUILD_TYPE: &str = "https://gowasm.invalid/cargo-xtask-dist/v1";

/// One artifact as `publish` left it in the registry.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, PartialEq, Eq)]
pub struct Published {
    pub component: String,
    pub variant: String,
    /// `registry/repository@sha256:<manifest digest>`: the reference that pins it.
    pub reference: String,
    pub tags: Vec<String>,
    pub manifest_digest: String,
    /// The component's SHA-256, the layer's digest (the dist manifest's `sha256`).
    pub sha256: String,
    /// The provenance referrer's manifest digest.
    pub provenance: String,
    /// The SBOM referrer's manifest digest (the dist's `<variant>.spdx.json`).
    pub sbom: String,
}

/// What to publish, and where.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// `registry[:port]/repository`.
    pub repository: String,
    /// Components and variants (full names or builds) of the dist; empty: all.
    pub selection: Selection,
    /// The release named in the second tag; default the first 12 hex digits of the source commit.
    pub release: Option<String>,
    /// Plain HTTP (a loopback registry only).
    pub plain_http: bool,
    /// PEM certificates to trust besides the system's roots.
    pub ca_file: Option<PathBuf>,
    /// The dist directory (default target/dist).
    pub dist: Option<PathBuf>,
}

/// Publishes what `options` selects of the dist; returns where the record of what was pushed was written.
pub fn publish(root: &Path, options: &Options) -> Result<PathBuf> {
    let start = std::time::Instant::now();
    let dist = options.dist.clone().unwrap_or_else(|| paths::dist_dir(root));
    let manifest_path = dist.join("manifest.json");
    let text = std::fs::read_to_string(&manifest_path)
        .with_context(|| format!("failed to read {} (run `cargo xtask dist` first)", manifest_path.display()))?;
    let manifest: Manifest =
        serde_json::from_str(&text).with_context(|| format!("{} is not a dist manifest", manifest_path.display()))?;
    ensure!(
        manifest.failures.is_empty(),
        "{} records failures: a partial dist is not published",
        manifest_path.display()
    );
    let selected = select(&manifest.artifacts, &options.selection)?;
    let (registry, repository) = split_repository(&options.repository)?;
    let version = match (&options.release, &manifest.source) {
        (Some(v), _) => v.clone(),
        (None, Some(source)) => source.commit.chars().take(12).collect(),
        (None, None) => {
            bail!("{} records no source commit: name the release with --release", manifest_path.display())
        }
    };
    if manifest.source.as_ref().is_some_and(|s| s.dirty) {
        status::warn("the dist was built from a work tree with uncommitted changes; its provenance says so");
    }
    let (client, auth) = host::oci::client(&registry, options.plain_http, options.ca_file.as_deref())?;
    let runtime = host::oci::runtime()?;
    let target = Target { client: &client, auth: &auth, registry: &registry, repository: &repository };
    let mut published = Vec::new();
    for artifact in selected {
        let path = dist.join(&artifact.path);
        let bytes = util::read(&path)?;
        ensure!(
            bytes.len() as u64 == artifact.bytes && util::sha256_hex(&bytes) == artifact.sha256,
            "{} does not match {} (want {} bytes, sha256 {}): run `cargo xtask dist` again",
            path.display(),
            manifest_path.display(),
            artifact.bytes,
            artifact.sha256
        );
        let sbom_path = dist.join(dist::sbom::path_of(artifact));
        let sbom = util::read(&sbom_path)?;
        ensure!(
            sbom == dist::sbom::spdx(artifact, manifest.source.as_ref()).as_bytes(),
            "{} is not the SBOM of {} as dist writes it: run `cargo xtask dist` again",
            sbom_path.display(),
            artifact.path
        );
        let label = format!("{} {}", artifact.component, artifact.variant);
        status::step("Publishing", format!("{label} ({} bytes)", bytes.len()));
        let one = runtime
            .block_on(push_artifact(&target, artifact, &bytes, &sbom, &version, manifest.source.as_ref()))
            .with_context(|| format!("failed to publish {label} to {}", options.repository))?;
        status::step("Published", format!("{label} → {} ({})", one.reference, one.tags.join(", ")));
        published.push(one);
    }
    let record = dist
        .parent()
        .unwrap_or(root)
        .join("publish")
        .join(format!("{}.json", options.repository.replace(['/', ':'], "_")));
    util::write_atomic(&record, (serde_json::to_string_pretty(&published)? + "\n").as_bytes())?;
    status::step(
        "Finished",
        format!(
            "publish of {} artifacts to {} in {} (record: {})",
            published.len(),
            options.repository,
            status::elapsed(start.elapsed()),
            record.display()
        ),
    );
    Ok(record)
}

/// The artifacts the selection names (components by name, variants by full name or build), in manifest order;
/// a name that matches nothing is an error.
fn select<'a>(artifacts: &'a [Artifact], selection: &Selection) -> Result<Vec<&'a Artifact>> {
    let build_of =
        |variant: &str| model::variants().into_iter().find(|v| v.name() == variant).map(|v| v.build.name.to_string());
    for name in &selection.components {
        ensure!(artifacts.iter().any(|a| &a.component == name), "no artifact of component `{name}` in the dist");
    }
    for name in &selection.variants {
        ensure!(
            artifacts.iter().any(|a| &a.variant == name || build_of(&a.variant).as_ref() == Some(name)),
            "no artifact of variant or build `{name}` in the dist"
        );
    }
    let selected: Vec<&Artifact> = artifacts
        .iter()
        .filter(|a| selection.components.is_empty() || selection.components.contains(&a.component))
        .filter(|a| {
            selection.variants.is_empty()
                || selection.variants.iter().any(|v| *v == a.variant || build_of(&a.variant).as_ref() == Some(v))
        })
        .collect();
    ensure!(!selected.is_empty(), "the selection matches no artifact of the dist");
    Ok(selected)
}

/// `registry[:port]/repository` → (registry, repository), both checked.
fn split_repository(text: &str) -> Result<(String, String)> {
    let (registry, repository) =
        text.split_once('/').with_context(|| format!("`{text}` is not `registry/repository`"))?;
    ensure!(
        !registry.is_empty() && (registry.contains('.') || registry.contains(':') || registry == "localhost"),
        "`{text}`: `{registry}` is not a registry host (it needs a dot, a port or to be localhost)"
    );
    let valid = |part: &str| {
        !part.is_empty()
            && part.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b))
            && part.bytes().next().is_some_and(|b| b.is_ascii_alphanumeric())
    };
    ensure!(
        repository.split('/').all(valid),
        "`{repository}` is not a repository name (lowercase letters, digits, `._-`, parts separated by `/`)"
    );
    Ok((registry.to_string(), repository.to_string()))
}

/// A tag as the distribution spec allows it: `[A-Za-z0-9_][A-Za-z0-9._-]{0,127}`.
fn valid_tag(tag: &str) -> bool {
    tag.len() <= 128
        && tag.bytes().next().is_some_and(|b| b.is_ascii_alphanumeric() || b == b'_')
        && tag.bytes().all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b))
}

struct Target<'a> {
    client: &'a Client,
    auth: &'a RegistryAuth,
    registry: &'a str,
    repository: &'a str,
}

impl Target<'_> {
    fn reference(&self, tag_or_digest: &str) -> Result<Reference> {
        let sep = if tag_or_digest.starts_with("sha256:") { '@' } else { ':' };
        let text = format!("{}/{}{sep}{tag_or_digest}", self.registry, self.repository);
        text.parse().with_context(|| format!("`{text}` is not an OCI reference"))
    }

    /// `err` of a request to the registry, said plainly where the connection is the cause.
    fn explain(&self, err: oci_client::errors::OciDistributionError) -> anyhow::Error {
        host::oci::connection_problem(&err, self.registry).unwrap_or_else(|| anyhow::Error::new(err))
    }

    /// Pushes a blob unless the registry has it; returns its descriptor.
    async fn blob(&self, media_type: &str, bytes: &[u8]) -> Result<Value> {
        let digest = format!("sha256:{}", util::sha256_hex(bytes));
        let reference = self.reference(&digest)?;
        self.client.store_auth_if_needed(self.registry, self.auth).await;
        let exists = match self.client.blob_exists(&reference, &digest).await {
            Ok(exists) => exists,
            // A registry that cannot be spoken to says why here; one that merely answers no is pushed to.
            Err(err) => match host::oci::connection_problem(&err, self.registry) {
                Some(problem) => return Err(problem.context("failed to push a blob")),
                None => false,
            },
        };
        if !exists {
            let pushed = self.client.push_blob(&reference, bytes.to_vec(), &digest).await;
            pushed.map_err(|e| self.explain(e)).context("failed to push a blob")?;
        }
        Ok(json!({ "mediaType": media_type, "digest": digest, "size": bytes.len() }))
    }

    /// Pushes a manifest (or index) under `tag_or_digest`; returns its digest.
    async fn manifest(&self, tag_or_digest: &str, media_type: &str, body: &[u8]) -> Result<String> {
        let reference = self.reference(tag_or_digest)?;
        let content_type = http::HeaderValue::from_str(media_type)?;
        self.client
            .push_manifest_raw(&reference, body.to_vec(), content_type)
            .await
            .map_err(|e| self.explain(e))
            .with_context(|| format!("failed to push the manifest {tag_or_digest}"))?;
        Ok(format!("sha256:{}", util::sha256_hex(body)))
    }
}

/// Pushes one artifact, its tags, and its provenance and SBOM referrers.
async fn push_artifact(
    target: &Target<'_>,
    artifact: &Artifact,
    bytes: &[u8],
    sbom: &[u8],
    version: &str,
    source: Option<&Source>,
) -> Result<Published> {
    let name = format!("{}-{}", artifact.component, artifact.variant);
    let tags = vec![name.clone(), format!("{name}-{version}")];
    for tag in &tags {
        ensure!(valid_tag(tag), "`{tag}` is not a valid tag (the release `{version}` has characters a tag cannot)");
    }
    let mut layer = target.blob(WASM_LAYER_MEDIA_TYPE, bytes).await?;
    // The file name `oras pull` (and other clients) save the component as.
    layer["annotations"] = json!({ "org.opencontainers.image.title": format!("{name}.wasm") });
    let config_bytes = canonical(&wasm_config(bytes, &artifact.sha256)?);
    let config = target.blob(WASM_CONFIG_MEDIA_TYPE, &config_bytes).await?;
    let manifest = json!({
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "artifactType": WASM_CONFIG_MEDIA_TYPE,
        "config": config,
        "layers": [layer],
        "annotations": annotations(artifact, version, source, &name),
    });
    let body = canonical(&manifest);
    let mut digest = String::new();
    for tag in &tags {
        digest = target.manifest(tag, OCI_MANIFEST, &body).await?;
    }
    let subject = json!({ "mediaType": OCI_MANIFEST, "digest": digest, "size": body.len() });
    let reference = format!("{}/{}@{digest}", target.registry, target.repository);
    let provenance = provenance(artifact, &reference, &tags, source);
    let provenance = push_referrer(target, &subject, &Referrer::provenance(), &canonical(&provenance)).await?;
    let sbom = push_referrer(target, &subject, &Referrer::sbom(&format!("{name}.spdx.json")), sbom).await?;
    Ok(Published {
        component: artifact.component.clone(),
        variant: artifact.variant.clone(),
        reference,
        tags,
        manifest_digest: digest,
        sha256: artifact.sha256.clone(),
        provenance,
        sbom,
    })
}

/// The Wasm OCI config of a component: what it imports and exports (interfaces by their qualified names,
/// world-level functions by name).
fn wasm_config(bytes: &[u8], sha256: &str) -> Result<Value> {
    let decoded = wit_parser::decoding::decode(bytes).context("the artifact is not a component")?;
    let resolve = decoded.resolve();
    let wit_parser::decoding::DecodedWasm::Component(_, world) = &decoded else {
        bail!("the artifact is a WIT package, not a component");
    };
    let world = &resolve.worlds[*world];
    let imports = item_names(resolve, world.imports.iter());
    let exports = item_names(resolve, world.exports.iter());
    Ok(json!({
        "architecture": "wasm",
        "os": "wasip2",
        "layerDigests": [format!("sha256:{sha256}")],
        "component": { "imports": imports, "exports": exports, "target": Value::Null },
    }))
}

/// A world's items as names, interfaces and functions only (types belong to an interface), sorted.
fn item_names<'a>(
    resolve: &wit_parser::Resolve,
    items: impl Iterator<Item = (&'a wit_parser::WorldKey, &'a wit_parser::WorldItem)>,
) -> Vec<String> {
    let mut names: Vec<String> = items
        .filter(|(_, item)| !matches!(item, wit_parser::WorldItem::Type { .. }))
        .map(|(key, _)| match key {
            wit_parser::WorldKey::Name(name) => name.clone(),
            wit_parser::WorldKey::Interface(id) => resolve.id_of(*id).unwrap_or_else(|| format!("interface {id:?}")),
        })
        .collect();
    names.sort();
    names
}

/// The manifest's annotations: the OCI ones, then what manifest.json records of the artifact.
fn annotations(artifact: &Artifact, version: &str, source: Option<&Source>, title: &str) -> BTreeMap<String, String> {
    let mut a = BTreeMap::new();
    let mut put = |k: &str, v: String| {
        a.insert(k.to_string(), v);
    };
    put("org.opencontainers.image.title", title.to_string());
    put("org.opencontainers.image.version", version.to_string());
    if let Some(source) = source {
        put("org.opencontainers.image.revision", source.commit.clone());
        put("dev.gowasm.source.dirty", source.dirty.to_string());
    }
    put("dev.gowasm.component", artifact.component.clone());
    put("dev.gowasm.variant", artifact.variant.clone());
    put("dev.gowasm.world", artifact.world.clone());
    put("dev.gowasm.sha256", artifact.sha256.clone());
    put("dev.gowasm.core-sha256", artifact.core_sha256.clone());
    for (tool, v) in &artifact.tools {
        put(&format!("dev.gowasm.tool.{tool}"), v.clone());
    }
    put("dev.gowasm.flags", artifact.flags.join("; "));
    put("dev.gowasm.env", artifact.env.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(" "));
    if let Some(window) = artifact.guarded_window {
        put("dev.gowasm.guarded-window", format!("{} answered, floor {}", window.answered, window.floor));
    }
    for part in &artifact.composed_of {
        put(&format!("dev.gowasm.composed-of.{}", part.name), part.sha256.clone());
    }
    a
}

/// The in-toto statement (SLSA provenance v1) of one artifact.
fn provenance(artifact: &Artifact, reference: &str, tags: &[String], source: Option<&Source>) -> Value {
    let mut dependencies = vec![json!({
        "name": "core module (post-processed, before hardening)",
        "digest": { "sha256": artifact.core_sha256 },
    })];
    if let Some(source) = source {
        dependencies.insert(0, json!({ "name": "source", "digest": { "gitCommit": source.commit } }));
    }
    for part in &artifact.composed_of {
        dependencies
            .push(json!({ "name": format!("composed part {}", part.name), "digest": { "sha256": part.sha256 } }));
    }
    json!({
        "_type": "https://in-toto.io/Statement/v1",
        "subject": [{ "name": reference, "digest": { "sha256": artifact.sha256 } }],
        "predicateType": SLSA_PROVENANCE,
        "predicate": {
            "buildDefinition": {
                "buildType": BUILD_TYPE,
                "externalParameters": {
                    "command": format!("cargo xtask dist --component {} --variant {}", artifact.component, artifact.variant),
                    "component": artifact.component,
                    "variant": artifact.variant,
                    "world": artifact.world,
                    "tags": tags,
                    "sourceDirty": source.map(|s| s.dirty),
                },
                "internalParameters": { "flags": artifact.flags, "env": artifact.env },
                "resolvedDependencies": dependencies,
            },
            "runDetails": {
                "builder": { "id": BUILD_TYPE, "version": artifact.tools },
                "metadata": {},
            },
        },
    })
}

/// A document attached to an artifact as a referrer: its artifact (and layer) media type and its annotations.
struct Referrer {
    media_type: &'static str,
    annotations: Value,
}

impl Referrer {
    fn provenance() -> Self {
        Referrer { media_type: IN_TOTO, annotations: json!({ "in-toto.io/predicate-type": SLSA_PROVENANCE }) }
    }

    fn sbom(name: &str) -> Self {
        Referrer { media_type: SPDX_JSON, annotations: json!({ "org.opencontainers.image.title": name }) }
    }
}

/// Pushes `document` as a referrer of `subject` and makes it discoverable; returns its manifest digest.
async fn push_referrer(target: &Target<'_>, subject: &Value, kind: &Referrer, document: &[u8]) -> Result<String> {
    let layer = target.blob(kind.media_type, document).await?;
    let empty = target.blob(OCI_EMPTY, b"{}").await?;
    let manifest = json!({
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "artifactType": kind.media_type,
        "config": empty,
        "layers": [layer],
        "subject": subject,
        "annotations": kind.annotations,
    });
    let body = canonical(&manifest);
    let digest = format!("sha256:{}", util::sha256_hex(&body));
    target.manifest(&digest, OCI_MANIFEST, &body).await?;
    let subject_digest = subject["digest"].as_str().context("a descriptor has a digest")?;
    let subject_ref = target.reference(subject_digest)?;
    // A registry with the referrers API lists the referrer itself once it holds it; for one without (whose
    // answer oci-client may give as an empty list), the fallback tag.
    if let Ok(index) = target.client.pull_referrers(&subject_ref, None).await
        && index.manifests.iter().any(|m| m.digest == digest)
    {
        return Ok(digest);
    }
    let tag = subject_digest.replace(':', "-");
    let mut manifests: Vec<Value> =
        match target.client.pull_manifest_raw(&target.reference(&tag)?, target.auth, &[OCI_INDEX]).await {
            Ok((raw, _)) => serde_json::from_slice::<Value>(&raw)
                .ok()
                .and_then(|v| v.get("manifests").and_then(|m| m.as_array()).cloned())
                .unwrap_or_default(),
            Err(_) => Vec::new(),
        };
    manifests.retain(|m| m["digest"] != digest.as_str());
    manifests.push(json!({
        "mediaType": OCI_MANIFEST,
        "digest": digest,
        "size": body.len(),
        "artifactType": kind.media_type,
        "annotations": kind.annotations,
    }));
    let index = json!({ "schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": manifests });
    target.manifest(&tag, OCI_INDEX, &canonical(&index)).await?;
    Ok(digest)
}

/// JSON with sorted keys and no spaces (serde_json's map is ordered): the same value, the same bytes.
fn canonical(value: &Value) -> Vec<u8> {
    serde_json::to_vec(value).expect("a JSON value serializes")
}

#[cfg(test)]
mod tests;
