//! The hasher component's typed checks: `compute-hash` against sha2, `process-json` against a canonical-JSON
//! reference built on serde_json, then the stress. The reference implements the rules documented in
//! go/hasher/canonjson. `cargo xtask check --component hasher` builds and runs this crate against every artifact.

use std::process::ExitCode;
use std::time::Instant;

use anyhow::{Context, Result, bail, ensure};
use pipeline::model::Stress;
use pipeline::status;
use pipeline::suite::{Phase, Stressor, Subject, Verdict, Window, json_document, pseudo_random};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use wasmtime::Store;
use wasmtime::component::Component;

wasmtime::component::bindgen!({ world: "hasher", path: "../../../wit/hasher.wit" });

fn main() -> ExitCode {
    pipeline::suite::main(check)
}

fn check(subject: &Subject) -> Result<Verdict> {
    run(subject, subject.component())
}

/// canonjson.MaxDepth: deeper documents are rejected (go/hasher/canonjson); the reference does the same.
const MAX_DEPTH: usize = 1_000;

/// Returns the stress's linear-memory peak and what it saw of the window.
fn run(subject: &Subject, component: &Component) -> Result<Verdict> {
    let (host, stress, label) = (subject.host, subject.stress, subject.label);
    let start = Instant::now();
    let (mut store, hasher, window) = pipeline::suite::instantiate(host, component, |s, i| Hasher::new(s, i))?;
    status::step("Instantiated", format!("{label} in {}", status::elapsed(start.elapsed())));

    let start = Instant::now();
    for (label, data) in hash_vectors() {
        expect_hash(&hasher, &mut store, &data).with_context(|| format!("compute-hash vector `{label}`"))?;
    }
    let vectors = json_vectors();
    for (label, data) in &vectors {
        expect_json(&hasher, &mut store, data).with_context(|| format!("process-json vector `{label}`"))?;
    }
    status::step(
        "Vectors",
        format!(
            "{label}: {} hash + {} JSON vectors match in {}",
            hash_vectors().len(),
            vectors.len(),
            status::elapsed(start.elapsed())
        ),
    );

    subject.stress(|| run_stress(&hasher, &window, &mut store, stress, label))
}

/// Stress on one instance: large arguments lowered through `cabi_realloc`, each result compared — 64 KiB then
/// 1 MiB `compute-hash` calls, each phase until the window answered the floor (at most `calls_64k` and
/// `calls_1m` calls), then `process-json` of a 64 KiB document (`calls_64k / 100` calls; with floor 0,
/// `calls_64k / 10`), which must not grow memory further.
fn run_stress(
    hasher: &Hasher,
    window: &Window,
    store: &mut Store<host::State>,
    stress: Stress,
    label: &str,
) -> Result<Verdict> {
    let start = Instant::now();
    // What the instance already holds (the vectors' 4 MiB documents leave the largest heap behind).
    let before = store.data().memory().peak();
    let mut stressor = Stressor::new(store, window, stress.sizing)?;
    let mut data = pseudo_random(64 * 1024, 64);
    let len = data.len();
    let small = stressor.phase(store, "compute-hash 64 KiB", Phase::sized(100, stress.calls_64k), |store, call| {
        data[call % len] ^= (call as u8).wrapping_add(1);
        expect_hash(hasher, store, &data).with_context(|| format!("stress: call #{} with 64 KiB", call + 1))
    })?;
    let mut data = pseudo_random(1024 * 1024, 1024);
    let len = data.len();
    let large = stressor.phase(store, "compute-hash 1 MiB", Phase::sized(10, stress.calls_1m), |store, call| {
        data[(call * 7919) % len] ^= 0x5a;
        expect_hash(hasher, store, &data).with_context(|| format!("stress: call #{} with 1 MiB", call + 1))
    })?;
    // Memory after the hash phases (most of what is lowered): the JSON phase must not grow it much further.
    let after_hashes = store.data().memory().peak();
    let json = json_document(64 * 1024, 7);
    let want = reference(&json).expect("the generated document is valid");
    let json_calls = Phase::fixed(stress.calls_64k / 100, stress.calls_64k / 10);
    let documents = stressor.phase(store, "process-json 64 KiB", json_calls, |store, call| {
        let got = hasher.call_process_json(&mut *store, &json).map_err(anyhow::Error::from);
        let got = got.with_context(|| format!("stress: process-json call #{} with 64 KiB", call + 1))?;
        ensure!(
            got.as_deref() == Ok(want.as_slice()),
            "stress: process-json call #{} returned a different document",
            call + 1
        );
        Ok(())
    })?;
    let tally = stressor.finish();
    let peak = store.data().memory().peak();
    let lowered = (small * 64 + large * 1024 + documents * 64) as f64 / 1024.0;
    status::step(
        "Stress",
        format!(
            "{label}: {small} × 64 KiB + {large} × 1 MiB compute-hash, {documents} × 64 KiB process-json ({lowered:.0} MiB lowered) in {}; linear memory peak {:.1} MiB; {}",
            status::elapsed(start.elapsed()),
            peak as f64 / (1024.0 * 1024.0),
            tally.summary()
        ),
    );
    // The Go heap must be reclaimed: without collection the instance would need about as much memory as was
    // lowered. 256 MiB leaves room for the 4 MiB vectors and GC headroom while proving reuse. TinyGo doubles its
    // linear memory whenever a collection leaves less than a third of the heap free (the 4 MiB JSON vector alone
    // can take it to 272 MiB), so for a peak above 256 MiB reuse must show as a steady state instead: at most
    // half of what was lowered, and no growth at all during the stress's last phase. (A sized stress lowers
    // less than 256 MiB; that the window answered its floor is its proof that the collector ran in there.)
    let grown = peak.saturating_sub(after_hashes);
    ensure!(
        lowered < 256.0 || peak < 256 << 20 || ((peak as f64) < lowered * (1 << 19) as f64 && grown == 0),
        "memory is not reclaimed: linear memory reached {peak} bytes after {lowered:.0} MiB of arguments ({before} \
         bytes before the stress, {after_hashes} after its hash phases)"
    );
    Ok(Verdict { stress_peak: Some(peak), window: Some(tally), stress_time: Some(start.elapsed()) })
}

fn expect_hash(hasher: &Hasher, store: &mut Store<host::State>, data: &[u8]) -> Result<()> {
    let got = hasher.call_compute_hash(&mut *store, data).map_err(anyhow::Error::from)?;
    let want: String = Sha256::digest(data).iter().map(|b| format!("{b:02x}")).collect();
    ensure!(got == want, "compute-hash of {} bytes: got {got}, want {want}", data.len());
    Ok(())
}

fn expect_json(hasher: &Hasher, store: &mut Store<host::State>, data: &[u8]) -> Result<()> {
    let got = hasher.call_process_json(&mut *store, data).map_err(anyhow::Error::from)?;
    match (reference(data), got) {
        (Ok(want), Ok(got)) if want == got => Ok(()),
        (Ok(want), Ok(got)) => bail!(
            "canonical forms differ: got {} bytes `{}`, want {} bytes `{}`",
            got.len(),
            preview(&got),
            want.len(),
            preview(&want)
        ),
        (Err(_), Err(message)) if !message.is_empty() => Ok(()),
        (Err(_), Err(_)) => bail!("invalid JSON rejected with an empty message"),
        (Ok(_), Err(message)) => bail!("valid JSON rejected: {message}"),
        (Err(why), Ok(got)) => bail!("invalid JSON ({why}) accepted as `{}`", preview(&got)),
    }
}

fn preview(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    if text.len() > 120 { format!("{}…", &text[..text.floor_char_boundary(120)]) } else { text.into_owned() }
}

/// The native reference for `process-json`. serde_json decides validity (strict RFC 8259, UTF-8) and decodes
/// strings; the canonical form is then written by a small recursive writer over the validated text, because
/// serde_json rewrites some number literals (`1E5` → `1e+5`) and the rule is to keep numbers exactly as written.
/// Runs on a thread with a large stack for deep documents.
fn reference(data: &[u8]) -> Result<Vec<u8>, String> {
    let data = data.to_vec();
    std::thread::Builder::new()
        .stack_size(512 << 20)
        .spawn(move || {
            let text = std::str::from_utf8(&data).map_err(|e| e.to_string())?;
            if nesting_depth(text) > MAX_DEPTH {
                return Err(format!("exceeded max depth {MAX_DEPTH}"));
            }
            let mut de = serde_json::Deserializer::from_str(text);
            de.disable_recursion_limit();
            serde::de::IgnoredAny::deserialize(&mut de).map_err(|e| e.to_string())?;
            de.end().map_err(|e| e.to_string())?;
            let mut out = Vec::with_capacity(text.len());
            let rest = canonical_value(text, &mut out);
            debug_assert!(rest.trim().is_empty());
            Ok(out)
        })
        .expect("spawn the reference thread")
        .join()
        .expect("the reference thread does not panic")
}

/// Writes the canonical form of the JSON value at the start of `text` (already validated) and returns the rest.
fn canonical_value<'a>(text: &'a str, out: &mut Vec<u8>) -> &'a str {
    let text = ws(text);
    match text.as_bytes()[0] {
        b'{' => {
            let mut members = std::collections::BTreeMap::new();
            let mut rest = ws(&text[1..]);
            while !rest.starts_with('}') {
                let (key, after_key) = string_literal(rest);
                let after_colon = ws(after_key).strip_prefix(':').expect("validated object");
                let mut value = Vec::new();
                let after_value = canonical_value(after_colon, &mut value);
                members.insert(key, value); // the last of duplicate keys wins, as in Go
                rest = ws(after_value);
                rest = ws(rest.strip_prefix(',').unwrap_or(rest));
            }
            out.push(b'{');
            for (i, (key, value)) in members.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                serde_json::to_writer(&mut *out, key).expect("writing to a Vec cannot fail");
                out.push(b':');
                out.extend_from_slice(value);
            }
            out.push(b'}');
            &rest[1..]
        }
        b'[' => {
            out.push(b'[');
            let mut rest = ws(&text[1..]);
            let mut first = true;
            while !rest.starts_with(']') {
                if !first {
                    out.push(b',');
                }
                first = false;
                rest = ws(canonical_value(rest, out));
                rest = ws(rest.strip_prefix(',').unwrap_or(rest));
            }
            out.push(b']');
            &rest[1..]
        }
        b'"' => {
            let (value, rest) = string_literal(text);
            serde_json::to_writer(&mut *out, &value).expect("writing to a Vec cannot fail");
            rest
        }
        _ => {
            // true, false, null or a number: copied exactly as written.
            let end = text.find([',', ']', '}', ' ', '\t', '\n', '\r']).unwrap_or(text.len());
            out.extend_from_slice(&text.as_bytes()[..end]);
            &text[end..]
        }
    }
}

fn ws(text: &str) -> &str {
    text.trim_start_matches([' ', '\t', '\n', '\r'])
}

/// Decodes the string literal at the start of `text` with serde_json; returns it and the rest of the text.
fn string_literal(text: &str) -> (String, &str) {
    let bytes = text.as_bytes();
    let mut i = 1;
    while bytes[i] != b'"' {
        i += if bytes[i] == b'\\' { 2 } else { 1 };
    }
    let value = serde_json::from_str(&text[..=i]).expect("validated string literal");
    (value, &text[i + 1..])
}

/// Deepest array/object nesting, ignoring brackets inside strings.
fn nesting_depth(text: &str) -> usize {
    let (mut depth, mut max, mut in_string, mut escaped) = (0usize, 0usize, false, false);
    for b in text.bytes() {
        match (in_string, escaped, b) {
            (true, true, _) => escaped = false,
            (true, false, b'\\') => escaped = true,
            (true, false, b'"') => in_string = false,
            (true, ..) => {}
            (false, _, b'"') => in_string = true,
            (false, _, b'[' | b'{') => {
                depth += 1;
                max = max.max(depth);
            }
            (false, _, b']' | b'}') => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    max
}

/// Inputs for compute-hash: the SHA-256 block edges and large inputs.
fn hash_vectors() -> Vec<(&'static str, Vec<u8>)> {
    vec![
        ("empty", Vec::new()),
        ("1 byte", vec![0x61]),
        ("55 bytes (one block with padding)", pseudo_random(55, 1)),
        ("56 bytes (padding spills)", pseudo_random(56, 2)),
        ("64 bytes (one full block)", pseudo_random(64, 3)),
        ("64 KiB", pseudo_random(64 * 1024, 4)),
        ("4 MiB", pseudo_random(4 * 1024 * 1024, 5)),
    ]
}

/// Inputs for process-json: valid, invalid, deep and large documents.
fn json_vectors() -> Vec<(String, Vec<u8>)> {
    let mut v: Vec<(String, Vec<u8>)> = [
        ("object with unsorted keys", r#"{"b":1,"a":[true,false,null],"c":{"z":0,"y":[]}}"#),
        ("whitespace everywhere", " \n\t{ \"z\" : { \"y\" : 1 , \"x\" : 2 } } \r\n"),
        ("numbers as written", r#"[1.000,-0,1E400,0.1e-7,12345678901234567890123,-1.5e+300]"#),
        ("duplicate keys, last wins", r#"{"a":1,"a":2}"#),
        ("no HTML escaping", r#""<&>\u2028\u2029""#),
        ("escapes", r#""\u0041\n\u0001\u001f\"\\\/\b\f\r\t""#),
        ("surrogate pair", r#""\ud83d\ude00""#),
        ("non-ASCII keys sort by bytes", r#"{"é":1,"e":2,"z":3,"":0,"日本":4}"#),
        ("top-level number", "42"),
        ("top-level string", r#""just a string""#),
        ("empty containers", r#"[{},[],{"a":{}}]"#),
        ("invalid: empty input", ""),
        ("invalid: truncated", r#"{"a":1"#),
        ("invalid: trailing data", r#"{"a":1} x"#),
        ("invalid: trailing comma", "[1,]"),
        ("invalid: leading zero", "01"),
        ("invalid: single quotes", "{'a':1}"),
        ("invalid: bare word", "nul"),
        ("invalid: raw control character", "\"a\u{1}b\""),
    ]
    .into_iter()
    .map(|(label, doc)| (label.to_string(), doc.as_bytes().to_vec()))
    .collect();
    v.push(("invalid: bad UTF-8".into(), b"\"\xff\"".to_vec()));
    let deep = |n: usize| format!("{}1{}", r#"{"k":["#.repeat(n), "]}".repeat(n)).into_bytes();
    v.push(("deeply nested (2 × 499 levels)".into(), deep(499)));
    v.push((
        "nested at the limit (1,000 levels)".into(),
        format!("{}{}", "[".repeat(MAX_DEPTH), "]".repeat(MAX_DEPTH)).into_bytes(),
    ));
    v.push((
        "invalid: nested past the limit".into(),
        format!("{}{}", "[".repeat(MAX_DEPTH + 1), "]".repeat(MAX_DEPTH + 1)).into_bytes(),
    ));
    v.push(("invalid: 100,000 open brackets".into(), "[".repeat(100_000).into_bytes()));
    v.push(("large document (~1 MiB)".into(), json_document(1 << 20, 11)));
    v.push(("large document (~4 MiB)".into(), json_document(4 << 20, 12)));
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reference_follows_the_documented_rules() {
        let canon = |s: &str| String::from_utf8(reference(s.as_bytes()).unwrap()).unwrap();
        assert_eq!(canon(r#"{"b":1,"a":[true,false,null]}"#), r#"{"a":[true,false,null],"b":1}"#);
        assert_eq!(canon(r#"[1.000,-0,1E400,0.1e-7]"#), r#"[1.000,-0,1E400,0.1e-7]"#);
        assert_eq!(canon(r#"{"a":1,"a":2}"#), r#"{"a":2}"#);
        assert_eq!(canon(r#""<&>\u2028""#), "\"<&>\u{2028}\"");
        assert_eq!(canon(r#""\u0041\u0001\/""#), r#""A\u0001/""#);
        assert_eq!(canon(r#"{"é":1,"e":2}"#), r#"{"e":2,"é":1}"#);
        assert_eq!(canon(" [ 1E5 , { \"b\" : [ ] , \"a\" : \"x\" } ] "), r#"[1E5,{"a":"x","b":[]}]"#);
        assert!(reference(b"[1,]").is_err());
        assert!(reference(b"\"\xff\"").is_err());
    }

    #[test]
    fn reference_enforces_gos_depth_limit() {
        let doc = |n: usize| format!("{}{}", "[".repeat(n), "]".repeat(n)).into_bytes();
        assert!(reference(&doc(MAX_DEPTH)).is_ok());
        assert!(reference(&doc(MAX_DEPTH + 1)).unwrap_err().contains("max depth"));
        assert_eq!(nesting_depth(r#"{"[[[":["]"]}"#), 2);
    }

    #[test]
    fn the_generated_documents_are_valid_for_the_reference() {
        reference(&json_document(100_000, 1)).unwrap();
    }
}
