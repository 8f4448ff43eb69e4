//! `chart.svg`: per hasher variant, calls per second (5-byte `compute-hash`, from the 1000-call median) and
//! component size, as two horizontal bar panels. Plain SVG text: no plotting dependency for two bar charts.

use std::fmt::Write as _;

use super::Report;

const ROW: f64 = 18.0;
const LABEL: f64 = 190.0;
const PANEL: f64 = 300.0;
const GAP: f64 = 40.0;
const TOP: f64 = 56.0;

pub(crate) fn svg(report: &Report) -> String {
    let rows: Vec<(&str, f64, f64)> = report
        .variants
        .iter()
        .filter_map(|v| {
            let h = v.figures.hasher.as_ref()?;
            Some((v.variant.as_str(), 1e6 / h.calls_1000_ms.median, v.component_bytes as f64 / 1e6))
        })
        .collect();
    let width = LABEL + 2.0 * PANEL + GAP + 70.0;
    let height = TOP + rows.len().max(1) as f64 * ROW + 30.0;
    let max_rate = rows.iter().map(|r| r.1).fold(0.0, f64::max).max(1.0);
    let max_size = rows.iter().map(|r| r.2).fold(0.0, f64::max).max(0.001);
    let mut out = String::new();
    let _ = writeln!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0}" height="{height:.0}" viewBox="0 0 {width:.0} {height:.0}" font-family="sans-serif" font-size="11">"#
    );
    let _ = writeln!(out, r#"<rect width="100%" height="100%" fill="white"/>"#);
    let _ = writeln!(
        out,
        r#"<text x="8" y="18" font-size="13" font-weight="bold">hasher: calls per second (5-byte compute-hash) and component size</text>"#
    );
    let _ = writeln!(out, r##"<text x="8" y="34" fill="#555">{}</text>"##, escape(&report.provenance()));
    let panels = [
        (LABEL, "calls/s (median of 1000-call series)", max_rate, "#3b6fb6"),
        (LABEL + PANEL + GAP, "component size (MB)", max_size, "#c2772b"),
    ];
    for (x, title, _, _) in panels {
        let _ = writeln!(out, r#"<text x="{x:.0}" y="{:.0}" font-weight="bold">{title}</text>"#, TOP - 6.0);
    }
    for (i, (name, rate, size)) in rows.iter().enumerate() {
        let y = TOP + i as f64 * ROW;
        let _ = writeln!(
            out,
            r#"<text x="{:.0}" y="{:.1}" text-anchor="end">{}</text>"#,
            LABEL - 6.0,
            y + ROW * 0.7,
            escape(name)
        );
        for (((x, _, max, color), value), text) in
            panels.iter().zip([*rate, *size]).zip([format!("{rate:.0}"), format!("{size:.2}")])
        {
            let w = (value / max * (PANEL - 50.0)).max(1.0);
            let _ = writeln!(
                out,
                r#"<rect x="{x:.0}" y="{:.1}" width="{w:.1}" height="{:.1}" fill="{color}"/><text x="{:.1}" y="{:.1}">{text}</text>"#,
                y + 2.0,
                ROW - 4.0,
                x + w + 4.0,
                y + ROW * 0.7
            );
        }
    }
    out.push_str("</svg>\n");
    out
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}
