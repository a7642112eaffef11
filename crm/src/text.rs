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

#[cfg(test)]
mod tests {
    #[test]
    fn arabic_letters_become_persian() {
        assert_eq!(super::normalize_name("  علي   كريمي "), "علی کریمی");
    }
}
