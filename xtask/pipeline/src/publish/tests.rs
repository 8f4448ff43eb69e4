//! Against a real registry (Debian's docker-registry, the CNCF distribution 2.8, started on a loopback port) and
//! an independent client (oras 1.3.6): what `publish` pushes, oras pulls back byte for byte and the host loads by
//! digest; what oras pushes with the Wasm media types, the host loads; every bad input is one clear error.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::testing::{hasher_core_module, hasher_go126};
use crate::{env::tools, stages::componentize, util};
use host::oci::FetchOptions;
use host::{Host, HostConfig};

use super::*;
use crate::dist::GuardedWindow;

/// A registry on a free loopback port with storage of its own, stopped (and its storage removed) on drop.
struct Registry {
    child: Child,
    dir: PathBuf,
    address: String,
}

/// A leaf certificate for 127.0.0.1 and its key (PEM), issued by a CA of the test's own, whose certificate is
/// the third file: what a registry behind a private CA serves.
struct Tls {
    certificate: PathBuf,
    key: PathBuf,
    ca: PathBuf,
}

impl Tls {
    fn issue(dir: &Path) -> Tls {
        use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair};
        std::fs::create_dir_all(dir).unwrap();
        let mut ca_params = CertificateParams::new(Vec::new()).unwrap();
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        let ca_key = KeyPair::generate().unwrap();
        let ca = ca_params.self_signed(&ca_key).unwrap();
        let leaf_key = KeyPair::generate().unwrap();
        let leaf = CertificateParams::new(vec!["127.0.0.1".to_string()])
            .unwrap()
            .signed_by(&leaf_key, &Issuer::new(ca_params, ca_key))
            .unwrap();
        let tls = Tls { certificate: dir.join("registry.pem"), key: dir.join("registry.key"), ca: dir.join("ca.pem") };
        std::fs::write(&tls.certificate, leaf.pem()).unwrap();
        std::fs::write(&tls.key, leaf_key.serialize_pem()).unwrap();
        std::fs::write(&tls.ca, ca.pem()).unwrap();
        tls
    }
}

impl Registry {
    fn start(tag: &str) -> Registry {
        Self::start_with(tag, None)
    }

    /// `tls`: serve HTTPS with that certificate; the readiness probe (plain HTTP) then gets the registry's 400.
    fn start_with(tag: &str, tls: Option<&Tls>) -> Registry {
        let binary = tools::REGISTRY.locate().unwrap();
        for attempt in 0..3 {
            let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
            let dir = std::env::temp_dir().join(format!("gowasm-registry-{tag}-{}-{attempt}", std::process::id()));
            std::fs::create_dir_all(&dir).unwrap();
            let mut config = format!(
                "version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: {}\nhttp:\n  addr: 127.0.0.1:{port}\n",
                dir.join("storage").display()
            );
            if let Some(tls) = tls {
                config += &format!(
                    "  tls:\n    certificate: {}\n    key: {}\n",
                    tls.certificate.display(),
                    tls.key.display()
                );
            }
            let ready = if tls.is_some() { "400" } else { "200" };
            std::fs::write(dir.join("config.yml"), config).unwrap();
            let child = Command::new(&binary)
                .arg("serve")
                .arg(dir.join("config.yml"))
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap();
            let mut registry = Registry { child, dir, address: format!("127.0.0.1:{port}") };
            let start = Instant::now();
            while start.elapsed() < Duration::from_secs(20) {
                if http_get(&registry.address, "/v2/").is_some_and(|r| {
                    r.starts_with(&format!("HTTP/1.0 {ready}")) || r.starts_with(&format!("HTTP/1.1 {ready}"))
                }) {
                    return registry;
                }
                if registry.child.try_wait().unwrap().is_some() {
                    break; // the port was taken between our probe and its bind: another one
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            registry.stop();
        }
        panic!("docker-registry did not start on a loopback port in three attempts");
    }

    fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

impl Drop for Registry {
    fn drop(&mut self) {
        self.stop();
    }
}

/// One HTTP/1.0 GET on `address`: the whole response as text, or None if nothing answered.
fn http_get(address: &str, path: &str) -> Option<String> {
    let mut stream = TcpStream::connect_timeout(&address.parse().ok()?, Duration::from_secs(1)).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(2))).ok()?;
    stream.write_all(format!("GET {path} HTTP/1.0\r\nHost: {address}\r\n\r\n").as_bytes()).ok()?;
    let mut out = Vec::new();
    stream.read_to_end(&mut out).ok()?;
    Some(String::from_utf8_lossy(&out).into_owned())
}

/// oras with `args` in `dir`, over plain HTTP; stdout, or the failure with stderr.
fn oras(dir: &Path, args: &[&str]) -> Result<Vec<u8>> {
    oras_with(dir, args, &["--plain-http"])
}

/// oras with `args` and then `transport` (`--plain-http`, or `--ca-file PEM`, or nothing) in `dir`.
fn oras_with(dir: &Path, args: &[&str], transport: &[&str]) -> Result<Vec<u8>> {
    let out = Command::new(tools::ORAS.locate()?).current_dir(dir).args(args).args(transport).output()?;
    ensure!(out.status.success(), "oras {} failed: {}", args.join(" "), String::from_utf8_lossy(&out.stderr));
    Ok(out.stdout)
}

/// A dist directory holding the hasher's go1.26 component (hardened, as dist ships it) and its manifest.
fn hasher_dist(dir: &Path) -> (Vec<u8>, Artifact) {
    let (root, component, _) = hasher_go126();
    let bytes = componentize::encode(&root, &component, &hasher_core_module()).unwrap();
    let artifact = Artifact {
        component: component.name.clone(),
        variant: "go1.26-raw".into(),
        path: paths::dist_relative_named(&component.name, "go1.26-raw"),
        bytes: bytes.len() as u64,
        sha256: util::sha256_hex(&bytes),
        core_sha256: util::sha256_hex(&hasher_core_module()),
        world: component.world.clone(),
        tools: [("go".to_string(), "go version go1.26.8 linux/amd64".to_string())].into(),
        flags: vec!["-buildmode=c-shared".into()],
        env: [("GOOS".to_string(), "wasip1".to_string())].into(),
        composed_of: Vec::new(),
        guarded_window: Some(GuardedWindow { answered: 101, floor: 100 }),
        generic_window: Some(GuardedWindow { answered: 102, floor: 100 }),
        go_modules: Vec::new(),
        module_env: Default::default(),
    };
    std::fs::create_dir_all(dir.join(&component.name)).unwrap();
    std::fs::write(dir.join(&artifact.path), &bytes).unwrap();
    let manifest = Manifest {
        artifacts: vec![artifact],
        shard: None,
        left_out: Vec::new(),
        failures: Vec::new(),
        source: Some(Source { commit: "0123456789abcdef0123456789abcdef01234567".into(), dirty: false }),
    };
    std::fs::write(dir.join("manifest.json"), serde_json::to_string_pretty(&manifest).unwrap()).unwrap();
    let sbom = crate::dist::sbom::spdx(&manifest.artifacts[0], manifest.source.as_ref());
    std::fs::write(dir.join(crate::dist::sbom::path_of(&manifest.artifacts[0])), sbom).unwrap();
    (bytes, manifest.artifacts.into_iter().next().unwrap())
}

fn publish(repository: &str, dist: &Path) -> Vec<Published> {
    publish_with(repository, dist, None)
}

/// Publishes over plain HTTP, or over TLS trusting `ca_file`.
fn publish_with(repository: &str, dist: &Path, ca_file: Option<&Path>) -> Vec<Published> {
    let options = Options {
        repository: repository.to_string(),
        plain_http: ca_file.is_none(),
        ca_file: ca_file.map(Path::to_path_buf),
        dist: Some(dist.to_path_buf()),
        ..Options::default()
    };
    let record = super::publish(&crate::testing::root(), &options).unwrap();
    serde_json::from_str(&std::fs::read_to_string(record).unwrap()).unwrap()
}

/// compute-hash of `input` through the component at `reference`, as WAVE.
fn hash_through(host: &Host, reference: &str, options: &FetchOptions, cache: &Path, input: &[u8]) -> Result<String> {
    let (component, _, _) = host.load_oci(reference, options, cache)?;
    let mut store = host.store();
    let instance = host.instantiate(&mut store, &component)?;
    let list: Vec<String> = input.iter().map(|b| b.to_string()).collect();
    let results =
        host::dynamic::call(host, &component, &mut store, &instance, &format!("compute-hash([{}])", list.join(", ")))?;
    Ok(results.join(""))
}

fn plain() -> FetchOptions {
    FetchOptions { plain_http: true, ..FetchOptions::default() }
}

#[test]
#[ignore = "slow tier: starts a registry and runs oras (`cargo xtask test` runs it)"]
fn published_artifacts_are_pulled_back_by_oras_and_loaded_by_the_host_by_digest() {
    let mut registry = Registry::start("publish");
    let tmp = std::env::temp_dir().join(format!("gowasm-publish-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&tmp);
    let (bytes, artifact) = hasher_dist(&tmp.join("dist"));
    let repository = format!("{}/gowasm/plugins", registry.address);
    // The loopback registry speaks plain HTTP: asked over TLS, the error says so and names the flag.
    let tls = Options { repository: repository.clone(), dist: Some(tmp.join("dist")), ..Options::default() };
    let err = format!("{:#}", super::publish(&crate::testing::root(), &tls).unwrap_err());
    assert!(err.contains("answered in plain HTTP, not TLS") && err.contains("needs --plain-http"), "{err}");
    let published = publish(&repository, &tmp.join("dist"));
    let [one] = published.as_slice() else { panic!("published {published:?}") };
    assert_eq!(one.tags, ["hasher-go1.26-raw", "hasher-go1.26-raw-0123456789ab"]);
    assert_eq!(one.sha256, artifact.sha256);
    // The same dist published again is the same manifest (nothing in it depends on when).
    assert_eq!(publish(&repository, &tmp.join("dist"))[0].manifest_digest, one.manifest_digest);

    // oras pulls the bytes the dist manifest names, by either tag, and sees the Wasm config and the provenance.
    for tag in &one.tags {
        let out = tmp.join(format!("pulled-{tag}"));
        oras(&tmp, &["pull", &format!("{repository}:{tag}"), "-o", out.to_str().unwrap()]).unwrap();
        let pulled = std::fs::read(out.join("hasher-go1.26-raw.wasm")).unwrap();
        assert_eq!(util::sha256_hex(&pulled), artifact.sha256, "oras pulled other bytes for {tag}");
    }
    let config: Value =
        serde_json::from_slice(&oras(&tmp, &["manifest", "fetch-config", &one.reference]).unwrap()).unwrap();
    assert_eq!(
        config["component"]["exports"],
        json!(["compute-hash", "gowasm:harden/stress@0.1.0", "gowasm:harden/window@0.1.0", "process-json"])
    );
    let imports = config["component"]["imports"].as_array().unwrap();
    assert!(
        imports.iter().any(|i| i.as_str().is_some_and(|i| i.starts_with("wasi:cli/environment@0.2."))),
        "{imports:?}"
    );
    let manifest: Value = serde_json::from_slice(&oras(&tmp, &["manifest", "fetch", &one.reference]).unwrap()).unwrap();
    assert_eq!(manifest["config"]["mediaType"], WASM_CONFIG_MEDIA_TYPE);
    assert_eq!(manifest["layers"][0]["mediaType"], WASM_LAYER_MEDIA_TYPE);
    assert_eq!(manifest["annotations"]["dev.gowasm.sha256"], artifact.sha256);
    assert_eq!(
        manifest["annotations"]["org.opencontainers.image.revision"],
        "0123456789abcdef0123456789abcdef01234567"
    );
    assert_eq!(manifest["annotations"]["dev.gowasm.guarded-window"], "101 answered, floor 100");
    let referrers: Value =
        serde_json::from_slice(&oras(&tmp, &["discover", "--format", "json", &one.reference]).unwrap()).unwrap();
    let text = referrers.to_string();
    assert!(text.contains(&one.provenance) && text.contains(IN_TOTO), "oras discover: {text}");
    // The SBOM is a referrer too, and oras pulls back the bytes dist wrote beside the artifact.
    assert!(text.contains(&one.sbom) && text.contains(SPDX_JSON), "oras discover: {text}");
    let sbom_manifest: Value =
        serde_json::from_slice(&oras(&tmp, &["manifest", "fetch", &format!("{repository}@{}", one.sbom)]).unwrap())
            .unwrap();
    let sbom_layer = sbom_manifest["layers"][0]["digest"].as_str().unwrap();
    let sbom = oras(&tmp, &["blob", "fetch", &format!("{repository}@{sbom_layer}"), "--output", "-"]).unwrap();
    assert_eq!(sbom, std::fs::read(tmp.join("dist").join(crate::dist::sbom::path_of(&artifact))).unwrap());
    let provenance = format!("{repository}@{}", one.provenance);
    let statement_manifest: Value =
        serde_json::from_slice(&oras(&tmp, &["manifest", "fetch", &provenance]).unwrap()).unwrap();
    assert_eq!(statement_manifest["subject"]["digest"], one.manifest_digest.as_str());
    let layer = statement_manifest["layers"][0]["digest"].as_str().unwrap();
    let statement = oras(&tmp, &["blob", "fetch", &format!("{repository}@{layer}"), "--output", "-"]).unwrap();
    let statement: Value = serde_json::from_slice(&statement).unwrap();
    assert_eq!(statement["predicateType"], SLSA_PROVENANCE);
    assert_eq!(statement["subject"][0]["digest"]["sha256"], artifact.sha256);
    assert_eq!(
        statement["predicate"]["buildDefinition"]["resolvedDependencies"][0]["digest"]["gitCommit"],
        "0123456789abcdef0123456789abcdef01234567"
    );

    // The host loads it by manifest digest, and by tag with the component's digest; a tag alone, the wrong
    // component digest or a manifest digest the registry does not hold are refused.
    let host = Host::new(&HostConfig::default()).unwrap();
    let cache = tmp.join("cache");
    let want = format!("\"{}\"", util::sha256_hex(b"abc"));
    assert_eq!(hash_through(&host, &format!("oci://{}", one.reference), &plain(), &cache, b"abc").unwrap(), want);
    let tagged = format!("oci://{repository}:{}", one.tags[0]);
    let pinned = FetchOptions { component_sha256: Some(artifact.sha256.clone()), ..plain() };
    assert_eq!(hash_through(&host, &tagged, &pinned, &cache, b"abc").unwrap(), want);
    let err = hash_through(&host, &tagged, &plain(), &cache, b"abc").unwrap_err();
    assert!(format!("{err:#}").contains("pin it with"), "{err:#}");
    let wrong = FetchOptions { component_sha256: Some("0".repeat(64)), ..plain() };
    let err = hash_through(&host, &tagged, &wrong, &cache, b"abc").unwrap_err();
    assert!(format!("{err:#}").contains("digest mismatch"), "{err:#}");
    let absent = format!("oci://{repository}@sha256:{}", "1".repeat(64));
    assert!(hash_through(&host, &absent, &plain(), &cache, b"abc").is_err());

    // Pushed by oras: with the Wasm media types it loads; as plain octets it is refused, naming the media type.
    let file = tmp.join("hasher.wasm");
    std::fs::write(&file, &bytes).unwrap();
    std::fs::write(tmp.join("config.json"), b"{\"architecture\":\"wasm\",\"os\":\"wasip2\"}").unwrap();
    let by_oras = format!("{repository}:by-oras");
    oras(
        &tmp,
        &[
            "push",
            &by_oras,
            "--config",
            "config.json:application/vnd.wasm.config.v0+json",
            "hasher.wasm:application/wasm",
        ],
    )
    .unwrap();
    assert_eq!(hash_through(&host, &format!("oci://{by_oras}"), &pinned, &cache.join("2"), b"abc").unwrap(), want);
    let octets = format!("{repository}:octets");
    oras(&tmp, &["push", &octets, "hasher.wasm:application/octet-stream"]).unwrap();
    let err = hash_through(&host, &format!("oci://{octets}"), &pinned, &cache.join("3"), b"abc").unwrap_err();
    assert!(format!("{err:#}").contains("not a Wasm component artifact"), "{err:#}");
    let mislabelled = format!("{repository}:mislabelled");
    oras(
        &tmp,
        &[
            "push",
            &mislabelled,
            "--config",
            "config.json:application/vnd.wasm.config.v0+json",
            "hasher.wasm:text/plain",
        ],
    )
    .unwrap();
    let err = hash_through(&host, &format!("oci://{mislabelled}"), &pinned, &cache.join("4"), b"abc").unwrap_err();
    assert!(format!("{err:#}").contains("its layer has media type `text/plain`"), "{err:#}");

    // The registry down: one clear error.
    registry.stop();
    let err = hash_through(&host, &format!("oci://{}", one.reference), &plain(), &cache.join("5"), b"abc").unwrap_err();
    assert!(format!("{err:#}").contains("is unreachable"), "{err:#}");
    std::fs::remove_dir_all(&tmp).unwrap();
}

/// A registry behind a private CA: oras and the host reach it over TLS trusting that CA's certificate file
/// (`--ca-file`), and refuse it without, naming the way out.
#[test]
#[ignore = "slow tier: starts a registry and runs oras (`cargo xtask test` runs it)"]
fn a_registry_behind_a_private_ca_is_reached_over_tls_with_its_certificate_and_refused_without_it() {
    let tmp = std::env::temp_dir().join(format!("gowasm-publish-tls-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&tmp);
    let tls = Tls::issue(&tmp.join("tls"));
    let registry = Registry::start_with("tls", Some(&tls));
    let repository = format!("{}/gowasm/plugins", registry.address);
    let (_, artifact) = hasher_dist(&tmp.join("dist"));
    let published = publish_with(&repository, &tmp.join("dist"), Some(&tls.ca));
    let [one] = published.as_slice() else { panic!("published {published:?}") };

    // oras, trusting the same CA, pulls the bytes back over TLS; without it, it refuses the certificate.
    let ca = tls.ca.to_str().unwrap();
    let out = tmp.join("pulled");
    oras_with(&tmp, &["pull", &one.reference, "-o", out.to_str().unwrap()], &["--ca-file", ca]).unwrap();
    let pulled = std::fs::read(out.join("hasher-go1.26-raw.wasm")).unwrap();
    assert_eq!(util::sha256_hex(&pulled), artifact.sha256);
    let err = oras_with(&tmp, &["manifest", "fetch", &one.reference], &[]).unwrap_err();
    assert!(format!("{err:#}").contains("certificate"), "{err:#}");

    // The host loads it trusting the CA file; without it the handshake fails, one error naming the registry and
    // the way out, and nothing is written to the cache.
    let host = Host::new(&HostConfig::default()).unwrap();
    let reference = format!("oci://{}", one.reference);
    let trusting = FetchOptions { ca_file: Some(tls.ca.clone()), ..FetchOptions::default() };
    let want = format!("\"{}\"", util::sha256_hex(b"abc"));
    assert_eq!(hash_through(&host, &reference, &trusting, &tmp.join("cache"), b"abc").unwrap(), want);
    let err = hash_through(&host, &reference, &FetchOptions::default(), &tmp.join("cold"), b"abc").unwrap_err();
    let text = format!("{err:#}");
    assert!(text.contains("failed the TLS handshake") && text.contains("--ca-file"), "{text}");
    assert!(text.contains(&registry.address), "{text}");
    assert!(!tmp.join("cold/oci").exists(), "a refused pull left files in the cache");
    // A CA file that is not PEM is refused before any connection.
    std::fs::write(tmp.join("not.pem"), b"not a certificate").unwrap();
    let bad = FetchOptions { ca_file: Some(tmp.join("not.pem")), ..FetchOptions::default() };
    let err = hash_through(&host, &reference, &bad, &tmp.join("cold"), b"abc").unwrap_err();
    assert!(format!("{err:#}").contains("holds no PEM certificate"), "{err:#}");
    let _ = std::fs::remove_dir_all(&tmp);
}

/// A registry that serves a Wasm artifact's manifest, then cuts the component's download off halfway (a lost
/// connection): the error says so, and nothing is left in the cache to be loaded later.
#[test]
fn an_interrupted_download_is_never_loaded() {
    let component = b"\0asm\x0d\x00\x01\x00 a component that never arrives whole".repeat(64);
    let layer = format!("sha256:{}", util::sha256_hex(&component));
    let config = b"{}".to_vec();
    let manifest = json!({
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "config": { "mediaType": WASM_CONFIG_MEDIA_TYPE, "digest": format!("sha256:{}", util::sha256_hex(&config)), "size": 2 },
        "layers": [{ "mediaType": WASM_LAYER_MEDIA_TYPE, "digest": layer, "size": component.len() }],
    });
    let manifest = canonical(&manifest);
    let digest = format!("sha256:{}", util::sha256_hex(&manifest));
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap().to_string();
    let served = (manifest.clone(), component.clone());
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let (manifest, component) = served.clone();
            std::thread::spawn(move || {
                let mut head = Vec::new();
                let mut byte = [0u8; 1];
                while !head.ends_with(b"\r\n\r\n") && stream.read(&mut byte).is_ok_and(|n| n == 1) {
                    head.push(byte[0]);
                }
                let head = String::from_utf8_lossy(&head);
                let path = head.split_whitespace().nth(1).unwrap_or_default().to_string();
                let respond = |stream: &mut TcpStream, kind: &str, body: &[u8], send: usize| {
                    let head = format!(
                        "HTTP/1.1 200 OK\r\nContent-Type: {kind}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                        body.len()
                    );
                    let _ = stream.write_all(head.as_bytes());
                    let _ = stream.write_all(&body[..send]);
                    let _ = stream.flush();
                };
                if path.contains("/manifests/") {
                    respond(&mut stream, OCI_MANIFEST, &manifest, manifest.len());
                } else if path.contains("/blobs/") {
                    respond(&mut stream, "application/octet-stream", &component, component.len() / 2);
                } else {
                    respond(&mut stream, "application/json", b"{}", 2);
                }
                let _ = stream.shutdown(std::net::Shutdown::Both);
            });
        }
    });
    let cache = std::env::temp_dir().join(format!("gowasm-interrupted-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&cache);
    let reference = format!("oci://{address}/fake/plugin@{digest}");
    let err = host::oci::fetch(&reference, &plain(), &cache).unwrap_err();
    assert!(format!("{err:#}").contains("download did not complete"), "{err:#}");
    let left: Vec<PathBuf> = if cache.exists() { util::files_under(&cache).unwrap() } else { Vec::new() };
    assert!(left.is_empty(), "an interrupted download left {left:?}");
    let _ = std::fs::remove_dir_all(&cache);
}
