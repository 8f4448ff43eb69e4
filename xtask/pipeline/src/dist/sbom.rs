//! The SBOM `dist` writes next to each artifact (`<component>/<variant>.spdx.json`, SPDX 2.3 JSON): the component,
//! the Go standard library (and TinyGo) it was compiled with, and every Go module its manifest entry lists, each a
//! package the component contains, with a purl. It is made from the manifest entry alone, so it is as reproducible
//! as the entry; its creation time is fixed for that reason (the source commit it names dates the build).

use serde_json::{Value, json};

use super::manifest::{Artifact, Source};

/// Where an artifact's SBOM lives, relative to target/dist: beside it, `.wasm` replaced by `.spdx.json`.
pub fn path_of(artifact: &Artifact) -> String {
    let stem = artifact.path.strip_suffix(".wasm").unwrap_or(&artifact.path);
    format!("{stem}.spdx.json")
}

/// The SPDX 2.3 document of `artifact` built from `source`.
pub fn spdx(artifact: &Artifact, source: Option<&Source>) -> String {
    let purl = |name: &str, version: &str| {
        json!([{ "referenceCategory": "PACKAGE-MANAGER", "referenceType": "purl",
                 "referenceLocator": format!("pkg:golang/{name}@{version}") }])
    };
    let package = |id: String, name: &str, version: &str, comment: String| {
        json!({ "SPDXID": id, "name": name, "versionInfo": version, "downloadLocation": "NOASSERTION",
                "filesAnalyzed": false, "externalRefs": purl(name, version), "comment": comment })
    };
    let mut comment = format!("WIT world {}; core module sha256 {}", artifact.world, artifact.core_sha256);
    if let Some(source) = source {
        comment.push_str(&format!(
            "; built from commit {}{}",
            source.commit,
            if source.dirty { " (dirty)" } else { "" }
        ));
    }
    let mut packages = vec![json!({
        "SPDXID": "SPDXRef-Component",
        "name": artifact.component,
        "versionInfo": artifact.variant,
        "downloadLocation": "NOASSERTION",
        "filesAnalyzed": false,
        "primaryPackagePurpose": "APPLICATION",
        "checksums": [{ "algorithm": "SHA256", "checksumValue": artifact.sha256 }],
        "comment": comment,
    })];
    // `go version go1.26.8 linux/amd64` → go1.26.8: the standard library linked in.
    if let Some(go) = artifact.tools.get("go").and_then(|v| v.split_whitespace().nth(2)) {
        packages.push(package("SPDXRef-Go-stdlib".into(), "stdlib", go, "the Go standard library".into()));
    }
    if let Some(tinygo) = artifact.tools.get("tinygo") {
        let version = tinygo.split_whitespace().find(|w| w.chars().next().is_some_and(|c| c.is_ascii_digit()));
        let mut tinygo_package = package(
            "SPDXRef-TinyGo".into(),
            "tinygo",
            version.unwrap_or("NOASSERTION"),
            format!("compiler and runtime: {tinygo}"),
        );
        tinygo_package["externalRefs"] = json!([{ "referenceCategory": "PACKAGE-MANAGER", "referenceType": "purl",
            "referenceLocator": format!("pkg:golang/github.com/tinygo-org/tinygo@v{}", version.unwrap_or("0")) }]);
        packages.push(tinygo_package);
    }
    for (i, module) in artifact.go_modules.iter().enumerate() {
        let mut comment = match module.sum.as_str() {
            "" => "no go.sum hash".to_string(),
            sum => format!("go.sum {sum}"),
        };
        if let Some(replace) = &module.replace {
            comment.push_str(&format!("; replaced by {replace}"));
        }
        packages.push(package(format!("SPDXRef-Module-{}", i + 1), &module.path, &module.version, comment));
    }
    let mut relationships = vec![json!({ "spdxElementId": "SPDXRef-DOCUMENT", "relationshipType": "DESCRIBES",
                                         "relatedSpdxElement": "SPDXRef-Component" })];
    for package in &packages[1..] {
        relationships.push(json!({ "spdxElementId": "SPDXRef-Component", "relationshipType": "CONTAINS",
                                   "relatedSpdxElement": package["SPDXID"] }));
    }
    let document: Value = json!({
        "spdxVersion": "SPDX-2.3",
        "dataLicense": "CC0-1.0",
        "SPDXID": "SPDXRef-DOCUMENT",
        "name": format!("{} {}", artifact.component, artifact.variant),
        "documentNamespace": format!(
            "https://gowasm.invalid/spdx/{}/{}/{}", artifact.component, artifact.variant, artifact.sha256
        ),
        "creationInfo": { "created": "1970-01-01T00:00:00Z", "creators": ["Tool: gowasm-xtask"] },
        "packages": packages,
        "relationships": relationships,
    });
    serde_json::to_string_pretty(&document).expect("a JSON value serializes") + "\n"
}
