//! The normalizer component's typed checks: every export against the `unicode-normalization` crate on fixed
//! vectors and on generated text in all four forms, then the stress. `cargo xtask check --component normalizer`
//! builds this crate and runs it against every artifact.
//!
//! The texts hold characters both Unicode versions know (x/text's tables are older than the crate's), and at most
//! four combining marks in a row: past 30 x/text's norm inserts U+034F (the Stream-Safe Text Format of UAX #15),
//! which the crate's plain forms do not.

use std::process::ExitCode;
use std::time::Instant;

use anyhow::{Context, Result, ensure};
use pipeline::model::Stress;
use pipeline::status;
use pipeline::suite::{Phase, Stressor, Subject, Verdict, Window, pseudo_random};
use unicode_normalization::{UnicodeNormalization, is_nfc, is_nfd, is_nfkc, is_nfkd};
use wasmtime::Store;

// Typed bindings of the world, generated from its WIT when this crate compiles.
wasmtime::component::bindgen!({ world: "normalizer", path: "../../../wit/normalizer.wit" });

fn main() -> ExitCode {
    pipeline::suite::main(check)
}

const FORMS: [Form; 4] = [Form::Nfc, Form::Nfd, Form::Nfkc, Form::Nfkd];

/// The reference: `text` in `form`.
fn reference(text: &str, form: Form) -> String {
    match form {
        Form::Nfc => text.nfc().collect(),
        Form::Nfd => text.nfd().collect(),
        Form::Nfkc => text.nfkc().collect(),
        Form::Nfkd => text.nfkd().collect(),
    }
}

/// The reference: whether `text` is in `form`.
fn reference_is(text: &str, form: Form) -> bool {
    match form {
        Form::Nfc => is_nfc(text),
        Form::Nfd => is_nfd(text),
        Form::Nfkc => is_nfkc(text),
        Form::Nfkd => is_nfkd(text),
    }
}

/// Checks one artifact: the vectors and generated texts in every form, then the stress.
fn check(subject: &Subject) -> Result<Verdict> {
    let (host, label) = (subject.host, subject.label);
    let start = Instant::now();
    let (mut store, normalizer, window) =
        pipeline::suite::instantiate(host, subject.component(), |s, i| Normalizer::new(s, i))?;
    status::step("Instantiated", format!("{label} in {}", status::elapsed(start.elapsed())));

    let start = Instant::now();
    let mut texts: Vec<String> = VECTORS.iter().map(|s| s.to_string()).collect();
    texts.extend((0..24).map(|seed| text(1 + seed * 97, seed as u64)));
    for text in &texts {
        for form in FORMS {
            expect(&normalizer, &mut store, text, form)
                .with_context(|| format!("{form:?} of {} chars `{}`", text.chars().count(), preview(text)))?;
        }
    }
    for form in FORMS {
        let got = normalizer.call_normalize_all(&mut store, &texts, form).map_err(anyhow::Error::from)?;
        let want: Vec<String> = texts.iter().map(|t| reference(t, form)).collect();
        ensure!(got == want, "normalize-all of {} texts in {form:?} differs from the reference", texts.len());
    }
    status::step(
        "Vectors",
        format!(
            "{label}: {} texts × 4 forms (normalize, is-normalized, normalize-all) match in {}",
            texts.len(),
            status::elapsed(start.elapsed())
        ),
    );
    subject.stress(|| stress(&normalizer, &window, &mut store, subject.stress, label))
}

/// Normalizes `text` in `form` and asks whether it and the result are in `form`, each against the reference.
fn expect(normalizer: &Normalizer, store: &mut Store<host::State>, text: &str, form: Form) -> Result<()> {
    let got = normalizer.call_normalize(&mut *store, text, form).map_err(anyhow::Error::from)?;
    let want = reference(text, form);
    ensure!(got == want, "normalize returned `{}`, the reference `{}`", preview(&got), preview(&want));
    for t in [text, want.as_str()] {
        let got = normalizer.call_is_normalized(&mut *store, t, form).map_err(anyhow::Error::from)?;
        ensure!(got == reference_is(t, form), "is-normalized of `{}` returned {got}", preview(t));
    }
    Ok(())
}

/// Stress on one instance: texts of 64 KiB then 1 MiB normalized in turn in every form, each result compared
/// with the reference, each phase until the window answered the floor.
fn stress(
    normalizer: &Normalizer,
    window: &Window,
    store: &mut Store<host::State>,
    stress: Stress,
    label: &str,
) -> Result<Verdict> {
    let start = Instant::now();
    let mut stressor = Stressor::new(store, window, stress.sizing)?;
    let mut phases = Vec::new();
    for (what, bytes, phase) in [
        ("normalize 64 KiB", 64 << 10, Phase::sized(8, stress.calls_64k)),
        ("normalize 1 MiB", 1 << 20, Phase::sized(4, stress.calls_1m)),
    ] {
        // Two texts, so that consecutive calls with the same form differ.
        let texts = [text_of_bytes(bytes, 1), text_of_bytes(bytes, 2)];
        let wants: Vec<Vec<String>> = texts.iter().map(|t| FORMS.iter().map(|f| reference(t, *f)).collect()).collect();
        let calls = stressor.phase(store, what, phase, |store, call| {
            let (text, form) = (call % 2, (call / 2) % 4);
            let got = normalizer.call_normalize(&mut *store, &texts[text], FORMS[form]).map_err(anyhow::Error::from);
            let got = got.with_context(|| format!("stress: {what} call #{}", call + 1))?;
            ensure!(got == wants[text][form], "stress: {what} call #{} differs from the reference", call + 1);
            Ok(())
        })?;
        phases.push(format!("{calls} × {}", &what["normalize ".len()..]));
    }
    let tally = stressor.finish();
    let peak = store.data().memory().peak();
    status::step(
        "Stress",
        format!(
            "{label}: normalize {} in {}; linear memory peak {:.1} MiB; {}",
            phases.join(" + "),
            status::elapsed(start.elapsed()),
            peak as f64 / (1024.0 * 1024.0),
            tally.summary()
        ),
    );
    Ok(Verdict { stress_peak: Some(peak), window: Some(tally), stress_time: Some(start.elapsed()) })
}

/// Texts whose forms differ: composed and decomposed accents, canonical reordering of marks, Hangul, compatibility
/// characters (ligatures, fullwidth, superscripts, Roman numerals, CJK compatibility ideographs), and singletons.
const VECTORS: &[&str] = &[
    "",
    "plain ASCII",
    "e\u{301}",
    "é",
    "A\u{30a}ngstr\u{f6}m \u{212b}",
    "q\u{307}\u{323}",
    "q\u{323}\u{307}",
    "\u{1e0b}\u{323}",
    "\u{1100}\u{1161}\u{11a8} 한국어",
    "ﬁ ﬃ ｆｕｌｌ x² Ⅻ ㍿",
    "\u{f900}\u{2f800}",
    "\u{2126}\u{212a}",
    "Việt Nam, Ελληνικά, Кириллица",
    "\u{301}leading mark",
];

/// The characters generated text is made of: ASCII, Latin with accents, combining marks, Greek, Cyrillic, Hangul
/// syllables and jamo, compatibility characters.
const POOL: &[char] = &[
    'a', 'e', 'o', 'A', 'Z', ' ', '\n', '.', 'é', 'Å', 'ñ', 'ü', 'ø', 'ß', 'ǅ', 'ṩ', 'ǖ', 'ά', 'ϓ', 'й', 'Ё', '가',
    '힣', '\u{1100}', '\u{1161}', '\u{11a8}', 'ﬁ', 'ﬄ', 'Ａ', '｡', '²', '½', 'Ⅷ', '㍿', '\u{f900}', '\u{212b}',
    '\u{2126}', '…',
];

/// Combining marks of several classes (230 above, 220 below, 202 attached, 1 overlay).
const MARKS: &[char] = &['\u{301}', '\u{300}', '\u{308}', '\u{323}', '\u{327}', '\u{334}', '\u{307}', '\u{345}'];

/// Generated text of `chars` characters from [`POOL`], with runs of up to four combining marks.
fn text(chars: usize, seed: u64) -> String {
    let noise = pseudo_random(chars * 2 + 8, seed);
    let mut out = String::new();
    for i in 0..chars {
        let n = noise[i * 2] as usize;
        out.push(POOL[n % POOL.len()]);
        let marks = noise[i * 2 + 1] as usize;
        if marks.is_multiple_of(3) {
            for k in 0..=(marks / 3) % 4 {
                out.push(MARKS[(marks + k * 5) % MARKS.len()]);
            }
        }
    }
    out
}

/// Generated text of about `bytes` bytes.
fn text_of_bytes(bytes: usize, seed: u64) -> String {
    let mut out = text(bytes / 3, seed);
    while out.len() > bytes {
        out.pop();
    }
    out
}

/// The first characters of `text`, escaped, for an error message.
fn preview(text: &str) -> String {
    let head: String = text.chars().take(40).collect();
    let more = if text.chars().count() > 40 { "…" } else { "" };
    format!("{}{more}", head.escape_unicode())
}
