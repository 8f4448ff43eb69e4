//! Scaffolds of every kind of world, built, componentized and checked with the machine's Go.

use super::*;
use crate::model::Workspace;
use crate::model::{Job, Post};
use crate::run::scheduler::{self, Options, Until};
use crate::testing::root;

/// A typed suite scaffolded for a greeting component (written here: `new` would need gofmt): its crate (bindings of the world, a check that instantiates
/// the component and lists the exports to call) as the snapshot says, named in the component's config; a second
/// one and a world importing from its host are refused.
#[test]
fn a_typed_suite_scaffold_is_as_the_snapshot_says() {
    let tmp = scratch_project("suite");
    std::fs::write(
        tmp.join("wit/demo.wit"),
        "package gowasm:demo;\nworld demo {\n  export greet: func(name: string) -> string;\n}\n",
    )
    .unwrap();
    std::fs::create_dir_all(tmp.join("go/demo")).unwrap();
    std::fs::write(tmp.join("go/demo/component.toml"), "world = \"demo\"\nwit = \"wit/demo.wit\"\n").unwrap();
    let component = model::select_components(&tmp, &["demo".to_string()]).unwrap().remove(0);
    let written = super::suite::typed_suite(&tmp, &component).unwrap();
    let read = |path: &Path| std::fs::read_to_string(tmp.join(path)).unwrap();
    let mut text = String::new();
    for path in &written {
        text.push_str(&format!("==> {}\n{}", path.display(), read(path)));
    }
    let component = model::select_components(&tmp, &["demo".to_string()]).unwrap().remove(0);
    assert_eq!(component.suite.as_deref(), Some(Path::new("go/demo/suite")));
    let again = format!("{:#}", super::suite::typed_suite(&tmp, &component).unwrap_err());
    assert!(again.contains("demo already has a typed suite (go/demo/suite)"), "{again}");
    std::fs::write(tmp.join("wit/notes.wit"), "package my:notes;\ninterface store { get: func(key: string) -> string; }\nworld notes {\n  import store;\n  export shout: func(key: string) -> string;\n}\n").unwrap();
    std::fs::create_dir_all(tmp.join("go/notes")).unwrap();
    std::fs::write(tmp.join("go/notes/component.toml"), "world = \"notes\"\nwit = \"wit/notes.wit\"\n").unwrap();
    let notes = model::select_components(&tmp, &["notes".to_string()]).unwrap().remove(0);
    let refused = format!("{:#}", super::suite::typed_suite(&tmp, &notes).unwrap_err());
    std::fs::remove_dir_all(&tmp).unwrap();
    assert!(refused.contains("world `notes` imports my:notes/store from its host"), "{refused}");
    expect_test::expect_file!["snapshots/suite-demo.txt"].assert_eq(&text);
}

/// A scaffolded component (with the files that give each newer Go its own GODEBUG defaults) builds,
/// componentizes and passes its declarative check with no edits.
#[test]
#[ignore = "slow tier: builds components with Go (`cargo xtask test` runs it)"]
fn a_new_component_ships_without_edits_and_names_are_guarded() {
    let tmp = scratch_project("plain");
    let sh = Shell::new().unwrap();
    scaffold(&sh, &tmp, "demo-app", None).unwrap();

    let err = scaffold(&sh, &tmp, "demo-app", None).unwrap_err().to_string();
    assert!(err.contains("`demo-app` already exists (go/demo-app)"), "{err}");
    std::fs::write(tmp.join("wit/taken.wit"), "package a:b;\n").unwrap();
    let err = scaffold(&sh, &tmp, "taken", None).unwrap_err().to_string();
    assert!(err.contains("`taken` already exists (wit/taken.wit)"), "{err}");
    assert!(!tmp.join("go/taken").exists(), "a refused scaffold left files behind");
    let err = scaffold(&sh, &tmp, "Demo_App", None).unwrap_err().to_string();
    assert!(err.contains("is not a usable component name"), "{err}");
    // The GODEBUG files the repository's components carry (crate::stages::bindgen's test holds those).
    for release in ["25", "26", "27"] {
        let text = std::fs::read_to_string(tmp.join(format!("go/demo-app/godebug_go1{release}.go"))).unwrap();
        assert!(text.contains(&format!("//go:debug default=go1.{release}\n")), "{text}");
    }

    let component = model::discover(&tmp).unwrap().remove(0);
    let build = model::builds().into_iter().find(|b| b.name == "go1.26").unwrap();
    let jobs = vec![Job::new(component, build, vec![Post::Raw])];
    let products = scheduler::run(&sh, &Workspace::new(&tmp), jobs, &Options::until(Until::Check));
    std::fs::remove_dir_all(&tmp).unwrap();
    let products = products.unwrap();
    assert_eq!(products.len(), 1);
    // The greeting takes a string: the generic stress sized both its phases by the window.
    let generic = products[0].generic.expect("the generic stress ran");
    assert!(generic.floor == 100 && generic.answered >= 2 * generic.floor, "{generic:?}");
}

/// An empty project of its own for one test (`tag` names it): the bindings' runtime, the toolchain pins and
/// an empty `wit/`.
fn scratch_project(tag: &str) -> std::path::PathBuf {
    let tmp = std::env::temp_dir().join(format!("xtask-new-{tag}-{}", std::process::id()));
    crate::util::copy_dir(&root().join("go/witpkg"), &tmp.join("go/witpkg"));
    std::fs::copy(root().join("go/toolchains.toml"), tmp.join("go/toolchains.toml")).unwrap();
    std::fs::create_dir_all(tmp.join("wit")).unwrap();
    tmp
}

/// Builds `name` in `root` for go1.26 (raw) through the check; returns what the generic stress counted (it runs
/// on every scaffold), or the error text on failure.
fn build_and_check(sh: &Shell, root: &Path, name: &str) -> Result<scheduler::WindowCount, String> {
    let component = model::select_components(root, &[name.to_string()]).unwrap().remove(0);
    let build = model::builds().into_iter().find(|b| b.name == "go1.26").unwrap();
    let jobs = vec![Job::new(component, build, vec![Post::Raw])];
    match scheduler::run(sh, &Workspace::new(root), jobs, &Options::until(Until::Check)) {
        Ok(products) => {
            assert_eq!(products.len(), 1);
            Ok(products[0].generic.expect("the generic stress ran"))
        }
        Err(err) => Err(format!("{err:#}")),
    }
}

/// The generic stress on a user's world, from its WIT alone: it passes the scaffold's stubs, then catches what a
/// user's Go code does wrong — an export that keeps state it does not declare, one that panics on made-up input —
/// and takes checks.toml's word for each (`stateful`, a corpus), and refuses to be turned off without a reason.
#[test]
#[ignore = "slow tier: builds components with Go (`cargo xtask test` runs it)"]
fn the_generic_stress_stresses_a_users_world_and_names_what_it_finds() {
    let tmp = scratch_project("generic");
    let wit = "package t:gen@1.0.0;

world gen {
  record item { name: string, tags: list<string>, weight: option<f64> }
  export echo: func(data: list<u8>) -> list<u8>;
  export items: func(batch: list<item>, separator: string) -> list<list<string>>;
  export next: func(label: string) -> u32;
  export fragile: func(text: string) -> u32;
}
";
    std::fs::write(tmp.join("wit/gen.wit"), wit).unwrap();
    let sh = Shell::new().unwrap();
    scaffold(&sh, &tmp, "gen", Some("gen")).unwrap();
    let generic = build_and_check(&sh, &tmp, "gen").unwrap();
    // Two phases sized by the window, each reaching the floor.
    assert!(generic.floor == 100 && generic.answered >= 2 * generic.floor, "{generic:?}");

    let world_go = tmp.join("go/gen/export_wit_world/gen.go");
    let stubs = std::fs::read_to_string(&world_go).unwrap();
    let checks_path = tmp.join("go/gen/checks.toml");
    let checks = std::fs::read_to_string(&checks_path).unwrap();
    let counter = stubs.replace(
        "func Next(label string) uint32 {\n\treturn 0",
        "var calls uint32\n\nfunc Next(label string) uint32 {\n\tcalls++\n\treturn calls",
    );
    assert_ne!(counter, stubs, "the stub of `next` is as expected:\n{stubs}");
    std::fs::write(&world_go, &counter).unwrap();
    let err = build_and_check(&sh, &tmp, "gen").unwrap_err();
    assert!(err.contains("`next` answered the same 64 KiB arguments differently on two calls"), "{err}");
    assert!(err.contains("list it under `[stress] stateful` in checks.toml"), "{err}");
    std::fs::write(&checks_path, format!("{checks}\n[stress]\nstateful = [\"next\"]\n")).unwrap();
    build_and_check(&sh, &tmp, "gen").unwrap();

    // An export that accepts only a JSON list of numbers: made-up text makes it panic, a corpus grown to size
    // satisfies it.
    let fragile = counter.replace(
        "func Fragile(text string) uint32 {\n\treturn 0",
        "func Fragile(text string) uint32 {\n\tif !strings.HasPrefix(text, \"[1\") || !strings.HasSuffix(text, \"]\") {\n\t\tpanic(\"not a list of ones\")\n\t}\n\treturn uint32(strings.Count(text, \"1\"))",
    );
    let fragile = fragile.replacen("package export_wit_world\n", "package export_wit_world\n\nimport \"strings\"\n", 1);
    assert!(fragile.contains("panic("), "the stub of `fragile` is as expected:\n{counter}");
    std::fs::write(&world_go, fragile).unwrap();
    let err = build_and_check(&sh, &tmp, "gen").unwrap_err();
    assert!(err.contains("the generic stress called `fragile` with made-up arguments of 1 KiB and it failed"), "{err}");
    assert!(err.contains("Go panic: not a list of ones"), "{err}");
    std::fs::write(tmp.join("go/gen/ones.txt"), "1").unwrap();
    let corpus = "[[stress.input]]\ncall = \"fragile\"\ncorpus = \"ones.txt\"\nprefix = \"[\"\nseparator = \",\"\nsuffix = \"]\"\n";
    std::fs::write(&checks_path, format!("{checks}\n[stress]\nstateful = [\"next\"]\n{corpus}")).unwrap();
    build_and_check(&sh, &tmp, "gen").unwrap();

    std::fs::write(&checks_path, format!("{checks}\n[stress]\noff = \" \"\n")).unwrap();
    let err = build_and_check(&sh, &tmp, "gen").unwrap_err();
    assert!(err.contains("`[stress] off` needs a reason"), "{err}");
    std::fs::remove_dir_all(&tmp).unwrap();
}

/// `new --world` with the rich textkit world (records, variants, enums, flags, option, result, tuples,
/// nested lists, three interfaces): the stubs compile, componentize and pass the generated declarative
/// cases with no edits. Ambiguous or unknown worlds and broken stubs are clear errors.
#[test]
#[ignore = "slow tier: builds components with Go (`cargo xtask test` runs it)"]
fn a_scaffold_of_a_rich_world_ships_without_edits_and_mismatches_name_the_export() {
    let tmp = scratch_project("world");
    // textkit's own world only (the file also holds the reporter's, which imports textkit's interfaces).
    let textkit = std::fs::read_to_string(root().join("wit/textkit.wit")).unwrap();
    let own = textkit.split("/// What the reporter plugin exports").next().unwrap();
    std::fs::write(tmp.join("wit/textkit.wit"), own).unwrap();
    let sh = Shell::new().unwrap();

    // A file: copied to wit/rich.wit, its only world used.
    scaffold(&sh, &tmp, "rich", Some("wit/textkit.wit")).unwrap();
    let config = std::fs::read_to_string(tmp.join("go/rich/component.toml")).unwrap();
    assert!(config.contains("world = \"textkit\"") && config.contains("wit = \"wit/rich.wit\""), "{config}");
    let checks = std::fs::read_to_string(tmp.join("go/rich/checks.toml")).unwrap();
    assert_eq!(checks.matches("[[case]]").count(), 2, "{checks}");
    let stub = std::fs::read_to_string(tmp.join("go/rich/export_gowasm_textkit_config/config.go")).unwrap();
    assert!(
        stub.contains("return witTypes.Ok[[]gowasm_textkit_config.Entry, gowasm_textkit_config.ParseError](nil)"),
        "{stub}"
    );

    // A world name: now defined twice under wit/, so it must be told which file; unknown names list the worlds.
    let err = format!("{:#}", scaffold(&sh, &tmp, "again", Some("textkit")).unwrap_err());
    assert!(err.contains("world `textkit` is defined in several files (wit/rich.wit, wit/textkit.wit)"), "{err}");
    let err = format!("{:#}", scaffold(&sh, &tmp, "again", Some("textkt")).unwrap_err());
    assert!(
        err.contains("`textkt` is neither a WIT file nor a world in wit/ (worlds there: textkit, textkit)"),
        "{err}"
    );
    let err = format!("{:#}", scaffold(&sh, &tmp, "again", Some("wit/missing.wit")).unwrap_err());
    assert!(err.contains("failed to read the WIT file wit/missing.wit"), "{err}");
    assert!(!tmp.join("go/again").exists() && !tmp.join("wit/again.wit").exists());

    build_and_check(&sh, &tmp, "rich").unwrap();

    // The Go code no longer matches the world: a missing export and a mistyped one, each named by go build.
    let world_go = tmp.join("go/rich/export_wit_world/textkit.go");
    let stub = std::fs::read_to_string(&world_go).unwrap();
    std::fs::write(&world_go, stub.replace("func Measure(", "func Measured(")).unwrap();
    let err = build_and_check(&sh, &tmp, "rich").unwrap_err();
    assert!(err.contains("the Go code does not match world `textkit` at export `measure`"), "{err}");
    assert!(err.contains("undefined: export_wit_world.Measure"), "{err}");
    std::fs::write(
        &world_go,
        stub.replace("(uint32, uint32)", "(uint32, string)").replace("return 0, 0", "return 0, \"\""),
    )
    .unwrap();
    let err = build_and_check(&sh, &tmp, "rich").unwrap_err();
    assert!(err.contains("the Go code does not match world `textkit` at export `measure`"), "{err}");
    assert!(err.contains("cannot use result1 (variable of type string) as uint32 value"), "{err}");
    std::fs::remove_dir_all(&tmp).unwrap();
}

/// A world that imports interfaces of its own, a world-level function and a WASI interface scaffolds with an
/// answer per non-WASI import (default results, every plain type among them) and ships unedited: it links in
/// the checks' host, which answers its imports from checks.toml. Without the answers, the check fails naming
/// every missing import at once.
#[test]
#[ignore = "slow tier: builds components with Go (`cargo xtask test` runs it)"]
fn a_scaffold_of_a_world_with_imports_ships_answered_by_its_checks() {
    let tmp = scratch_project("imports");
    let wit = "package t:imp@1.0.0;

interface config {
  record setting { name: string, value: option<list<u8>>, weight: f64 }
  get: func(key: string) -> option<setting>;
  all: func() -> list<tuple<string, char>>;
  save: func(s: setting) -> result;
}

interface logger {
  log: func(line: string);
}

world imp {
  import config;
  import logger;
  import wasi:clocks/wall-clock@0.2.0;
  import tick: func() -> u64;
  export run: func(n: u32) -> u32;
}

package wasi:clocks@0.2.0 {
  interface wall-clock {
record datetime { seconds: u64, nanoseconds: u32 }
now: func() -> datetime;
  }
}
";
    std::fs::write(tmp.join("wit/imp.wit"), wit).unwrap();
    let sh = Shell::new().unwrap();
    scaffold(&sh, &tmp, "imp", Some("imp")).unwrap();
    let checks = std::fs::read_to_string(tmp.join("go/imp/checks.toml")).unwrap();
    for answer in [
        "call = 'tick'\nreturns = '0'",
        "call = 't:imp/config@1.0.0#get'\nreturns = 'none'",
        "call = 't:imp/config@1.0.0#all'\nreturns = '[]'",
        "call = 't:imp/config@1.0.0#save'\nreturns = 'ok'",
        "call = 't:imp/logger@1.0.0#log'\n",
    ] {
        assert!(checks.contains(answer), "no `{answer}` in:\n{checks}");
    }
    assert!(!checks.contains("wasi:"), "WASI is the host's, not an answer:\n{checks}");
    let untouched = build_and_check(&sh, &tmp, "imp");
    // The user's code calls the imports (Go keeps only the imports its code calls): the answers serve them.
    let code = "package export_wit_world

import (
\t\"wit_component/t_imp_config\"
\t\"wit_component/t_imp_logger\"
\t\"wit_component/wit_world\"
)

// Run calls the imports.
func Run(n uint32) uint32 {
\tt_imp_logger.Log(\"run\")
\tif t_imp_config.Get(\"k\").IsSome() {
\t\treturn 1
\t}
\treturn n + uint32(wit_world.Tick()) + uint32(len(t_imp_config.All()))
}
";
    std::fs::write(tmp.join("go/imp/export_wit_world/imp.go"), code).unwrap();
    let shipped = build_and_check(&sh, &tmp, "imp");

    let answers_only: String = checks.split("\n[[case]]").next().unwrap().to_string();
    let cases = checks[answers_only.len()..].to_string();
    std::fs::write(tmp.join("go/imp/checks.toml"), cases).unwrap();
    let unanswered = build_and_check(&sh, &tmp, "imp");
    std::fs::remove_dir_all(&tmp).unwrap();
    untouched.unwrap();
    shipped.unwrap();
    let err = unanswered.unwrap_err();
    assert!(
        err.contains("it imports functions that this host does not provide: `t:imp/config@1.0.0 (all of it: get, all)`, `t:imp/logger@1.0.0 (all of it: log)`, `tick`"),
        "{err}"
    );
}

/// A world of every plain data type WIT has, in an interface and at world level.
const ALL_TYPES_WIT: &str = "package t:all@1.0.0;

interface types {
  enum color { red, green }
  flags perms { read, write }
  variant shape { circle(f64), empty }
  record inner {
c: color, p: perms, s: shape, o: option<string>, r: result<u32, string>, t: tuple<u8, string>,
l: list<list<string>>, ch: char,
  }
  type alias = inner;
}

interface api {
  use types.{color, perms, shape, inner, alias};
  get-inner: func() -> inner;
  get-alias: func(a: alias) -> alias;
  get-shape: func() -> shape;
  get-color: func() -> color;
  get-perms: func() -> perms;
  get-unit: func() -> result;
  get-unit-err: func() -> result<_, string>;
  get-float: func() -> f32;
  get-tuple: func() -> tuple<inner, option<shape>, list<u8>>;
  nothing: func(%type: u8, %interface: string);
}

world all {
  export api;
  record point { x: s32, y: s32 }
  export origin: func() -> point;
  export flag: func() -> bool;
  // The world-level stubs' only use of the types package is this option's default.
  record maybe { o: option<string> }
  export maybe: func() -> maybe;
}
";

/// The stubs and checks a scaffold of [`ALL_TYPES_WIT`] gets, as the generator writes them (before gofmt): a change
/// of the generated Go is reviewed as a diff of this snapshot (`UPDATE_EXPECT=1 cargo test` rewrites it).
#[test]
fn the_stubs_of_every_plain_data_type_are_as_the_snapshot_says() {
    let (resolve, world) = wit::parse_world(ALL_TYPES_WIT, Path::new("wit/all.wit"), "all").unwrap();
    let stubs = super::stubs::generate(&resolve, world, "wit/all.wit").unwrap();
    let mut text = String::new();
    for (path, go) in &stubs.files {
        text.push_str(&format!("==> {}\n{go}\n", path.display()));
    }
    text.push_str("==> cases\n");
    for case in &stubs.cases {
        match &case.expect {
            super::stubs::Expect::Returns(value) => text.push_str(&format!("{} = {value}\n", case.call)),
            super::stubs::Expect::Fails(error) => text.push_str(&format!("{} fails with {error}\n", case.call)),
        }
    }
    text.push_str("==> answers\n");
    for (call, returns) in &stubs.answers {
        text.push_str(&format!("{call} -> {}\n", returns.as_deref().unwrap_or("(nothing)")));
    }
    expect_test::expect_file!["snapshots/stubs-all-types.txt"].assert_eq(&text);
}

/// Stubs for every plain data type as results, parameters and nested values (world-level types, `use`d
/// types, aliases, a keyword as a parameter name) compile and pass the generated cases; async functions are
/// refused by name.
#[test]
#[ignore = "slow tier: formats Go with gofmt (`cargo xtask test` runs it)"]
fn stubs_cover_every_plain_data_type_and_refuse_async() {
    let tmp = scratch_project("types");
    std::fs::write(tmp.join("wit/all.wit"), ALL_TYPES_WIT).unwrap();
    // A world-level async import is still refused (a resource was, until resources got stubs).
    std::fs::write(
        tmp.join("wit/asy.wit"),
        "package t:asy;\nworld asy {\n  export api: interface {\n    f: async func() -> u32;\n  }\n}\n",
    )
    .unwrap();
    let sh = Shell::new().unwrap();
    let err = format!("{:#}", scaffold(&sh, &tmp, "asy", Some("asy")).unwrap_err());
    assert!(err.contains("`f` is an async function"), "{err}");
    assert!(!tmp.join("go/asy").exists());

    scaffold(&sh, &tmp, "all", Some("all")).unwrap();
    let checks = std::fs::read_to_string(tmp.join("go/all/checks.toml")).unwrap();
    assert!(checks.contains("call = 'origin()'\nexpect = '{x: 0, y: 0}'"), "{checks}");
    assert!(checks.contains("call = 'flag()'\nexpect = 'false'"), "{checks}");
    let api = std::fs::read_to_string(tmp.join("go/all/export_t_all_api/api.go")).unwrap();
    assert!(api.contains("func Nothing(type_ uint8, interface_ string) {"), "{api}");
    assert!(api.contains("return t_all_types.MakeShapeCircle(0)"), "{api}");
    let result = build_and_check(&sh, &tmp, "all");
    std::fs::remove_dir_all(&tmp).unwrap();
    result.unwrap();
}

/// A world exporting resources (constructor, methods, statics, own and borrow handles in parameters and
/// results, a resource of another exported interface) and importing an interface with a resource scaffolds
/// into stubs that build, componentize, link in the checks' host and pass the generated cases unedited.
#[test]
#[ignore = "slow tier: builds components with Go (`cargo xtask test` runs it)"]
fn a_scaffold_of_a_world_with_resources_ships_unedited() {
    let tmp = scratch_project("resources");
    let wit = "package t:res@1.0.0;

interface files {
  resource file {
read: func(max: u32) -> list<u8>;
  }
  open: func(path: string) -> file;
  exists: func(path: string) -> bool;
}

interface shapes {
  resource canvas {
constructor(width: u32, height: u32);
area: func() -> u64;
clone-me: func() -> canvas;
combine: static func(a: borrow<canvas>, b: borrow<canvas>) -> canvas;
absorb: func(other: canvas);
label: func(name: string) -> option<string>;
  }
  blank: func() -> canvas;
}

interface gallery {
  use shapes.{canvas};
  use files.{file};
  resource frame {
constructor(c: borrow<canvas>);
take: static func(c: canvas) -> frame;
  }
  count: func() -> u32;
  latest: func(n: u32) -> option<file>;
}

world res {
  import files;
  export shapes;
  export gallery;
  export version: func() -> string;
}
";
    std::fs::write(tmp.join("wit/res.wit"), wit).unwrap();
    let sh = Shell::new().unwrap();
    scaffold(&sh, &tmp, "res", Some("res")).unwrap();
    let shapes = std::fs::read_to_string(tmp.join("go/res/export_t_res_shapes/shapes.go")).unwrap();
    for stub in [
        "type Canvas struct {",
        "func MakeCanvas(width uint32, height uint32) *Canvas {",
        "func (self *Canvas) Area() uint64 {",
        "func (self *Canvas) CloneMe() *Canvas {",
        "func CanvasCombine(a *Canvas, b *Canvas) *Canvas {",
        "func (self *Canvas) Absorb(other *Canvas) {",
        "func (self *Canvas) OnDrop() {}",
        "func Blank() *Canvas {",
    ] {
        assert!(shapes.contains(stub), "no `{stub}` in:\n{shapes}");
    }
    let gallery = std::fs::read_to_string(tmp.join("go/res/export_t_res_gallery/gallery.go")).unwrap();
    assert!(gallery.contains("func MakeFrame(c *export_t_res_shapes.Canvas) *Frame {"), "{gallery}");
    // A handle to the imported `file` comes only from the host: the stub panics saying so, a case expects it.
    let message = "latest: return a `file` your code got from the host (a stub cannot make one up)";
    assert!(gallery.contains(&format!("\tpanic({message:?})")), "{gallery}");
    let checks = std::fs::read_to_string(tmp.join("go/res/checks.toml")).unwrap();
    assert!(
        checks.contains("call = 't:res/gallery@1.0.0#latest(0)'\nerror = 'return a `file` your code got from the host"),
        "{checks}"
    );
    assert!(checks.contains("call = 't:res/files@1.0.0#exists'\nreturns = 'false'"), "{checks}");
    // The generic stress leaves that stub out, saying why.
    assert!(
        checks.contains("[[stress.skip]]\ncall = 't:res/gallery@1.0.0#latest'\nreason = \"a stub that fails until"),
        "{checks}"
    );
    assert!(!checks.contains("#open"), "an import returning a handle cannot be answered:\n{checks}");
    let result = build_and_check(&sh, &tmp, "res");
    std::fs::remove_dir_all(&tmp).unwrap();
    result.unwrap();
}
