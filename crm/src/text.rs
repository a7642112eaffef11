//! Text clean-up shared by every form that takes names or search terms.

/// Trims, collapses inner whitespace and maps Arabic ي/ك (and ى) to Persian ی/ک,
/// so a name typed on an Arabic keyboard matches the same name typed on a Persian one.
pub fn normalize_name(input: &str) -> String {
    input
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .chars()
        .map(|c| match c {
            'ي' | 'ى' => 'ی',
            'ك' => 'ک',
            c => c,
        })
        .collect()
}

/// Persian and Arabic-Indic digits as ASCII ones; everything else unchanged (a form
/// field typed on a Persian keyboard reads like one typed on an English one).
pub fn ascii_digits(input: &str) -> String {
    input.chars().map(|c| ascii_digit(c).unwrap_or(c)).collect()
}

/// The ASCII digit of any decimal digit we accept, `None` for anything else.
pub(crate) fn ascii_digit(c: char) -> Option<char> {
    let zero = match c {
        '0'..='9' => return Some(c),
        '\u{06F0}'..='\u{06F9}' => '\u{06F0}',
        '\u{0660}'..='\u{0669}' => '\u{0660}',
        _ => return None,
    };
    char::from_digit(c as u32 - zero as u32, 10)
}

#[cfg(test)]
mod tests {
    #[test]
    fn any_digits_become_ascii() {
        assert_eq!(super::ascii_digits("۲G و ٣0m"), "2G و 30m");
    }

    #[test]
    fn arabic_letters_become_persian() {
        assert_eq!(super::normalize_name("  علي   كريمي "), "علی کریمی");
    }
}
