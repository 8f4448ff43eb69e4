//! The reporter component's typed checks. The reporter ships composed with the textkit component (its component.toml),
//! so what is checked here is the composition: one component whose Go module calls another Go module inside it.
//! Every export is called through typed bindings and compared with the textkit suite's Rust reference applied as
//! wit/textkit.wit says the reporter applies textkit (its parts' reference: the one suite this suite uses), then
//! a stress of large texts on one instance in which every value crosses between the two Go heaps both ways:
//! host → reporter (reporter's `cabi_realloc`), reporter → textkit (textkit's), and each result back the same
//! way, nested lists of strings included, so the GC runs in both heaps while the other side is placing values.

use std::process::ExitCode;
use std::time::Instant;

use anyhow::{Context, Result};
use pipeline::model::Sizing;
use pipeline::status;
use pipeline::suite::{Phase, Stressor, Subject, Verdict, Window};
use textkit_suite::{expect_eq, random_text, reference};
use wasmtime::Store;

mod bindings {
    wasmtime::component::bindgen!({
        world: "reporter",
        path: "../../../wit/textkit.wit",
        additional_derives: [PartialEq, Eq],
    });
}

use bindings::Reporter;
use bindings::gowasm::textkit::analyze::WordCount;
use bindings::gowasm::textkit::transform::LineEnding;

fn main() -> ExitCode {
    pipeline::suite::main(check)
}

const ENDINGS: [LineEnding; 3] = [LineEnding::Lf, LineEnding::Crlf, LineEnding::Cr];

fn check(subject: &Subject) -> Result<Verdict> {
    let component = subject.component();
    let start = Instant::now();
    let (mut store, reporter, window) =
        pipeline::suite::instantiate(subject.host, component, |s, i| Reporter::new(s, i))
            .context("a composed reporter imports only WASI")?;
    status::step("Instantiated", format!("{} in {}", subject.label, status::elapsed(start.elapsed())));

    let start = Instant::now();
    let texts = vectors();
    for text in &texts {
        for top in [0, 1, 3, u32::MAX] {
            compare(&reporter, &mut store, text, top).with_context(|| format!("vector {text:?}, top {top}"))?;
        }
    }
    status::step(
        "Vectors",
        format!("{}: {} texts × 3 exports match in {}", subject.label, texts.len(), status::elapsed(start.elapsed())),
    );
    subject.stress(|| stress(&reporter, &window, &mut store, subject))
}

/// The three exports on `text`, each against the reference.
fn compare(reporter: &Reporter, store: &mut Store<host::State>, text: &str, top: u32) -> Result<()> {
    let reporter = reporter.gowasm_textkit_reporting();
    expect_eq("report", reporter.call_report(&mut *store, text, top), want::report(text, top))?;
    expect_eq("lower-lines", reporter.call_lower_lines(&mut *store, text), want::lower_lines(text))?;
    for ending in ENDINGS {
        let got = reporter.call_reflow(&mut *store, text, ending);
        expect_eq("reflow", got, want::reflow(text, ending)).with_context(|| format!("ending {ending:?}"))?;
    }
    Ok(())
}

/// What the world says each export returns: the textkit reference, applied as the reporter applies textkit.
mod want {
    use textkit_suite::bindings::exports::gowasm::textkit::transform as textkit;

    use super::bindings::exports::gowasm::textkit::reporting::Summary;
    use super::*;

    fn ending(ending: LineEnding) -> textkit::LineEnding {
        match ending {
            LineEnding::Lf => textkit::LineEnding::Lf,
            LineEnding::Crlf => textkit::LineEnding::Crlf,
            LineEnding::Cr => textkit::LineEnding::Cr,
        }
    }

    pub fn report(text: &str, top: u32) -> Summary {
        let (lines, words, characters) = reference::counts(text);
        let lowered = reference::clean(text, textkit::CleanOptions::LOWERCASE_ASCII);
        let frequencies = reference::word_frequencies(&lowered).into_iter().take(top as usize);
        Summary {
            lines,
            words,
            characters,
            top: frequencies.map(|w| WordCount { word: w.word, count: w.count }).collect(),
            longest: reference::longest_word(text).map(|t| t.text),
        }
    }

    pub fn lower_lines(text: &str) -> Vec<Vec<String>> {
        let options = textkit::CleanOptions::LOWERCASE_ASCII | textkit::CleanOptions::STRIP_PUNCTUATION;
        reference::line_words(&reference::clean(text, options))
    }

    pub fn reflow(text: &str, line_ending: LineEnding) -> String {
        reference::join_lines(&reference::line_words(text), " ", ending(line_ending))
    }
}

/// Fixed texts: empty, punctuation only, every line break, case to fold, ties in frequency, non-ASCII words and
/// spaces, and pseudo-random text of every kind of character the textkit suite draws from.
fn vectors() -> Vec<String> {
    let mut out: Vec<String> = [
        "",
        " ",
        "...!!!",
        "The cat and the Hat. THE end",
        "a\r\nb\rc\n\nd\n",
        "  Grüße, мир! 東京\tx_y  ",
        "b a b a c",
        "\u{a0}\u{3000}word\u{2028}next\u{85}",
        "🎉🎉 party 🎉",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    for seed in 0..4 {
        out.push(random_text(500 + seed as usize * 211, 700 + seed));
    }
    out
}

/// Stress on one instance: calls with 64 KiB of text until the window answered the floor (at least 30, at most
/// `calls_64k / 20`), then `calls_1m / 50` (at least 3; with floor 0, `calls_64k / 100` and `calls_1m / 50`) with
/// 1 MiB (256 KiB on TinyGo), the three exports in turn, every result compared with the reference. The window
/// counted is the reporter's own (its `cabi_realloc` takes the host's text and textkit's results); textkit's,
/// inside the composition, is not exported. Each call moves its text into the
/// reporter, from it into textkit two or three times, and each import's result (strings, lists of records, nested
/// lists of strings) back into the reporter before the export's result comes out to the host. Returns the
/// linear-memory peak (both modules' memories).
fn stress(reporter: &Reporter, window: &Window, store: &mut Store<host::State>, subject: &Subject) -> Result<Verdict> {
    let (stress, label) = (subject.stress, subject.label);
    let begin = Instant::now();
    let mut stressor = Stressor::new(store, window, stress.sizing)?;
    let reporter = reporter.gowasm_textkit_reporting();
    // TinyGo grows its heap a little at a time, collecting at each step: the first 1 MiB call on a fresh
    // instance took 9–10 s (at the 10 s call deadline) where later ones took 0.1 s, so its large phase is 256 KiB.
    let big = if subject.variant.build.tinygo.is_some() { 160 * 1024 } else { 640 * 1024 };
    let mut phases = Vec::new();
    let small = if stress.sizing == Sizing::Fixed {
        Phase::fixed(stress.calls_64k / 100, stress.calls_64k / 100)
    } else {
        Phase::sized(30, stress.calls_64k / 20)
    };
    let large = Phase::fixed((stress.calls_1m / 50).max(3), (stress.calls_1m / 50).max(3));
    for (shape, chars, seed) in [(small, 40 * 1024, 1), (large, big, 2)] {
        let start = Instant::now();
        // Random text of `chars` characters is longer than that many bytes: multi-byte characters.
        let text = random_text(chars, 900 + seed);
        let report = want::report(&text, 50);
        let lines = want::lower_lines(&text);
        let reflowed = want::reflow(&text, LineEnding::Crlf);
        let phase = format!("report, lower-lines, reflow {} KiB", text.len() / 1024);
        let shape = Phase { least: shape.least.max(3), most: shape.most.max(3), ..shape };
        let count = stressor.phase(store, &phase, shape, |store, call| {
            let what = || format!("stress: call #{} with {} bytes of text", call + 1, text.len());
            match call % 3 {
                0 => expect_eq("report", reporter.call_report(&mut *store, &text, 50), report.clone()),
                1 => expect_eq("lower-lines", reporter.call_lower_lines(&mut *store, &text), lines.clone()),
                _ => expect_eq("reflow", reporter.call_reflow(&mut *store, &text, LineEnding::Crlf), reflowed.clone()),
            }
            .with_context(what)
        })?;
        phases.push(format!("{count} × {} KiB in {}", text.len() / 1024, status::elapsed(start.elapsed())));
    }
    let tally = stressor.finish();
    let peak = store.data().memory().peak();
    status::step(
        "Stress",
        format!(
            "{label}: report, lower-lines and reflow in turn, {}, each text crossing into textkit and back; linear \
             memory peak {:.1} MiB; {}",
            phases.join(", "),
            peak as f64 / (1024.0 * 1024.0),
            tally.summary()
        ),
    );
    Ok(Verdict { stress_peak: Some(peak), window: Some(tally), stress_time: Some(begin.elapsed()) })
}
