//! Human-friendly quantities used in group policies: byte sizes and durations.
//! The CLI and the panel both parse through here so `5G` means the same everywhere.

use crate::error::{Error, Result};

/// `1500`, `512K`, `100M`, `5G`, `1T` → bytes (binary multiples: 1K = 1024).
pub fn parse_bytes(input: &str) -> Result<i64> {
    let s = input.trim();
    let (number, unit) = split_number(s);
    let base: i64 = number
        .parse()
        .map_err(|_| Error::invalid(format!("{input:?} is not a size (e.g. 500M, 5G)")))?;
    let multiplier: i64 = match unit.to_ascii_uppercase().as_str() {
        "" | "B" => 1,
        "K" | "KB" | "KIB" => 1 << 10,
        "M" | "MB" | "MIB" => 1 << 20,
        "G" | "GB" | "GIB" => 1 << 30,
        "T" | "TB" | "TIB" => 1 << 40,
        _ => {
            return Err(Error::invalid(format!(
                "{input:?}: unknown size unit {unit:?}"
            )));
        }
    };
    base.checked_mul(multiplier)
        .ok_or_else(|| Error::invalid(format!("{input:?} is too large")))
}

/// `90`, `30s`, `15m`, `2h`, `1d`, `1h30m` → seconds.
pub fn parse_duration(input: &str) -> Result<i64> {
    let bad = || {
        Error::invalid(format!(
            "{input:?} is not a duration (e.g. 90, 15m, 2h, 1h30m)"
        ))
    };
    let s = input.trim();
    if s.is_empty() {
        return Err(bad());
    }
    if let Ok(secs) = s.parse::<i64>() {
        return if secs >= 0 { Ok(secs) } else { Err(bad()) };
    }
    let mut total: i64 = 0;
    let mut rest = s;
    while !rest.is_empty() {
        let (number, after) = split_number(rest);
        let unit = after.chars().next().ok_or_else(bad)?;
        let n: i64 = number.parse().map_err(|_| bad())?;
        let scale = match unit {
            's' => 1,
            'm' => 60,
            'h' => 3600,
            'd' => 86_400,
            _ => return Err(bad()),
        };
        total = n
            .checked_mul(scale)
            .and_then(|v| total.checked_add(v))
            .ok_or_else(bad)?;
        rest = &after[unit.len_utf8()..];
    }
    Ok(total)
}

/// Seconds back to the shortest `1h30m` form, for listings.
pub fn format_duration(secs: i64) -> String {
    if secs == 0 {
        return "0s".into();
    }
    let mut out = String::new();
    let mut rest = secs;
    for (unit, size) in [("d", 86_400), ("h", 3600), ("m", 60), ("s", 1)] {
        if rest >= size {
            out.push_str(&format!("{}{unit}", rest / size));
            rest %= size;
        }
    }
    out
}

/// Bytes back to a short binary-unit form, for listings.
pub fn format_bytes(bytes: i64) -> String {
    for (unit, size) in [
        ("T", 1i64 << 40),
        ("G", 1 << 30),
        ("M", 1 << 20),
        ("K", 1 << 10),
    ] {
        if bytes >= size && bytes % size == 0 {
            return format!("{}{unit}", bytes / size);
        }
    }
    bytes.to_string()
}

fn split_number(s: &str) -> (&str, &str) {
    let end = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    (&s[..end], &s[end..])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(parse_bytes("1500").unwrap(), 1500);
        assert_eq!(parse_bytes("5G").unwrap(), 5 << 30);
        assert_eq!(parse_bytes("100mb").unwrap(), 100 << 20);
        assert!(parse_bytes("5X").is_err());
        assert!(parse_bytes("-5").is_err());
        assert!(parse_bytes("99999999999T").is_err());
        assert_eq!(format_bytes(5 << 30), "5G");
        assert_eq!(format_bytes(1500), "1500");
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("90").unwrap(), 90);
        assert_eq!(parse_duration("1h30m").unwrap(), 5400);
        assert_eq!(parse_duration("1d").unwrap(), 86_400);
        for bad in ["", "h", "5x", "1h30", "-5", "1.5h"] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
        assert_eq!(format_duration(5400), "1h30m");
        assert_eq!(format_duration(0), "0s");
    }
}
