//! What every web page shares, portal and panel alike: language and direction, Persian
//! digits, and the bundled font (Vazirmatn, SIL OFL; no CDN behind a walled garden).

/// Vazirmatn variable font (all weights), from the `vazirmatn` npm package 33.0.3.
pub const VAZIRMATN_WOFF2: &[u8] = include_bytes!("../assets/fonts/vazirmatn.woff2");
/// The font's licence, served beside it as the OFL requires.
pub const VAZIRMATN_LICENSE: &str = include_str!("../assets/fonts/OFL.txt");

/// A page language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Locale {
    #[default]
    Fa,
    En,
}

impl Locale {
    /// `fa`, `fa-IR`, `en`, `en-US`…; anything else is `None`.
    pub fn from_tag(tag: &str) -> Option<Locale> {
        let primary = tag.trim().split(['-', '_']).next()?.to_ascii_lowercase();
        match primary.as_str() {
            "fa" => Some(Locale::Fa),
            "en" => Some(Locale::En),
            _ => None,
        }
    }

    pub fn tag(self) -> &'static str {
        match self {
            Locale::Fa => "fa",
            Locale::En => "en",
        }
    }

    pub fn dir(self) -> &'static str {
        match self {
            Locale::Fa => "rtl",
            Locale::En => "ltr",
        }
    }

    /// Numbers as this language writes them.
    pub fn digits(self, text: &str) -> String {
        match self {
            Locale::Fa => persian_digits(text),
            Locale::En => text.to_string(),
        }
    }
}

/// ASCII digits → Persian digits (U+06F0…U+06F9); everything else unchanged.
pub fn persian_digits(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '0'..='9' => char::from_u32('\u{06F0}' as u32 + (c as u32 - '0' as u32)).unwrap_or(c),
            c => c,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locales_and_digits() {
        assert_eq!(Locale::from_tag("fa-IR"), Some(Locale::Fa));
        assert_eq!(Locale::from_tag("EN_us"), Some(Locale::En));
        assert_eq!(Locale::from_tag("de"), None);
        assert_eq!(persian_digits("0912-345 67"), "۰۹۱۲-۳۴۵ ۶۷");
        assert_eq!(Locale::En.digits("42"), "42");
        assert_eq!(Locale::Fa.dir(), "rtl");
    }
}
