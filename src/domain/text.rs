//! Text folding for search and validated free-text fields.

use unicode_normalization::UnicodeNormalization;

/// Folds text for case-insensitive substring search in any script: NFKC, Unicode lower case,
/// and `ё` as `е`, as Russian writers use them interchangeably. Both the stored search column and
/// the query go through this one function, so SQLite (whose `lower()` knows only ASCII) and
/// PostgreSQL answer alike.
#[must_use]
pub fn fold_for_search(text: &str) -> String {
    text.nfkc()
        .flat_map(char::to_lowercase)
        .map(|c| if c == 'ё' { 'е' } else { c })
        .collect()
}

/// The key a name search is remembered by: the folded text with its whitespace collapsed, so
/// `ТЕСКО ` and `теско` are one search.
#[must_use]
pub fn search_key(text: &str) -> String {
    fold_for_search(text)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// The folded text a client is found by: its name and legal name.
#[must_use]
pub fn client_search_text(name: &str, legal_name: Option<&str>) -> String {
    match legal_name {
        Some(legal) => format!("{}\n{}", fold_for_search(name), fold_for_search(legal)),
        None => fold_for_search(name),
    }
}

/// Escapes `%`, `_` and `\` for a `LIKE ... ESCAPE '\'` pattern.
#[must_use]
pub fn escape_like(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    escaped
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cyrillic_folds_to_lower_case() {
        assert!(fold_for_search("ПАО «Газпром»").contains(&fold_for_search("газпром")));
        assert!(fold_for_search("ООО «Ёлка»").contains(&fold_for_search("ЕЛКА")));
        assert_eq!(fold_for_search("ＡＢＣ"), "abc");
    }

    #[test]
    fn search_keys_ignore_case_and_spacing() {
        assert_eq!(search_key("  ТЕСКО \t Plc "), "теско plc");
        assert_eq!(search_key("теско plc"), "теско plc");
    }

    #[test]
    fn like_wildcards_are_escaped() {
        assert_eq!(escape_like(r"50%_a\b"), r"50\%\_a\\b");
    }
}
