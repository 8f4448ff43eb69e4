//! `cargo xtask new <name>`: scaffolds a component that builds, checks and ships with no further edits — a WIT
//! world (`wit/<name>.wit`), `go/<name>/` with its config, a Go implementation that returns real values, a
//! declarative check, and the generated bindings. It refuses to overwrite anything.

use std::path::Path;

use anyhow::{Result, bail};
use xshell::Shell;

use crate::{bindgen, flags, project, status, util};

impl flags::New {
    pub(crate) fn run(self, sh: &Shell) -> Result<()> {
        scaffold(sh, &project::root(), &self.name)?;
        status::step("Next", format!("cargo xtask dist --component {}", self.name));
        Ok(())
    }
}

/// Writes the new component's files under `root` and generates its bindings.
pub(crate) fn scaffold(sh: &Shell, root: &Path, name: &str) -> Result<()> {
    let valid = name.split('-').all(|part| {
        part.starts_with(|c: char| c.is_ascii_lowercase())
            && part.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
    });
    if !valid || name == "witpkg" {
        bail!(
            "`{name}` is not a usable component name: use lowercase letters and digits in dash-separated words (like `text-stats`), and not `witpkg`"
        );
    }
    let dir = root.join("go").join(name);
    let wit = root.join("wit").join(format!("{name}.wit"));
    for taken in [&dir, &wit] {
        if taken.exists() {
            bail!(
                "`{name}` already exists ({}): choose another name",
                taken.strip_prefix(root).unwrap_or(taken).display()
            );
        }
    }
    util::write_atomic(
        &wit,
        format!(
            "/// The `{name}` component. Edit this world, then run `cargo xtask bindgen --component {name}`.\n\
             package local:{name}@0.1.0;\n\n\
             world {name} {{\n  /// Returns a greeting for `name`.\n  export greet: func(name: string) -> string;\n}}\n"
        )
        .as_bytes(),
    )?;
    util::write_atomic(
        &dir.join(project::CONFIG_FILE),
        format!("# A component of the pipeline: this Go module implements one WIT world.\nworld = \"{name}\"\nwit = \"wit/{name}.wit\"\n")
            .as_bytes(),
    )?;
    util::write_atomic(
        &dir.join("export_wit_world").join(format!("{name}.go")),
        format!(
            "// Package export_wit_world implements the exports of the `{name}` world (wit/{name}.wit).\n\
             package export_wit_world\n\n\
             // Greet returns a greeting for name.\nfunc Greet(name string) string {{\n\treturn \"Hello, \" + name + \"!\"\n}}\n"
        )
        .as_bytes(),
    )?;
    util::write_atomic(
        &dir.join(crate::check::DECLARATIVE_FILE),
        b"# Calls in WAVE and what they must return (as `cargo run -p host -- call` prints it), or `error = \"...\"`.\n\
          [[case]]\ncall = 'greet(\"world\")'\nexpect = '\"Hello, world!\"'\n",
    )?;
    bindgen::regenerate(sh, root, &[name.to_string()], false)?;
    status::step("Created", format!("component `{name}`: wit/{name}.wit, go/{name}/"));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pipeline::{self, Options, Until, Workspace};
    use crate::project::{Job, Post};

    /// A scaffolded component builds, componentizes and passes its declarative check with no edits.
    #[test]
    fn a_new_component_ships_without_edits_and_names_are_guarded() {
        let root = project::root();
        let tmp = std::env::temp_dir().join(format!("xtask-new-{}", std::process::id()));
        util::copy_dir(&root.join("go/witpkg"), &tmp.join("go/witpkg"));
        std::fs::copy(root.join("go/toolchains.toml"), tmp.join("go/toolchains.toml")).unwrap();
        let sh = Shell::new().unwrap();
        scaffold(&sh, &tmp, "demo-app").unwrap();

        let err = scaffold(&sh, &tmp, "demo-app").unwrap_err().to_string();
        assert!(err.contains("`demo-app` already exists (go/demo-app)"), "{err}");
        let err = scaffold(&sh, &tmp, "Demo_App").unwrap_err().to_string();
        assert!(err.contains("is not a usable component name"), "{err}");

        let component = project::discover(&tmp).unwrap().remove(0);
        let build = project::builds().into_iter().find(|b| b.name == "go1.26").unwrap();
        let jobs = vec![Job { component, build, posts: vec![Post::Raw] }];
        let products = pipeline::run(&sh, &Workspace::new(&tmp), jobs, &Options::until(Until::Check));
        std::fs::remove_dir_all(&tmp).unwrap();
        assert_eq!(products.unwrap().len(), 1);
    }
}
