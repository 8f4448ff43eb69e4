//! The size table a dist prints: per component and build, the module's and the component's bytes at each
//! post-processing level, and the builds a component left out.

use std::collections::BTreeMap;
use std::fmt::Write;

use anyhow::Result;

use crate::model::LeftOut;
use crate::run::scheduler::Product;

/// (module bytes, component bytes) per post-processing level.
type SizesByPost = BTreeMap<&'static str, (u64, u64)>;

/// The size table: per component and build, module and component bytes at each post-processing level; then each
/// build of the selection a component left out, with the reason.
pub fn table(products: &[Product], left_out: &[LeftOut]) -> Result<String> {
    let mut out = String::new();
    // Keyed by (component, position of the build in the matrix, build name) to print in matrix order.
    let mut rows: BTreeMap<(String, usize, String), SizesByPost> = BTreeMap::new();
    let order: Vec<&str> = crate::model::builds().iter().map(|b| b.name).collect();
    for p in products {
        let module = std::fs::metadata(&p.module)?.len();
        let component = p.component_path.as_ref().map_or(Ok(0), |c| std::fs::metadata(c).map(|m| m.len()))?;
        let position = order.iter().position(|b| *b == p.variant.build.name).unwrap_or(usize::MAX);
        rows.entry((p.component.name.clone(), position, p.variant.build.name.to_string()))
            .or_default()
            .insert(p.variant.post.name(), (module, component));
    }
    let cell = |sizes: &SizesByPost, post: &str, pick: fn(&(u64, u64)) -> u64| {
        sizes.get(post).map_or("-".to_string(), |s| format!("{:.2}", pick(s) as f64 / 1e6))
    };
    out.push('\n');
    let _ = writeln!(out, "  sizes in MB (10^6 bytes)            module                           component");
    let _ = writeln!(
        out,
        "  {:<10} {:<18} {:>6} {:>6} {:>6} {:>9}   {:>6} {:>6} {:>6} {:>9}",
        "component", "build", "raw", "strip", "opt", "opt-wizer", "raw", "strip", "opt", "opt-wizer"
    );
    for ((component, _, build), sizes) in &rows {
        let _ = writeln!(
            out,
            "  {component:<10} {build:<18} {:>6} {:>6} {:>6} {:>9}   {:>6} {:>6} {:>6} {:>9}",
            cell(sizes, "raw", |s| s.0),
            cell(sizes, "strip", |s| s.0),
            cell(sizes, "opt", |s| s.0),
            cell(sizes, "opt-wizer", |s| s.0),
            cell(sizes, "raw", |s| s.1),
            cell(sizes, "strip", |s| s.1),
            cell(sizes, "opt", |s| s.1),
            cell(sizes, "opt-wizer", |s| s.1),
        );
    }
    for left in left_out {
        let _ = writeln!(out, "  {:<10} {:<18} left out: {}", left.component, left.build, left.reason);
    }
    out.push('\n');
    Ok(out)
}
