//! The textkit component's typed checks: every export called through typed bindings and compared with the Rust
//! reference below on fixed vectors (non-ASCII, empty, whitespace-only, every line break), then a stress of large
//! strings, lists of records and nested lists on one instance. The reference implements the rules written in
//! wit/textkit.wit; the Go side is go/textkit/textkit. `cargo test` also runs it against random Unicode input with
//! proptest (tests below). The reporter's suite, a composition of textkit, uses this library's reference.

use std::fmt::Debug;
use std::time::Instant;

use anyhow::{Context, Result, ensure};
use pipeline::model::Stress;
use pipeline::status;
use pipeline::suite::{Phase, Stressor, Subject, Verdict, Window, pseudo_random};
use wasmtime::Store;
use wasmtime::component::Component;

/// Typed bindings of the `textkit` world: records, variants, enums and flags become Rust types under
/// `exports::gowasm::textkit::*`, comparable with `==`.
pub mod bindings {
    wasmtime::component::bindgen!({
        world: "textkit",
        path: "../../../wit/textkit.wit",
        additional_derives: [PartialEq, Eq],
    });
}

pub use bindings::Textkit;
use bindings::exports::gowasm::textkit::analyze::{Token, WordCount};
use bindings::exports::gowasm::textkit::config::{Entry, ParseError, Value};
use bindings::exports::gowasm::textkit::transform::{CleanOptions, LineEnding};

/// The check of one artifact (the binary's `main` hands it to `pipeline::suite::main`).
pub fn check(subject: &Subject) -> Result<Verdict> {
    run(subject, subject.component())
}

/// Returns the stress's linear-memory peak and what it saw of the window.
fn run(subject: &Subject, component: &Component) -> Result<Verdict> {
    let (host, stress, label) = (subject.host, subject.stress, subject.label);
    let start = Instant::now();
    let (mut store, textkit, window) = pipeline::suite::instantiate(host, component, |s, i| Textkit::new(s, i))?;
    status::step("Instantiated", format!("{label} in {}", status::elapsed(start.elapsed())));

    let start = Instant::now();
    let texts = vectors();
    for text in &texts {
        compare_all(&textkit, &mut store, text).with_context(|| format!("vector {text:?}"))?;
    }
    let documents = config_vectors();
    for doc in &documents {
        expect_eq("parse", textkit.gowasm_textkit_config().call_parse(&mut store, doc), reference::parse(doc))
            .with_context(|| format!("config vector {doc:?}"))?;
    }
    for lines in nested_vectors() {
        for ending in ENDINGS {
            for sep in ["", " ", "→", "\r\n"] {
                let got = textkit.gowasm_textkit_transform().call_join_lines(&mut store, &lines, sep, ending);
                expect_eq("join-lines", got, reference::join_lines(&lines, sep, ending))
                    .with_context(|| format!("join-lines {lines:?} with {sep:?} and {ending:?}"))?;
            }
        }
    }
    status::step(
        "Vectors",
        format!(
            "{label}: {} texts × 10 functions, {} documents, {} nested lists match in {}",
            texts.len(),
            documents.len(),
            nested_vectors().len(),
            status::elapsed(start.elapsed())
        ),
    );
    subject.stress(|| run_stress(&textkit, &window, &mut store, stress, label))
}

/// The line endings, in WIT order.
const ENDINGS: [LineEnding; 3] = [LineEnding::Lf, LineEnding::Crlf, LineEnding::Cr];

/// Every combination of the four clean options.
fn all_clean_options() -> impl Iterator<Item = CleanOptions> {
    let each = [
        CleanOptions::STRIP_PUNCTUATION,
        CleanOptions::LOWERCASE_ASCII,
        CleanOptions::COLLAPSE_WHITESPACE,
        CleanOptions::TRIM,
    ];
    (0..16u8).map(move |bits| {
        each.iter()
            .enumerate()
            .filter(|(i, _)| bits & (1 << i) != 0)
            .fold(CleanOptions::empty(), |acc, (_, f)| acc | *f)
    })
}

/// Calls every function that takes one text and compares each result with the reference.
pub fn compare_all(textkit: &Textkit, store: &mut Store<host::State>, text: &str) -> Result<()> {
    let analyze = textkit.gowasm_textkit_analyze();
    expect_eq("tokenize", analyze.call_tokenize(&mut *store, text), reference::tokenize(text))?;
    expect_eq("word-frequencies", analyze.call_word_frequencies(&mut *store, text), reference::word_frequencies(text))?;
    expect_eq("line-words", analyze.call_line_words(&mut *store, text), reference::line_words(text))?;
    expect_eq("counts", analyze.call_counts(&mut *store, text), reference::counts(text))?;
    expect_eq("longest-word", analyze.call_longest_word(&mut *store, text), reference::longest_word(text))?;
    let transform = textkit.gowasm_textkit_transform();
    for ending in ENDINGS {
        let got = transform.call_normalize_line_endings(&mut *store, text, ending);
        expect_eq("normalize-line-endings", got, reference::normalize_line_endings(text, ending))
            .with_context(|| format!("ending {ending:?}"))?;
    }
    for options in all_clean_options() {
        let got = transform.call_clean(&mut *store, text, options);
        expect_eq("clean", got, reference::clean(text, options)).with_context(|| format!("options {options:?}"))?;
    }
    expect_eq("parse", textkit.gowasm_textkit_config().call_parse(&mut *store, text), reference::parse(text))?;
    expect_eq("measure", textkit.call_measure(&mut *store, text), reference::measure(text))?;
    Ok(())
}

/// `got` (a call's result) equals `want`, or an error naming `function` with both, shortened (the reporter's
/// suite uses it too).
pub fn expect_eq<T: PartialEq + Debug>(function: &str, got: wasmtime::Result<T>, want: T) -> Result<()> {
    let got = got.map_err(anyhow::Error::from).with_context(|| format!("{function} failed"))?;
    ensure!(got == want, "{function}: got {}, want {}", preview(&got), preview(&want));
    Ok(())
}

fn preview(value: &impl Debug) -> String {
    let text = format!("{value:?}");
    match text.char_indices().nth(300) {
        Some((cut, _)) => format!("{}… ({} bytes of Debug output)", &text[..cut], text.len()),
        None => text,
    }
}

/// Fixed texts: empty, whitespace and punctuation only, every line break, non-ASCII words and spaces.
fn vectors() -> Vec<String> {
    let mut out: Vec<String> = [
        "",
        " ",
        "a",
        "hello world",
        "  Grüße, мир! 東京\tx_y",
        "\r\n\r\n",
        "a\r\nb\rc\n\nd\n",
        "one\r",
        "\u{a0}\u{3000}\u{2028}\u{85}word\u{2029}",
        "...!!!,,,",
        "e\u{301}te\u{301} cafe\u{301}",
        "🎉🎉 party 🎉",
        "The the THE the, the.",
        "x".repeat(5000).as_str(),
        "# comment\nname = Zoë \n[server]\nport=8080\ndebug = false\n",
        "a = 1\n[s]\na = 2\na = 3",
        "Σίσυφος ΟΔΥΣΣΕΥΣ İstanbul ǅemal",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    for seed in 0..8 {
        out.push(random_text(300 + seed as usize * 97, seed));
    }
    out
}

/// Fixed configuration documents: each error kind, values of each type, sections, comments and line breaks.
fn config_vectors() -> Vec<String> {
    [
        "",
        "# only a comment",
        "k=v",
        "k = true\nf=false\nt = TRUE",
        "n = 9223372036854775807\nm = -9223372036854775808\no = 9223372036854775808\np = -\nq = +5\nr = -0\ns = 007",
        "empty =\n  spaced  =  value with  spaces  ",
        "a = 1 = 2",
        "[ main ]\nx=1\n[other]\nx=2\n[main]\nx=3",
        "a = 1\r\nb = 2\rc = 3",
        "no equals here",
        "  = value",
        "[unclosed",
        "[]",
        "[ \t]",
        "ok = 1\nok = 2",
        "[s]\nk=1\n\n# c\nk = 2",
        "clé = naïve\n[节]\n键 = 值",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

/// Fixed nested lists for join-lines.
fn nested_vectors() -> Vec<Vec<Vec<String>>> {
    let own = |v: &[&[&str]]| v.iter().map(|l| l.iter().map(|s| s.to_string()).collect()).collect();
    vec![
        own(&[]),
        own(&[&[]]),
        own(&[&[], &[]]),
        own(&[&["a"]]),
        own(&[&["one", "two"], &[], &["drei", "четыре", "五"]]),
        own(&[&["", ""], &[""]]),
    ]
}

/// Deterministic text of `chars` characters drawn from words, whitespace of every kind, punctuation, line breaks
/// and multi-byte characters.
pub fn random_text(chars: usize, seed: u64) -> String {
    const POOL: &[&str] = &[
        "a", "b", "Z", "é", "ß", "м", "и", "р", "東", "京", "🎉", "\u{301}", "0", "9", " ", " ", " ", "\t", "\n", "\r",
        "\r\n", "\u{a0}", "\u{3000}", "\u{2028}", ".", ",", "!", "_", "=", "[", "]", "#", "-", "«", "»", "\u{feff}",
    ];
    pseudo_random(chars, seed).iter().map(|b| POOL[*b as usize % POOL.len()]).collect()
}

/// Stress on one instance: large texts lowered through `cabi_realloc` and large lists of records lifted back,
/// then nested lists of many strings lowered (one `cabi_realloc` per string and per inner list), each result
/// compared with the reference; until the window answered the floor, within `calls_64k / 5` calls.
fn run_stress(
    textkit: &Textkit,
    window: &Window,
    store: &mut Store<host::State>,
    stress: Stress,
    label: &str,
) -> Result<Verdict> {
    let start = Instant::now();
    let mut stressor = Stressor::new(store, window, stress.sizing)?;
    let text = random_text(16 * 1024, 99);
    let want_tokens = reference::tokenize(&text);
    let want_lines = reference::line_words(&text);
    let want_joined = reference::join_lines(&want_lines, " ", LineEnding::Crlf);
    let mut lowered = 0usize;
    let shape = Phase::sized(100, stress.calls_64k / 5);
    let calls = stressor.phase(store, "tokenize + join-lines 16 KiB", shape, |store, call| {
        let what = || format!("stress: call #{} with {} bytes of text", call + 1, text.len());
        if call % 2 == 0 {
            let got = textkit.gowasm_textkit_analyze().call_tokenize(&mut *store, &text);
            expect_eq("tokenize", got, want_tokens.clone()).with_context(what)?;
            lowered += text.len();
            Ok(())
        } else {
            let got =
                textkit.gowasm_textkit_transform().call_join_lines(&mut *store, &want_lines, " ", LineEnding::Crlf);
            expect_eq("join-lines", got, want_joined.clone()).with_context(what)?;
            lowered += want_joined.len();
            Ok(())
        }
    })?;
    let tally = stressor.finish();
    let peak = store.data().memory().peak();
    status::step(
        "Stress",
        format!(
            "{label}: {calls} calls alternating tokenize ({} tokens back) and join-lines ({} lines, {} strings in), {:.0} MiB lowered in {}; linear memory peak {:.1} MiB; {}",
            want_tokens.len(),
            want_lines.len(),
            want_lines.iter().map(Vec::len).sum::<usize>(),
            lowered as f64 / (1024.0 * 1024.0),
            status::elapsed(start.elapsed()),
            peak as f64 / (1024.0 * 1024.0),
            tally.summary()
        ),
    );
    Ok(Verdict { stress_peak: Some(peak), window: Some(tally), stress_time: Some(start.elapsed()) })
}

/// The rules of wit/textkit.wit in Rust, written independently of the Go code.
pub mod reference {
    use std::collections::BTreeMap;

    use super::*;

    fn is_word_char(c: char) -> bool {
        !c.is_whitespace() && !c.is_ascii_punctuation()
    }

    fn len32(n: usize) -> u32 {
        u32::try_from(n).expect("test texts are shorter than 4 GiB")
    }

    pub fn tokenize(text: &str) -> Vec<Token> {
        let mut out = Vec::new();
        let mut start = None;
        for (i, c) in text.char_indices().chain([(text.len(), ' ')]) {
            match (is_word_char(c) && i < text.len(), start) {
                (true, None) => start = Some(i),
                (false, Some(s)) => {
                    out.push(Token { text: text[s..i].to_string(), start: len32(s), end: len32(i) });
                    start = None;
                }
                _ => {}
            }
        }
        out
    }

    pub fn word_frequencies(text: &str) -> Vec<WordCount> {
        let mut counts: BTreeMap<String, u32> = BTreeMap::new();
        for token in tokenize(text) {
            *counts.entry(token.text).or_default() += 1;
        }
        let mut out: Vec<_> = counts.into_iter().map(|(word, count)| WordCount { word, count }).collect();
        // Stable sort on a byte-ordered list: ties stay in increasing byte order.
        out.sort_by_key(|w| std::cmp::Reverse(w.count));
        out
    }

    pub fn lines(text: &str) -> Vec<&str> {
        let mut out = Vec::new();
        let mut rest = text;
        while !rest.is_empty() {
            match rest.find(['\r', '\n']) {
                None => {
                    out.push(rest);
                    rest = "";
                }
                Some(at) => {
                    out.push(&rest[..at]);
                    let skip = if rest[at..].starts_with("\r\n") { 2 } else { 1 };
                    rest = &rest[at + skip..];
                }
            }
        }
        out
    }

    pub fn line_words(text: &str) -> Vec<Vec<String>> {
        lines(text).into_iter().map(|line| tokenize(line).into_iter().map(|t| t.text).collect()).collect()
    }

    pub fn counts(text: &str) -> (u32, u32, u32) {
        (len32(lines(text).len()), len32(tokenize(text).len()), len32(text.chars().count()))
    }

    pub fn longest_word(text: &str) -> Option<Token> {
        let mut best: Option<(usize, Token)> = None;
        for token in tokenize(text) {
            let n = token.text.chars().count();
            if best.as_ref().is_none_or(|(m, _)| n > *m) {
                best = Some((n, token));
            }
        }
        best.map(|(_, t)| t)
    }

    fn ending_text(ending: LineEnding) -> &'static str {
        match ending {
            LineEnding::Lf => "\n",
            LineEnding::Crlf => "\r\n",
            LineEnding::Cr => "\r",
        }
    }

    pub fn normalize_line_endings(text: &str, ending: LineEnding) -> String {
        let mut out = lines(text).join(ending_text(ending));
        if text.ends_with(['\r', '\n']) {
            out.push_str(ending_text(ending));
        }
        out
    }

    pub fn clean(text: &str, options: CleanOptions) -> String {
        let has = |flag: CleanOptions| options & flag == flag;
        let mut text = text.to_string();
        if has(CleanOptions::STRIP_PUNCTUATION) {
            text.retain(|c| !c.is_ascii_punctuation());
        }
        if has(CleanOptions::LOWERCASE_ASCII) {
            text.make_ascii_lowercase();
        }
        if has(CleanOptions::COLLAPSE_WHITESPACE) {
            let mut out = String::with_capacity(text.len());
            for c in text.chars() {
                if !c.is_whitespace() {
                    out.push(c);
                } else if !out.ends_with(' ') {
                    out.push(' ');
                }
            }
            text = out;
        }
        if has(CleanOptions::TRIM) {
            text = text.trim().to_string();
        }
        text
    }

    pub fn join_lines(lines: &[Vec<String>], separator: &str, ending: LineEnding) -> String {
        lines.iter().map(|words| words.join(separator)).collect::<Vec<_>>().join(ending_text(ending))
    }

    fn typed(text: &str) -> Value {
        match text {
            "true" => return Value::Boolean(true),
            "false" => return Value::Boolean(false),
            _ => {}
        }
        let digits = text.strip_prefix('-').unwrap_or(text);
        if !digits.is_empty()
            && digits.bytes().all(|b| b.is_ascii_digit())
            && let Ok(n) = text.parse::<i64>()
        {
            return Value::Integer(n);
        }
        Value::Text(text.to_string())
    }

    pub fn parse(text: &str) -> Result<Vec<Entry>, ParseError> {
        let mut out = Vec::new();
        let mut section: Option<String> = None;
        let mut seen = std::collections::HashSet::new();
        for (i, line) in lines(text).into_iter().enumerate() {
            let n = len32(i + 1);
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            if let Some(header) = line.strip_prefix('[') {
                let name = header.strip_suffix(']').map(str::trim).filter(|name| !name.is_empty());
                section = Some(name.ok_or(ParseError::BadSection(n))?.to_string());
                seen.clear();
                continue;
            }
            let (key, value) = line.split_once('=').ok_or(ParseError::MissingEquals(n))?;
            let key = key.trim();
            if key.is_empty() {
                return Err(ParseError::EmptyKey(n));
            }
            if !seen.insert(key.to_string()) {
                return Err(ParseError::DuplicateKey((n, key.to_string())));
            }
            out.push(Entry { section: section.clone(), key: key.to_string(), value: typed(value.trim()) });
        }
        Ok(out)
    }

    pub fn measure(text: &str) -> (u32, u32) {
        (len32(text.chars().count()), len32(text.len()))
    }
}

#[cfg(test)]
mod tests {
    use host::{Host, HostConfig};
    use proptest::prelude::*;
    use proptest::test_runner::{Config, TestCaseError, TestRunner};

    use pipeline::model::{self, Component};
    use pipeline::stages::componentize;
    use pipeline::testing::{go126_core_module, root};

    use super::*;

    fn textkit() -> (std::path::PathBuf, Component) {
        let root = root();
        let component = model::select_components(&root, &["textkit".to_string()]).unwrap().remove(0);
        (root, component)
    }

    /// The textkit core module (go1.26), built once per test process.
    fn core_module() -> Vec<u8> {
        static CORE: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
        CORE.get_or_init(|| go126_core_module(&textkit().1)).clone()
    }

    /// The textkit component (go1.26, hardened).
    fn component_bytes() -> Vec<u8> {
        let (root, component) = textkit();
        componentize::encode(&root, &component, &core_module()).unwrap()
    }

    /// Runs `cases` random inputs from `strategy` through `check` on one instance of the component.
    fn on_one_instance<S: Strategy>(
        cases: u32,
        strategy: S,
        check: impl Fn(&Textkit, &mut Store<host::State>, S::Value) -> Result<()>,
    ) {
        let host = Host::new(&HostConfig::default()).unwrap();
        let loaded = host.load_bytes(&component_bytes()).unwrap();
        let mut store = host.store();
        let textkit = Textkit::instantiate(&mut store, &loaded, host.linker()).unwrap();
        let store = std::cell::RefCell::new(store);
        // No failure file: a failing case is printed (shrunk), and the fixed vectors are where it then belongs.
        let mut runner = TestRunner::new(Config { cases, failure_persistence: None, ..Config::default() });
        runner
            .run(&strategy, |value| {
                check(&textkit, &mut store.borrow_mut(), value).map_err(|e| TestCaseError::fail(format!("{e:#}")))
            })
            .unwrap();
    }

    /// Characters the rules treat specially, mixed into random text far more often than chance would.
    const SPECIAL: &[char] = &[
        ' ', '\t', '\n', '\r', '\u{a0}', '\u{85}', '\u{2028}', '\u{3000}', '\u{feff}', '.', ',', '_', '#', '=', '[',
        ']', '-', '0', '7', 'A', 'z', 'é', 'ß', 'İ', 'Σ', '東', '🎉', '\u{301}',
    ];

    /// Random Unicode text: any scalar value (proptest favours the edges of the ranges), or a special one.
    fn unicode_text() -> impl Strategy<Value = String> {
        let ch = prop_oneof![any::<char>(), proptest::sample::select(SPECIAL)];
        proptest::collection::vec(ch, 0..80).prop_map(String::from_iter)
    }

    #[test]
    #[ignore = "slow tier: builds components with Go (`cargo xtask test` runs it)"]
    fn every_export_matches_the_reference_on_random_unicode() {
        on_one_instance(400, unicode_text(), |textkit, store, text| compare_all(textkit, store, &text));
    }

    #[test]
    #[ignore = "slow tier: builds components with Go (`cargo xtask test` runs it)"]
    fn parse_matches_the_reference_on_random_documents() {
        let piece = proptest::sample::select(
            &[
                "[",
                "]",
                "=",
                " = ",
                "#",
                "\n",
                "\r\n",
                "\r",
                " ",
                "\t",
                "key",
                "k2",
                "true",
                "false",
                "-",
                "12",
                "9223372036854775808",
                "+3",
                "é",
                "节",
                "",
            ][..],
        );
        let document = proptest::collection::vec(piece, 0..40).prop_map(|p| p.concat());
        on_one_instance(600, document, |textkit, store, doc| {
            let got = textkit.gowasm_textkit_config().call_parse(&mut *store, &doc);
            expect_eq("parse", got, reference::parse(&doc)).with_context(|| format!("document {doc:?}"))
        });
    }

    #[test]
    #[ignore = "slow tier: builds components with Go (`cargo xtask test` runs it)"]
    fn join_lines_matches_the_reference_on_random_nested_lists() {
        let lines = proptest::collection::vec(proptest::collection::vec(unicode_text(), 0..6), 0..6);
        let ending = proptest::sample::select(&ENDINGS[..]);
        on_one_instance(300, (lines, unicode_text(), ending), |textkit, store, (lines, sep, ending)| {
            let got = textkit.gowasm_textkit_transform().call_join_lines(&mut *store, &lines, &sep, ending);
            expect_eq("join-lines", got, reference::join_lines(&lines, &sep, ending))
        });
    }

    /// Trap 2 is not about byte lists only: nested lists of strings, lowered with one `cabi_realloc` per string,
    /// trap the unhardened component quickly; the hardened one survives the stress, results all correct.
    #[test]
    #[ignore = "slow tier: builds components with Go (`cargo xtask test` runs it)"]
    fn unhardened_textkit_traps_on_nested_lists_and_hardened_survives() {
        let (root, component) = textkit();
        let core = core_module();
        let host = Host::new(&HostConfig::default()).unwrap();
        let lines = reference::line_words(&random_text(16 * 1024, 5));
        let want = reference::join_lines(&lines, " ", LineEnding::Lf);

        let unhardened = componentize::encode_module(&root, &component, core.clone(), false).unwrap();
        let loaded = host.load_bytes(&unhardened).unwrap();
        let mut store = host.store();
        let textkit = Textkit::instantiate(&mut store, &loaded, host.linker()).unwrap();
        let transform = textkit.gowasm_textkit_transform();
        let trap =
            (1..=1_000).find_map(|call| match transform.call_join_lines(&mut store, &lines, " ", LineEnding::Lf) {
                Ok(got) => {
                    assert_eq!(got, want, "call #{call}");
                    None
                }
                Err(e) => Some((call, format!("{e:?}"))),
            });
        let (call, message) =
            trap.expect("the unhardened component survived 1,000 calls: is the stress still meaningful?");
        assert!(message.contains("cannot leave component instance"), "call #{call} failed differently: {message}");
        eprintln!(
            "unhardened textkit trapped at call #{call} ({} strings per call)",
            lines.iter().map(Vec::len).sum::<usize>()
        );

        let loaded = host.load_bytes(&component_bytes()).unwrap();
        let mut store = host.store();
        let instance = host.linker().instantiate(&mut store, &loaded).unwrap();
        let textkit = Textkit::new(&mut store, &instance).unwrap();
        let window = Window::of(&mut store, &instance).unwrap();
        run_stress(&textkit, &window, &mut store, Stress::fixed(5 * (4 * call).max(500), 0), "test").unwrap();
    }
}
