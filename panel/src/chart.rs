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
/// readers; each bar carries its value as a tooltip. Series stand side by side.
pub fn bars(title: &str, bars: &[Bar], value_text: impl Fn(i64) -> String) -> String {
    draw(title, bars, false, value_text)
}

/// As [`bars`], with the series stacked into one bar a period: parts of a whole (e.g.
/// new members by how they joined), readable with many periods and series.
pub fn stacked(title: &str, bars: &[Bar], value_text: impl Fn(i64) -> String) -> String {
    draw(title, bars, true, value_text)
}

fn draw(title: &str, bars: &[Bar], stack: bool, value_text: impl Fn(i64) -> String) -> String {
    let (width, height, top, bottom) = (700.0_f64, 240.0_f64, 16.0_f64, 40.0_f64);
    let max = bars
        .iter()
        .map(|b| {
            if stack {
                b.values.iter().sum()
            } else {
                b.values.iter().copied().max().unwrap_or(0)
            }
        })
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
    let bar_width = if stack {
        (slot * 0.6).min(24.0)
    } else {
        (slot * 0.68 / series as f64).min(18.0)
    };
    let plot = height - top - bottom;
    let mut svg = String::new();
    let _ = write!(
        svg,
        r#"<svg class="chart" viewBox="-24 0 {} {height}" role="img" aria-label="{}">"#,
        width + 48.0,
        escape(title)
    );
    let _ = write!(
        svg,
        r#"<line class="axis" x1="0" y1="{y}" x2="{width}" y2="{y}"/>"#,
        y = top + plot
    );
    for (i, bar) in bars.iter().enumerate() {
        let centre = slot * (i as f64 + 0.5);
        let mut below = 0.0;
        for (s, value) in bar.values.iter().take(series).enumerate() {
            if stack && *value == 0 {
                continue;
            }
            let h = plot * (*value as f64) / max;
            let x = if stack {
                centre - bar_width / 2.0
            } else {
                centre - bar_width * series as f64 / 2.0 + bar_width * s as f64
            };
            let _ = write!(
                svg,
                r#"<rect class="{}" x="{x:.1}" y="{:.1}" width="{:.1}" height="{h:.1}" rx="2"><title>{}</title></rect>"#,
                CLASSES[s],
                top + plot - h - below,
                bar_width * 0.85,
                escape(&value_text(*value))
            );
            if stack {
                below += h;
            }
        }
        // At most about ten labels (every other one for fourteen days), the newest
        // always, so they fit on a phone; the margin of the view box keeps the edges in.
        let stride = bars.len().div_ceil(10).max(2);
        if i % stride == bars.len().saturating_sub(1) % stride {
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
        // Stacked: the tallest bar is the largest sum; the parts sit on each other.
        let svg = stacked(
            "s",
            &[Bar {
                label: "1".into(),
                values: vec![1, 0, 3],
            }],
            |v| v.to_string(),
        );
        assert_eq!(svg.matches("<rect").count(), 2, "{svg}");
        assert!(
            svg.contains(r#"y="154.0" width="20.4" height="46.0""#)
                && svg.contains(r#"y="16.0" width="20.4" height="138.0""#),
            "{svg}"
        );
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
