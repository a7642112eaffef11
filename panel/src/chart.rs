//! A server-rendered SVG bar chart: two series per day, no JavaScript, no library.
//! The SVG is built from numbers and escaped labels only, so it is safe to inline.

use std::fmt::Write;

/// One group of bars.
pub struct Bar {
    pub label: String,
    pub values: [i64; 2],
}

/// Series colours; the page's legend uses the same CSS classes.
const CLASSES: [&str; 2] = ["s0", "s1"];

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
    let max = bars.iter().flat_map(|b| b.values).max().unwrap_or(0).max(1) as f64;
    let slot = width / bars.len().max(1) as f64;
    let bar_width = (slot * 0.34).min(18.0);
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
        for (s, value) in bar.values.iter().enumerate() {
            let h = plot * (*value as f64) / max;
            let x = centre - bar_width + bar_width * s as f64;
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

/// One row of a horizontal chart: a label and a share in percent (0–100).
pub struct Share {
    pub label: String,
    pub percent: i64,
}

/// Horizontal bars of percentages (satisfaction per branch, item, shift…): the label
/// before each bar, the value after it. `None` values are drawn as an empty track.
pub fn shares(title: &str, rows: &[Share], value_text: impl Fn(i64) -> String) -> String {
    let (width, row, label_width) = (700.0_f64, 30.0_f64, 190.0_f64);
    let track = width - label_width - 70.0;
    let height = row * rows.len().max(1) as f64 + 8.0;
    let mut svg = String::new();
    let _ = write!(
        svg,
        r#"<svg class="chart" viewBox="0 0 {width} {height}" role="img" aria-label="{}">"#,
        escape(title)
    );
    for (i, r) in rows.iter().enumerate() {
        let y = 4.0 + row * i as f64;
        let w = track * (r.percent.clamp(0, 100) as f64) / 100.0;
        let label: String = r.label.chars().take(28).collect();
        let _ = write!(
            svg,
            r#"<text x="{:.1}" y="{:.1}" text-anchor="end">{}</text><rect class="track" x="{label_width}" y="{:.1}" width="{track:.1}" height="16" rx="3"/><rect class="s0" x="{label_width}" y="{:.1}" width="{w:.1}" height="16" rx="3"><title>{}</title></rect><text x="{:.1}" y="{:.1}">{}</text>"#,
            label_width - 8.0,
            y + 13.0,
            escape(&label),
            y + 2.0,
            y + 2.0,
            escape(&value_text(r.percent)),
            label_width + track + 8.0,
            y + 13.0,
            escape(&value_text(r.percent)),
        );
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
                    values: [0, 10],
                },
                Bar {
                    label: "2".into(),
                    values: [5, 0],
                },
            ],
            |v| v.to_string(),
        );
        assert!(svg.contains(r#"aria-label="a&lt;b""#));
        assert!(!svg.contains("<1>"));
        assert!(svg.contains(r#"height="184.0""#), "{svg}");
        assert!(svg.contains(r#"height="92.0""#), "{svg}");
    }

    #[test]
    fn shares_scale_to_a_hundred_percent() {
        let svg = shares(
            "by item",
            &[
                Share {
                    label: "<Latte>".into(),
                    percent: 50,
                },
                Share {
                    label: "x".into(),
                    percent: 140,
                },
            ],
            |v| format!("{v}%"),
        );
        assert!(svg.contains("&lt;Latte&gt;") && !svg.contains("<Latte>"));
        assert!(svg.contains(r#"width="220.0""#), "{svg}");
        assert!(
            svg.contains(r#"width="440.0" height="16" rx="3"><title>140%"#),
            "{svg}"
        );
    }
}
