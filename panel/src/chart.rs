//! A server-rendered SVG bar chart: up to five series per period, no JavaScript, no library.
//! The SVG is built from numbers and escaped labels only, so it is safe to inline.

use std::fmt::Write;

/// One group of bars.
pub struct Bar {
    pub label: String,
    /// One value per series, at most [`CLASSES`]`.len()`.
    pub values: Vec<i64>,
}

/// Series colours; the page's legend uses the same CSS classes.
pub const CLASSES: [&str; 5] = ["s0", "s1", "s2", "s3", "s4"];

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Bars left to right in time order even on RTL pages (`direction: ltr` on the SVG):
/// charts read like a timeline in both languages. `title` names the chart for screen
/// readers; each bar carries its value as a tooltip.
pub fn bars(title: &str, bars: &[Bar], value_text: impl Fn(i64) -> String) -> String {
    let (width, height, top, bottom) = (700.0_f64, 240.0_f64, 16.0_f64, 40.0_f64);
    let max = bars
        .iter()
        .flat_map(|b| b.values.iter().copied())
        .max()
        .unwrap_or(0)
        .max(1) as f64;
    let series = bars
        .iter()
        .map(|b| b.values.len())
        .max()
        .unwrap_or(1)
        .clamp(1, CLASSES.len());
    let slot = width / bars.len().max(1) as f64;
    let bar_width = (slot * 0.68 / series as f64).min(18.0);
    let plot = height - top - bottom;
    let mut svg = String::new();
    let _ = write!(
        svg,
        r#"<svg class="chart" viewBox="0 0 {width} {height}" role="img" aria-label="{}">"#,
        escape(title)
    );
    let _ = write!(
        svg,
        r#"<line class="axis" x1="0" y1="{y}" x2="{width}" y2="{y}"/>"#,
        y = top + plot
    );
    for (i, bar) in bars.iter().enumerate() {
        let centre = slot * (i as f64 + 0.5);
        for (s, value) in bar.values.iter().take(series).enumerate() {
            let h = plot * (*value as f64) / max;
            let x = centre - bar_width * series as f64 / 2.0 + bar_width * s as f64;
            let _ = write!(
                svg,
                r#"<rect class="{}" x="{x:.1}" y="{:.1}" width="{:.1}" height="{h:.1}" rx="2"><title>{}</title></rect>"#,
                CLASSES[s],
                top + plot - h,
                bar_width - 2.0,
                escape(&value_text(*value))
            );
        }
        // Every other label, so fourteen days fit on a phone.
        if i % 2 == bars.len().saturating_sub(1) % 2 {
            let _ = write!(
                svg,
                r#"<text x="{centre:.1}" y="{:.1}" text-anchor="middle">{}</text>"#,
                height - 14.0,
                escape(&bar.label)
            );
        }
    }
    svg.push_str("</svg>");
    svg
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_scale_to_the_largest_value_and_escape_labels() {
        let svg = bars(
            "a<b",
            &[
                Bar {
                    label: "<1>".into(),
                    values: vec![0, 10],
                },
                Bar {
                    label: "2".into(),
                    values: vec![5, 0],
                },
            ],
            |v| v.to_string(),
        );
        assert!(svg.contains(r#"aria-label="a&lt;b""#));
        assert!(!svg.contains("<1>"));
        assert!(svg.contains(r#"height="184.0""#), "{svg}");
        assert!(svg.contains(r#"height="92.0""#), "{svg}");
    }
}
