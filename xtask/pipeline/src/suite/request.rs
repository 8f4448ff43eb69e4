//! What passes between the check stage and a suite binary: the [`Request`] as command-line arguments (so that a
//! person can run the same check by hand) and the [`Outcome`] as a JSON file the binary writes.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, anyhow, bail};
use serde::{Deserialize, Serialize};

use super::{CHECK_SEED, Verdict};
use crate::model::{self, Sizing, Stress, Variant};
use crate::util;

/// The guest's randomness in a check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Seed {
    /// Every generator seeded from this number ([`CHECK_SEED`] in a normal check).
    Fixed(u64),
    /// The system's entropy, as a served instance gets (`check --repeat N --entropy`).
    Entropy,
}

impl Seed {
    /// The seed, for `HostConfig::random_seed`.
    pub fn fixed(self) -> Option<u64> {
        match self {
            Seed::Fixed(seed) => Some(seed),
            Seed::Entropy => None,
        }
    }
}

/// One check a suite binary runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// The component file.
    pub component: PathBuf,
    pub variant: Variant,
    /// `<component> <variant>`, for status lines and errors.
    pub label: String,
    /// How hard to stress, already adjusted to the variant.
    pub stress: Stress,
    /// The artifact of the same program whose stress passed (see `Subject::stressed_as`).
    pub stressed_as: Option<String>,
    pub seed: Seed,
    /// The component compiled for the checks' host by the check stage, to load instead of compiling it again.
    pub precompiled: Option<PathBuf>,
    /// Where to write the [`Outcome`].
    pub outcome: Option<PathBuf>,
}

impl Request {
    /// What the binary says about its command line when it cannot read it.
    pub const USAGE: &str = "usage: <suite> <component.wasm> [--variant NAME] [--label TEXT] [--stress-floor N] \
                             [--stress-64k N] [--stress-1m N] [--stressed-as LABEL] [--seed N | --entropy] \
                             [--precompiled FILE] [--outcome FILE]\n\
                             Without --variant, the file's name says it (target/dist/<component>/<variant>.wasm).";

    /// A request for `component` as `variant` with everything else as a normal check has it.
    pub fn new(component: &Path, variant: &Variant, label: &str) -> Request {
        Request {
            component: component.to_path_buf(),
            variant: variant.clone(),
            label: label.to_string(),
            stress: Stress::FULL.for_variant(variant),
            stressed_as: None,
            seed: Seed::Fixed(CHECK_SEED),
            precompiled: None,
            outcome: None,
        }
    }

    /// The command-line arguments that [`Request::from_args`] reads back as this request.
    pub fn to_args(&self) -> Vec<OsString> {
        let mut args: Vec<OsString> = vec![self.component.clone().into()];
        let mut flag = |name: &str, value: OsString| {
            args.push(format!("--{name}").into());
            args.push(value);
        };
        flag("variant", self.variant.name().into());
        flag("label", self.label.clone().into());
        flag("stress-floor", self.stress.sizing.floor().to_string().into());
        flag("stress-64k", self.stress.calls_64k.to_string().into());
        flag("stress-1m", self.stress.calls_1m.to_string().into());
        if let Some(label) = &self.stressed_as {
            flag("stressed-as", label.clone().into());
        }
        if let Seed::Fixed(seed) = self.seed {
            flag("seed", seed.to_string().into());
        }
        if let Some(path) = &self.precompiled {
            flag("precompiled", path.clone().into());
        }
        if let Some(path) = &self.outcome {
            flag("outcome", path.clone().into());
        }
        if self.seed == Seed::Entropy {
            args.push("--entropy".into());
        }
        args
    }

    /// Reads a request from a suite binary's arguments (without the program name). Only the component file is
    /// required; the variant comes from its name when not given.
    pub fn from_args(args: impl IntoIterator<Item = OsString>) -> Result<Request> {
        let mut args = args.into_iter();
        let mut component = None;
        let mut values: Vec<(String, OsString)> = Vec::new();
        let mut entropy = false;
        while let Some(arg) = args.next() {
            let text = arg.to_string_lossy().into_owned();
            match text.strip_prefix("--") {
                Some("entropy") => entropy = true,
                Some(name) => {
                    let value = args.next().with_context(|| format!("--{name} needs a value"))?;
                    values.push((name.to_string(), value));
                }
                None if component.is_none() => component = Some(PathBuf::from(arg)),
                None => bail!("unexpected argument `{text}`: one component file only"),
            }
        }
        let component = component.context("no component file given")?;
        let take = |name: &str| values.iter().rev().find(|(n, _)| n == name).map(|(_, v)| v.to_string_lossy());
        let number = |name: &str| -> Result<Option<u64>> {
            take(name).map(|v| v.parse().with_context(|| format!("--{name} `{v}` is not a number"))).transpose()
        };
        let known = [
            "variant",
            "label",
            "stress-floor",
            "stress-64k",
            "stress-1m",
            "stressed-as",
            "seed",
            "precompiled",
            "outcome",
        ];
        if let Some((name, _)) = values.iter().find(|(n, _)| !known.contains(&n.as_str())) {
            bail!("unknown flag --{name}");
        }
        let variant_name = match take("variant") {
            Some(name) => name.into_owned(),
            None => component
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .context("the component file has no name to take the variant from")?,
        };
        let variant = model::variants()
            .into_iter()
            .find(|v| v.name() == variant_name)
            .ok_or_else(|| anyhow!("`{variant_name}` is not a variant: give one with --variant"))?;
        let label = match take("label") {
            Some(label) => label.into_owned(),
            None => {
                let dir = component.parent().and_then(Path::file_name).map(|d| d.to_string_lossy().into_owned());
                format!("{} {}", dir.unwrap_or_default(), variant.name()).trim().to_string()
            }
        };
        let mut stress = Stress::FULL.for_variant(&variant);
        if let Some(floor) = number("stress-floor")? {
            stress.sizing = if floor == 0 { Sizing::Fixed } else { Sizing::Window { floor } };
        }
        if let Some(calls) = number("stress-64k")? {
            stress.calls_64k = calls as usize;
        }
        if let Some(calls) = number("stress-1m")? {
            stress.calls_1m = calls as usize;
        }
        let seed = match (entropy, number("seed")?) {
            (true, Some(_)) => bail!("--seed and --entropy exclude each other"),
            (true, None) => Seed::Entropy,
            (false, seed) => Seed::Fixed(seed.unwrap_or(CHECK_SEED)),
        };
        Ok(Request {
            component,
            variant,
            label,
            stress,
            stressed_as: take("stressed-as").map(|l| l.into_owned()),
            seed,
            precompiled: take("precompiled").map(|p| PathBuf::from(p.into_owned())),
            outcome: take("outcome").map(|p| PathBuf::from(p.into_owned())),
        })
    }
}

/// What a suite binary reports of one check.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    Passed(Verdict),
    /// The error and its causes, outermost first.
    Failed(Vec<String>),
}

impl Outcome {
    /// Writes the outcome as JSON (atomically: a reader never sees half of it).
    pub fn write(&self, path: &Path) -> Result<()> {
        util::write_atomic(path, serde_json::to_string_pretty(self)?.as_bytes())
    }

    /// Reads an outcome a suite binary wrote.
    pub fn read(path: &Path) -> Result<Outcome> {
        let bytes = util::read(path)?;
        serde_json::from_slice(&bytes).with_context(|| format!("{} is not a suite's outcome", path.display()))
    }

    /// The verdict, or the failure as an error with its causes.
    pub fn into_result(self) -> Result<Verdict> {
        match self {
            Outcome::Passed(verdict) => Ok(verdict),
            Outcome::Failed(chain) => {
                let mut causes = chain.into_iter().rev();
                let innermost = causes.next().unwrap_or_else(|| "the suite failed without saying why".to_string());
                Err(causes.fold(anyhow!(innermost), |err, outer| err.context(outer)))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A request survives the trip through the command line, and a bare file name is a whole request.
    #[test]
    fn a_request_reads_back_what_it_wrote_and_a_file_name_is_enough() {
        let variant = model::variants().into_iter().find(|v| v.name() == "tinygo-opt").unwrap();
        let mut request = Request::new(Path::new("target/dist/demo/tinygo-opt.wasm"), &variant, "demo tinygo-opt");
        assert_eq!(Request::from_args([OsString::from("target/dist/demo/tinygo-opt.wasm")]).unwrap(), request);
        request.stress = Stress { sizing: Sizing::Fixed, calls_64k: 7, calls_1m: 3 };
        request.stressed_as = Some("demo tinygo-raw".into());
        request.precompiled = Some("x.cwasm".into());
        request.outcome = Some("x.json".into());
        assert_eq!(Request::from_args(request.to_args()).unwrap(), request);
        request.seed = Seed::Entropy;
        assert_eq!(Request::from_args(request.to_args()).unwrap(), request);

        let err = |args: &[&str]| {
            let args = args.iter().map(OsString::from);
            format!("{:#}", Request::from_args(args).unwrap_err())
        };
        assert!(err(&["x/go1.99-raw.wasm"]).contains("`go1.99-raw` is not a variant"));
        assert!(err(&["a.wasm", "--variant", "go1.26-raw", "--seed"]).contains("--seed needs a value"));
        assert!(err(&["a.wasm", "--variant", "go1.26-raw", "--sede", "1"]).contains("unknown flag --sede"));
        assert!(err(&[]).contains("no component file given"));
    }

    /// A failure keeps its whole cause chain across the file.
    #[test]
    fn a_failed_outcome_becomes_the_same_error_chain() {
        let err = anyhow!("trap").context("stress: call #3").context("compute-hash");
        let outcome = Outcome::Failed(err.chain().map(|c| c.to_string()).collect());
        let text = serde_json::to_string(&outcome).unwrap();
        let back: Outcome = serde_json::from_str(&text).unwrap();
        assert_eq!(format!("{:#}", back.into_result().unwrap_err()), "compute-hash: stress: call #3: trap");
    }
}
