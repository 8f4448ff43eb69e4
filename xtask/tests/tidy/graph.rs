//! The module graph of one crate, read from its sources: which module uses which (`crate::a::b`, `super::c`,
//! brace groups of either), lifted to the level where the two are siblings (a module and its own descendants are
//! one thing to the rest of the crate), and the cycles in it.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// A module's path inside its crate (`["run", "scheduler"]`; the crate root is empty).
type ModulePath = Vec<String>;

/// The module of a source file, from its path relative to the crate's `src/` (`run/scheduler/mod.rs` → `run::scheduler`).
fn module_of(relative: &Path) -> ModulePath {
    let mut parts: Vec<String> = relative.iter().map(|p| p.to_string_lossy().into_owned()).collect();
    let last = parts.pop().unwrap_or_default();
    let stem = last.trim_end_matches(".rs");
    if !["mod", "lib", "main"].contains(&stem) {
        parts.push(stem.to_string());
    }
    parts
}

/// The paths a text refers to through `prefix::` (`crate` or `super`), each as its segments, brace groups
/// (`crate::{a, b::{c, d}}`) opened one level.
fn references(text: &str, prefix: &str) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    let needle = format!("{prefix}::");
    let mut rest = text;
    while let Some(at) = rest.find(&needle) {
        let before = rest[..at].chars().next_back();
        rest = &rest[at + needle.len()..];
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
            continue;
        }
        if let Some(group) = rest.strip_prefix('{') {
            let mut depth = 1;
            let end = group
                .char_indices()
                .find(|(_, c)| {
                    match c {
                        '{' => depth += 1,
                        '}' => depth -= 1,
                        _ => {}
                    }
                    depth == 0
                })
                .map_or(group.len(), |(i, _)| i);
            let (mut depth, mut item) = (0, String::new());
            for c in group[..end].chars().chain([',']) {
                match c {
                    '{' => depth += 1,
                    '}' => depth -= 1,
                    ',' if depth == 0 => {
                        let head =
                            item.split("::{").next().unwrap_or_default().split(" as ").next().unwrap_or_default();
                        let segments: Vec<String> = head.trim().split("::").map(str::to_string).collect();
                        if !head.trim().is_empty() {
                            out.push(segments);
                        }
                        item.clear();
                        continue;
                    }
                    _ => {}
                }
                item.push(c);
            }
        } else {
            let path: String = rest.chars().take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':').collect();
            let segments: Vec<String> = path.split("::").filter(|s| !s.is_empty()).map(str::to_string).collect();
            if !segments.is_empty() {
                out.push(segments);
            }
        }
    }
    out
}

/// The cycles among the modules of a crate whose sources (`files`: path relative to `src/` → shipped text) are
/// given; each cycle lists its modules, `a::b` style.
pub fn cycles(files: &BTreeMap<std::path::PathBuf, String>) -> Vec<Vec<String>> {
    let modules: BTreeMap<ModulePath, &String> = files.iter().map(|(path, text)| (module_of(path), text)).collect();
    let mut edges: BTreeMap<ModulePath, BTreeSet<ModulePath>> = BTreeMap::new();
    for (module, text) in &modules {
        let parent: ModulePath = module[..module.len().saturating_sub(1)].to_vec();
        let mut targets = references(text, "crate");
        targets.extend(references(text, "super").into_iter().map(|r| [parent.clone(), r].concat()));
        for target in targets {
            // The deepest module the path names (the rest is an item inside it).
            let Some(target) = (1..=target.len()).rev().map(|n| target[..n].to_vec()).find(|m| modules.contains_key(m))
            else {
                continue;
            };
            let common = module.iter().zip(&target).take_while(|(a, b)| a == b).count();
            if common == module.len() || common == target.len() {
                continue; // an ancestor and its descendant
            }
            edges.entry(module[..=common].to_vec()).or_default().insert(target[..=common].to_vec());
        }
    }
    strongly_connected(&edges)
        .into_iter()
        .filter(|c| c.len() > 1)
        .map(|c| c.iter().map(|m| m.join("::")).collect())
        .collect()
}

/// Tarjan's strongly connected components of `edges`.
fn strongly_connected(edges: &BTreeMap<ModulePath, BTreeSet<ModulePath>>) -> Vec<Vec<ModulePath>> {
    struct State<'e> {
        edges: &'e BTreeMap<ModulePath, BTreeSet<ModulePath>>,
        index: BTreeMap<ModulePath, usize>,
        low: BTreeMap<ModulePath, usize>,
        stack: Vec<ModulePath>,
        on_stack: BTreeSet<ModulePath>,
        found: Vec<Vec<ModulePath>>,
    }
    fn visit(state: &mut State, node: &ModulePath) {
        let n = state.index.len();
        state.index.insert(node.clone(), n);
        state.low.insert(node.clone(), n);
        state.stack.push(node.clone());
        state.on_stack.insert(node.clone());
        for next in state.edges.get(node).into_iter().flatten() {
            if !state.index.contains_key(next) {
                visit(state, next);
                let low = state.low[node].min(state.low[next]);
                state.low.insert(node.clone(), low);
            } else if state.on_stack.contains(next) {
                let low = state.low[node].min(state.index[next]);
                state.low.insert(node.clone(), low);
            }
        }
        if state.low[node] == state.index[node] {
            let mut component = Vec::new();
            while let Some(top) = state.stack.pop() {
                state.on_stack.remove(&top);
                let done = top == *node;
                component.push(top);
                if done {
                    break;
                }
            }
            state.found.push(component);
        }
    }
    let mut state = State {
        edges,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        found: Vec::new(),
    };
    let nodes: BTreeSet<&ModulePath> = edges.keys().chain(edges.values().flatten()).collect();
    for node in nodes {
        if !state.index.contains_key(node) {
            visit(&mut state, node);
        }
    }
    state.found
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A cycle between siblings is found, at any depth; a parent and its child using each other are not one.
    #[test]
    fn cycles_between_siblings_are_found_and_parent_child_use_is_not_one() {
        let files: BTreeMap<std::path::PathBuf, String> = [
            ("lib.rs", "mod a; mod b; use crate::a::Thing;"),
            ("a/mod.rs", "mod x; mod y; use crate::b::{self, f}; use self::x::g;"),
            ("a/x.rs", "use super::y::h; use super::Thing;"),
            ("a/y.rs", "use crate::a::x::{i, j};"),
            ("b.rs", "fn f() { crate::a::Thing::new(); }"),
        ]
        .into_iter()
        .map(|(p, t)| (std::path::PathBuf::from(p), t.to_string()))
        .collect();
        let mut found = cycles(&files);
        found.iter_mut().for_each(|c| c.sort());
        found.sort();
        assert_eq!(found, [vec!["a", "b"], vec!["a::x", "a::y"]]);
    }
}
