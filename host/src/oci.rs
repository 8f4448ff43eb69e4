//! Components from OCI registries, by digest: the CNCF Wasm OCI artifact layout (a manifest whose config is
//! `application/vnd.wasm.config.v0+json` and whose one layer is the component, `application/wasm`), pulled over
//! the distribution API with `oci-client` and checked before anything is loaded.
//!
//! A reference must pin what it means: `registry/repository@sha256:<manifest digest>`, or a tag plus the
//! component's own SHA-256 (the `sha256` of `manifest.json`, `FetchOptions::component_sha256`). The manifest's
//! bytes must hash to the digest asked for, its config and layer must have the Wasm media types, and the layer
//! must have the size and digest the manifest gives (and the component digest, if one was given); the component
//! is written to `<cache>/oci/sha256/<hex>.wasm` through a temporary file and a rename, after it was verified, so
//! an interrupted or altered download is never loaded, then loaded through the precompiled cache in `<cache>`.
//!
//! Credentials come from `GOWASM_REGISTRY_USERNAME` and `GOWASM_REGISTRY_PASSWORD`, or else the Docker config
//! file (`$DOCKER_CONFIG/config.json`, `~/.docker/config.json`: the `auths` entry of the registry, `auth` or
//! `username`/`password`; credential helpers are not run); they are never printed. Plain HTTP is used only when
//! asked (`FetchOptions::plain_http`) and only for a loopback registry.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result, bail, ensure};
use oci_client::client::{Certificate, CertificateEncoding, ClientConfig, ClientProtocol};
use oci_client::manifest::{OCI_IMAGE_MEDIA_TYPE, OciDescriptor, OciImageManifest};
use oci_client::secrets::RegistryAuth;
use oci_client::{Client, Reference};
use sha2::{Digest, Sha256};
use wasmtime::component::Component;

use crate::cache::hex;
use crate::{CacheOutcome, Host};

/// The config media type of a Wasm OCI artifact (CNCF TAG Runtime, Wasm OCI artifact layout).
pub const WASM_CONFIG_MEDIA_TYPE: &str = "application/vnd.wasm.config.v0+json";
/// The media type of the component layer.
pub const WASM_LAYER_MEDIA_TYPE: &str = "application/wasm";
/// The scheme `host call` takes a reference with.
pub const SCHEME: &str = "oci://";

/// How a component is fetched.
#[derive(Debug, Clone, Default)]
pub struct FetchOptions {
    /// The component's SHA-256 (64 hex digits, `sha256:` optional) that the layer must have: required with a tag,
    /// a second check with a manifest digest.
    pub component_sha256: Option<String>,
    /// Talk plain HTTP to the registry: refused unless the registry is on a loopback address.
    pub plain_http: bool,
    /// A PEM file of certificates to trust besides the system's roots (a registry behind a private CA).
    pub ca_file: Option<PathBuf>,
}

/// A parsed reference that pins its content.
#[derive(Debug, Clone)]
pub struct Pinned {
    reference: Reference,
    manifest_digest: Option<String>,
    component_sha256: Option<String>,
}

impl Pinned {
    /// Parses `[oci://]registry/repository(:tag|@sha256:…)` with `options`; fails unless a digest pins it.
    pub fn parse(text: &str, options: &FetchOptions) -> Result<Self> {
        let bare = text.strip_prefix(SCHEME).unwrap_or(text);
        let reference: Reference = bare.parse().with_context(|| format!("`{text}` is not an OCI reference"))?;
        let manifest_digest = reference.digest().map(str::to_string);
        if let Some(digest) = &manifest_digest {
            ensure!(is_sha256(digest), "`{text}`: only sha256 digests are accepted, not `{digest}`");
        }
        let component_sha256 = match &options.component_sha256 {
            Some(hex) => {
                let hex = hex.strip_prefix("sha256:").unwrap_or(hex).to_ascii_lowercase();
                ensure!(is_sha256(&format!("sha256:{hex}")), "`{hex}` is not a SHA-256 (64 hex digits)");
                Some(hex)
            }
            None => None,
        };
        if manifest_digest.is_none() && component_sha256.is_none() {
            bail!(
                "`{text}` names a tag, which can be moved to other bytes: pin it with `@sha256:<manifest digest>` \
                 or give the component's sha256 (`--digest`)"
            );
        }
        Ok(Pinned { reference, manifest_digest, component_sha256 })
    }

    /// The registry (host and port).
    pub fn registry(&self) -> &str {
        self.reference.resolve_registry()
    }
}

fn is_sha256(digest: &str) -> bool {
    digest.strip_prefix("sha256:").is_some_and(|h| h.len() == 64 && h.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// Whether `registry` (`host[:port]`) is on a loopback address: `localhost`, 127.0.0.0/8 or `[::1]`.
pub fn is_loopback(registry: &str) -> bool {
    let host = match registry.strip_prefix('[') {
        Some(rest) => rest.split(']').next().unwrap_or_default(),
        None => registry.rsplit_once(':').map_or(registry, |(h, _)| h),
    };
    host == "localhost" || host.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// A client for `registry` and the credentials for it. `plain_http` is refused for a registry off loopback; TLS
/// trusts the system's roots and the certificates in `ca_file` (PEM), if given.
pub fn client(registry: &str, plain_http: bool, ca_file: Option<&Path>) -> Result<(Client, RegistryAuth)> {
    if plain_http {
        ensure!(
            is_loopback(registry),
            "plain HTTP is only for a registry on a loopback address, not {registry}: its traffic and credentials \
             would cross the network in the clear"
        );
    }
    // rustls takes its primitives from one process-wide provider: ring's, unless the embedder installed another.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let extra_root_certificates = match ca_file {
        Some(path) => {
            let data = std::fs::read(path).with_context(|| format!("failed to read the CA file {}", path.display()))?;
            ensure!(
                data.windows(27).any(|w| w == b"-----BEGIN CERTIFICATE-----"),
                "the CA file {} holds no PEM certificate (-----BEGIN CERTIFICATE-----)",
                path.display()
            );
            vec![Certificate { encoding: CertificateEncoding::Pem, data }]
        }
        None => Vec::new(),
    };
    let config = ClientConfig {
        protocol: if plain_http { ClientProtocol::Http } else { ClientProtocol::Https },
        connect_timeout: Some(Duration::from_secs(10)),
        read_timeout: Some(Duration::from_secs(60)),
        extra_root_certificates,
        ..ClientConfig::default()
    };
    let client = Client::try_from(config).context("failed to set up the registry client")?;
    Ok((client, credentials(registry)?))
}

/// The credentials for `registry`: the environment, then the Docker config file, else anonymous.
pub fn credentials(registry: &str) -> Result<RegistryAuth> {
    if let (Ok(user), Ok(password)) =
        (std::env::var("GOWASM_REGISTRY_USERNAME"), std::env::var("GOWASM_REGISTRY_PASSWORD"))
    {
        return Ok(RegistryAuth::Basic(user, password));
    }
    let dir = std::env::var_os("DOCKER_CONFIG")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| Path::new(&home).join(".docker")));
    let Some(path) = dir.map(|d| d.join("config.json")) else { return Ok(RegistryAuth::Anonymous) };
    let Ok(text) = std::fs::read_to_string(&path) else { return Ok(RegistryAuth::Anonymous) };
    docker_config_auth(&text, registry).with_context(|| format!("in {}", path.display()))
}

/// The `auths` entry for `registry` in a Docker config file's text (keys may carry a scheme and a path).
fn docker_config_auth(text: &str, registry: &str) -> Result<RegistryAuth> {
    let config: serde_json::Value = serde_json::from_str(text).context("the Docker config file is not JSON")?;
    let Some(auths) = config.get("auths").and_then(|a| a.as_object()) else { return Ok(RegistryAuth::Anonymous) };
    let host_of = |key: &str| {
        let key = key.strip_prefix("https://").or_else(|| key.strip_prefix("http://")).unwrap_or(key);
        key.split('/').next().unwrap_or(key).to_string()
    };
    let Some(entry) = auths.iter().find(|(key, _)| host_of(key) == registry).map(|(_, v)| v) else {
        return Ok(RegistryAuth::Anonymous);
    };
    let field = |name: &str| entry.get(name).and_then(|v| v.as_str()).filter(|s| !s.is_empty());
    if let (Some(user), Some(password)) = (field("username"), field("password")) {
        return Ok(RegistryAuth::Basic(user.to_string(), password.to_string()));
    }
    let Some(encoded) = field("auth") else { return Ok(RegistryAuth::Anonymous) };
    let decoded = base64_decode(encoded).context("the `auth` entry of the registry is not base64")?;
    let decoded = String::from_utf8(decoded).context("the `auth` entry of the registry is not text")?;
    let (user, password) =
        decoded.split_once(':').context("the `auth` entry of the registry is not `user:password`")?;
    Ok(RegistryAuth::Basic(user.to_string(), password.to_string()))
}

/// Standard base64 (padding optional), for the Docker config's `auth`.
fn base64_decode(text: &str) -> Result<Vec<u8>> {
    let value = |c: u8| -> Result<u32> {
        Ok(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => bail!("`{}` is not a base64 character", c as char),
        } as u32)
    };
    let digits = text.trim_end_matches('=').as_bytes();
    let mut out = Vec::with_capacity(digits.len() * 3 / 4);
    for chunk in digits.chunks(4) {
        ensure!(chunk.len() > 1, "truncated base64");
        let mut n = 0u32;
        for (i, &c) in chunk.iter().enumerate() {
            n |= value(c)? << (18 - 6 * i);
        }
        out.extend_from_slice(&n.to_be_bytes()[1..chunk.len()]);
    }
    Ok(out)
}

/// A current-thread runtime for one registry conversation.
pub fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread().enable_all().build().context("failed to start an async runtime")
}

/// What a pull found: where the verified component is, and what the registry said about it.
#[derive(Debug, Clone)]
pub struct Fetched {
    /// The verified component, `<cache>/oci/sha256/<hex>.wasm`.
    pub path: PathBuf,
    /// The manifest's digest (`sha256:…`).
    pub manifest_digest: String,
    /// The component's SHA-256 (hex).
    pub component_sha256: String,
    /// The manifest's annotations.
    pub annotations: std::collections::BTreeMap<String, String>,
}

/// Fetches the component `reference` pins into `cache_dir` (see the module's comment for every check); a
/// component already there with the right digest is not downloaded again.
pub fn fetch(reference: &str, options: &FetchOptions, cache_dir: &Path) -> Result<Fetched> {
    let pinned = Pinned::parse(reference, options)?;
    let registry = pinned.registry().to_string();
    let what = || format!("failed to pull {reference}");
    let (client, auth) = client(&registry, options.plain_http, options.ca_file.as_deref()).with_context(what)?;
    runtime()?.block_on(fetch_with(&client, &auth, &pinned, cache_dir)).with_context(what)
}

async fn fetch_with(client: &Client, auth: &RegistryAuth, pinned: &Pinned, cache_dir: &Path) -> Result<Fetched> {
    let reference = &pinned.reference;
    let (raw, _) = client
        .pull_manifest_raw(reference, auth, &[OCI_IMAGE_MEDIA_TYPE])
        .await
        .map_err(|e| unreachable_or(e, pinned.registry()))?;
    let manifest_digest = format!("sha256:{}", hex(&Sha256::digest(&raw)));
    if let Some(want) = &pinned.manifest_digest {
        ensure!(
            manifest_digest == *want,
            "the registry answered a manifest with digest {manifest_digest}, not the {want} asked for"
        );
    }
    let manifest: OciImageManifest =
        serde_json::from_slice(&raw).context("the manifest is not an OCI image manifest")?;
    let layer = wasm_layer(&manifest)?;
    let layer_hex = layer.digest.strip_prefix("sha256:").context("the layer's digest is not sha256")?.to_string();
    ensure!(is_sha256(&layer.digest), "the layer's digest `{}` is not a SHA-256", layer.digest);
    if let Some(want) = &pinned.component_sha256 {
        ensure!(
            layer_hex == *want,
            "the component in the registry has sha256 {layer_hex}, not the {want} asked for (digest mismatch)"
        );
    }
    let dir = cache_dir.join("oci/sha256");
    let path = dir.join(format!("{layer_hex}.wasm"));
    let present = std::fs::read(&path).ok().is_some_and(|b| hex(&Sha256::digest(&b)) == layer_hex);
    if !present {
        let mut bytes: Vec<u8> = Vec::with_capacity(usize::try_from(layer.size).unwrap_or(0).min(1 << 28));
        client
            .pull_blob(reference, layer, &mut bytes)
            .await
            .map_err(|e| unreachable_or(e, pinned.registry()))
            .context("the component's download did not complete")?;
        ensure!(
            bytes.len() as i64 == layer.size,
            "the component's download has {} bytes, the manifest says {}",
            bytes.len(),
            layer.size
        );
        let actual = hex(&Sha256::digest(&bytes));
        ensure!(actual == layer_hex, "the downloaded component has sha256 {actual}, the manifest says {layer_hex}");
        crate::cache::write_atomic(&path, &bytes)?;
    }
    Ok(Fetched {
        path,
        manifest_digest,
        component_sha256: layer_hex,
        annotations: manifest.annotations.clone().unwrap_or_default().into_iter().collect(),
    })
}

/// The manifest's one layer, if the manifest is a Wasm OCI artifact.
fn wasm_layer(manifest: &OciImageManifest) -> Result<&OciDescriptor> {
    ensure!(
        manifest.config.media_type == WASM_CONFIG_MEDIA_TYPE,
        "not a Wasm component artifact: its config has media type `{}`, not `{WASM_CONFIG_MEDIA_TYPE}`",
        manifest.config.media_type
    );
    let [layer] = manifest.layers.as_slice() else {
        bail!("not a Wasm component artifact: {} layers, not one", manifest.layers.len());
    };
    ensure!(
        layer.media_type == WASM_LAYER_MEDIA_TYPE,
        "not a Wasm component artifact: its layer has media type `{}`, not `{WASM_LAYER_MEDIA_TYPE}`",
        layer.media_type
    );
    Ok(layer)
}

/// A registry error, said as "unreachable" when no connection could be made, as a failed handshake when TLS refused
/// the registry's certificate.
/// `err` of a request to `registry`, said plainly when the cause is one a user can act on ([`connection_problem`]).
fn unreachable_or(err: oci_client::errors::OciDistributionError, registry: &str) -> anyhow::Error {
    connection_problem(&err, registry).unwrap_or_else(|| anyhow::Error::new(err))
}

/// Why a request to `registry` could not be made, when the cause is one a user can act on: a registry that
/// answered TLS in plain HTTP, one behind a private CA, one that cannot be reached; `None` for an answer.
pub fn connection_problem(err: &oci_client::errors::OciDistributionError, registry: &str) -> Option<anyhow::Error> {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(e) = source {
        if let Some(tls) = e.downcast_ref::<rustls::Error>() {
            if matches!(tls, rustls::Error::InvalidMessage(rustls::InvalidMessage::InvalidContentType)) {
                return Some(anyhow::anyhow!(
                    "the registry {registry} answered in plain HTTP, not TLS ({tls}): a registry on loopback that \
                     serves plain HTTP needs --plain-http"
                ));
            }
            return Some(anyhow::anyhow!(
                "the registry {registry} failed the TLS handshake: {tls} (a registry behind a private CA: give its \
                 certificate with --ca-file)"
            ));
        }
        let io = e.downcast_ref::<std::io::Error>();
        if let Some(io) = io
            && matches!(io.kind(), std::io::ErrorKind::ConnectionRefused | std::io::ErrorKind::TimedOut)
        {
            return Some(anyhow::anyhow!("the registry {registry} is unreachable: {io}"));
        }
        // An io::Error's `source` skips the error it wraps (where rustls's verdict sits): descend into it instead.
        source = match io {
            Some(io) => io.get_ref().map(|inner| inner as &(dyn std::error::Error + 'static)),
            None => e.source(),
        };
    }
    let text = err.to_string();
    (text.contains("error sending request") || text.contains("connect"))
        .then(|| anyhow::anyhow!("the registry {registry} is unreachable: {text}"))
}

impl Host {
    /// Loads the component `reference` pins (see [`fetch`]) through the precompiled cache in `cache_dir`.
    pub fn load_oci(
        &self,
        reference: &str,
        options: &FetchOptions,
        cache_dir: impl AsRef<Path>,
    ) -> Result<(Component, CacheOutcome, Fetched)> {
        let cache_dir = cache_dir.as_ref();
        let fetched = fetch(reference, options, cache_dir)?;
        let (component, outcome) = self.load_cached(&fetched.path, cache_dir)?;
        Ok((component, outcome, fetched))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reference_must_pin_a_digest_and_plain_http_stays_on_loopback() {
        let none = FetchOptions::default();
        let manifest = format!("oci://127.0.0.1:5000/gowasm/hasher@sha256:{}", "ab".repeat(32));
        assert!(Pinned::parse(&manifest, &none).is_ok());
        let err = Pinned::parse("oci://127.0.0.1:5000/gowasm/hasher:go1.26-opt", &none).unwrap_err();
        assert!(err.to_string().contains("pin it with"), "{err}");
        let tagged = FetchOptions { component_sha256: Some(format!("sha256:{}", "CD".repeat(32))), ..none.clone() };
        let pinned = Pinned::parse("127.0.0.1:5000/gowasm/hasher:go1.26-opt", &tagged).unwrap();
        assert_eq!(pinned.component_sha256.as_deref(), Some("cd".repeat(32).as_str()));
        let short = FetchOptions { component_sha256: Some("abc".into()), ..none.clone() };
        assert!(Pinned::parse("127.0.0.1:5000/gowasm/hasher:x", &short).is_err());

        for loopback in ["localhost:5000", "127.0.0.1:5000", "127.9.9.9", "[::1]:5000"] {
            assert!(is_loopback(loopback), "{loopback}");
        }
        for remote in ["ghcr.io", "10.0.0.1:5000", "example.com:443", "localhost.example.com"] {
            assert!(!is_loopback(remote), "{remote}");
        }
        let err = client("ghcr.io", true, None).err().expect("plain HTTP to ghcr.io was allowed");
        assert!(err.to_string().contains("only for a registry on a loopback address"), "{err}");
    }

    /// A registry that speaks plain HTTP, asked over TLS: the error says so and names the flag.
    #[test]
    fn a_plain_http_registry_asked_over_tls_names_the_flag() {
        use std::io::{Read, Write};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let registry = format!("127.0.0.1:{}", listener.local_addr().unwrap().port());
        let server = std::thread::spawn(move || {
            // oci-client may retry: answer every connection of this test the way a plain HTTP server does.
            listener.set_nonblocking(false).unwrap();
            for stream in listener.incoming().take(4) {
                let Ok(mut stream) = stream else { break };
                let mut hello = [0u8; 512];
                let _ = stream.read(&mut hello);
                let _ = stream.write_all(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
            }
        });
        let reference = format!("{registry}/gowasm/hasher@sha256:{}", "ab".repeat(32));
        let cache = std::env::temp_dir().join(format!("host-oci-plain-{}", std::process::id()));
        let err = format!("{:#}", fetch(&reference, &FetchOptions::default(), &cache).unwrap_err());
        assert!(err.contains(&format!("the registry {registry} answered in plain HTTP, not TLS")), "{err}");
        assert!(err.contains("needs --plain-http"), "{err}");
        drop(server);
        let _ = std::fs::remove_dir_all(&cache);
    }

    #[test]
    fn credentials_are_read_from_the_docker_config() {
        let config = r#"{"auths": {"https://127.0.0.1:5000/v1/": {"auth": "dXNlcjpzM2NyM3Q="},
                          "other:1": {"username": "u", "password": "p"}}}"#;
        let auth = docker_config_auth(config, "127.0.0.1:5000").unwrap();
        assert!(matches!(&auth, RegistryAuth::Basic(u, p) if u == "user" && p == "s3cr3t"));
        assert!(!format!("{auth:?}").contains("s3cr3t"), "credentials were printed: {auth:?}");
        let auth = docker_config_auth(config, "other:1").unwrap();
        assert!(matches!(&auth, RegistryAuth::Basic(u, p) if u == "u" && p == "p"));
        assert!(matches!(docker_config_auth(config, "third:2").unwrap(), RegistryAuth::Anonymous));
        assert_eq!(base64_decode("YWJj").unwrap(), b"abc");
        assert_eq!(base64_decode("YWI=").unwrap(), b"ab");
    }
}
