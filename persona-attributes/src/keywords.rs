//! Deterministic keyword categorisation (see [`crate::category`] for the rules).
//!
//! Tables are `static`s compiled once on first use into a slice sorted by first key token, so a
//! lookup is a binary search per item token and allocates nothing.

use std::sync::OnceLock;

use crate::category::Categories;
use crate::text::{canonical_chars, tokens};

/// A category table: `(category, keys)` groups as written in the reference.
pub(crate) type Groups<C> = &'static [(C, &'static [&'static str])];

/// Anything that puts one item into one category.
pub(crate) trait Classify<C> {
    /// The category of `item`.
    fn classify(&self, item: &str) -> C;
}

/// Groups `items` by category, cloning each item once.
pub(crate) fn group<C: Ord + Copy>(table: &impl Classify<C>, items: &[String]) -> Categories<C> {
    let mut out = Categories::with_capacity(items.len());
    for item in items {
        out.push(table.classify(item), item.clone());
    }
    out
}

/// The longest key token a table may hold; item tokens longer than this plus a plural suffix are
/// skipped without a lookup.
const MAX_KEY_TOKEN: usize = 28;
const MAX_TOKEN: usize = MAX_KEY_TOKEN + 3;

/// Whole-token keyword matching, longest key first.
pub(crate) struct KeywordTable<C: 'static> {
    groups: Groups<C>,
    other: C,
    compiled: OnceLock<Vec<Entry<C>>>,
}

struct Entry<C> {
    first: &'static str,
    key: &'static str,
    category: C,
    /// Position in the longest-first (then alphabetical) order: lower is tried first.
    priority: u32,
}

impl<C: Copy + Send + Sync + 'static> KeywordTable<C> {
    /// A table whose unmatched items fall under `other`.
    pub(crate) const fn new(other: C, groups: Groups<C>) -> Self {
        KeywordTable {
            groups,
            other,
            compiled: OnceLock::new(),
        }
    }

    fn entries(&self) -> &[Entry<C>] {
        self.compiled.get_or_init(|| {
            let mut keys: Vec<(&'static str, C)> = self
                .groups
                .iter()
                .flat_map(|(category, keys)| keys.iter().map(move |key| (*key, *category)))
                .collect();
            keys.sort_by(|a, b| b.0.len().cmp(&a.0.len()).then(a.0.cmp(b.0)));
            debug_assert_keys(&keys);
            let mut entries: Vec<Entry<C>> = keys
                .into_iter()
                .zip(0..)
                .map(|((key, category), priority)| Entry {
                    first: key.split('-').next().unwrap_or(key),
                    key,
                    category,
                    priority,
                })
                .collect();
            entries.sort_by(|a, b| a.first.cmp(b.first).then(a.priority.cmp(&b.priority)));
            entries
        })
    }

    /// Every `(key, category)` in the order keys are tried.
    #[cfg(test)]
    pub(crate) fn keys_in_order(&self) -> Vec<(&'static str, C)> {
        let mut entries: Vec<_> = self.entries().iter().collect();
        entries.sort_by_key(|e| e.priority);
        entries.into_iter().map(|e| (e.key, e.category)).collect()
    }
}

impl<C: Copy + Send + Sync + 'static> Classify<C> for KeywordTable<C> {
    fn classify(&self, item: &str) -> C {
        let entries = self.entries();
        let mut best: Option<(u32, C)> = None;
        let mut rest = tokens(item);
        while let Some(token) = rest.next() {
            if token.len() > MAX_TOKEN || !token.is_ascii() {
                continue;
            }
            let mut lower = [0u8; MAX_TOKEN];
            let lower = &mut lower[..token.len()];
            lower.copy_from_slice(token.as_bytes());
            lower.make_ascii_lowercase();
            let mut ies = [0u8; MAX_TOKEN];
            for stem in stems(lower, &mut ies) {
                let start = entries.partition_point(|e| e.first.as_bytes() < stem);
                for entry in entries[start..]
                    .iter()
                    .take_while(|e| e.first.as_bytes() == stem)
                {
                    if best.is_some_and(|(priority, _)| priority <= entry.priority) {
                        break;
                    }
                    if rest_matches(entry.key, rest.clone()) {
                        best = Some((entry.priority, entry.category));
                        break;
                    }
                }
            }
        }
        best.map_or(self.other, |(_, category)| category)
    }
}

/// The token itself and its singular candidates (`-s`, `-es`, `-ies` → `-y`).
fn stems<'a>(token: &'a [u8], ies: &'a mut [u8; MAX_TOKEN]) -> impl Iterator<Item = &'a [u8]> {
    let n = token.len();
    let s = (n > 1 && token[n - 1] == b's').then(|| &token[..n - 1]);
    let es = (n > 2 && token.ends_with(b"es")).then(|| &token[..n - 2]);
    let y = if n > 3 && token.ends_with(b"ies") {
        ies[..n - 3].copy_from_slice(&token[..n - 3]);
        ies[n - 3] = b'y';
        Some(&ies[..n - 2])
    } else {
        None
    };
    std::iter::once(token).chain(s).chain(es).chain(y)
}

/// Whether the key's tokens after the first follow in `rest`.
fn rest_matches<'a>(key: &str, mut rest: impl Iterator<Item = &'a str>) -> bool {
    key.split('-')
        .skip(1)
        .all(|want| rest.next().is_some_and(|token| token_matches(token, want)))
}

/// `token` (any case) is `want`, or its plural.
fn token_matches(token: &str, want: &str) -> bool {
    let (t, w) = (token.as_bytes(), want.as_bytes());
    let prefix = |n: usize| t.len() >= n && w.len() >= n && t[..n].eq_ignore_ascii_case(&w[..n]);
    let suffix = |s: &[u8]| t.len() >= s.len() && t[t.len() - s.len()..].eq_ignore_ascii_case(s);
    match t.len().checked_sub(w.len()) {
        Some(0) => t.eq_ignore_ascii_case(w),
        Some(1) => prefix(w.len()) && suffix(b"s"),
        Some(2) => {
            (prefix(w.len()) && suffix(b"es"))
                || (w.last() == Some(&b'y') && prefix(w.len() - 1) && suffix(b"ies"))
        }
        _ => false,
    }
}

/// Tables are written by hand: check their shape whenever a debug build first uses one.
fn debug_assert_keys<C>(sorted: &[(&'static str, C)]) {
    for (i, (key, _)) in sorted.iter().enumerate() {
        debug_assert!(
            key.split('-').all(|token| {
                !token.is_empty()
                    && token.len() <= MAX_KEY_TOKEN
                    && token
                        .bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
            }),
            "keyword {key:?} is not lowercase alphanumeric tokens joined by '-'"
        );
        debug_assert!(
            !sorted[..i].iter().any(|(other, _)| other == key),
            "keyword {key:?} appears twice in one table"
        );
    }
}

/// Exact matching of the item's canonical form against the keys.
pub(crate) struct ExactTable<C: 'static> {
    groups: Groups<C>,
    other: C,
    compiled: OnceLock<Vec<(&'static str, C)>>,
}

impl<C: Copy + Send + Sync + 'static> ExactTable<C> {
    /// A table whose unmatched items fall under `other`.
    pub(crate) const fn new(other: C, groups: Groups<C>) -> Self {
        ExactTable {
            groups,
            other,
            compiled: OnceLock::new(),
        }
    }

    fn entries(&self) -> &[(&'static str, C)] {
        self.compiled.get_or_init(|| {
            let mut keys: Vec<(&'static str, C)> = self
                .groups
                .iter()
                .flat_map(|(category, keys)| keys.iter().map(move |key| (*key, *category)))
                .collect();
            keys.sort_by(|a, b| a.0.cmp(b.0));
            debug_assert_keys(&keys);
            keys
        })
    }
}

impl<C: Copy + Send + Sync + 'static> Classify<C> for ExactTable<C> {
    fn classify(&self, item: &str) -> C {
        self.entries()
            .binary_search_by(|(key, _)| key.chars().cmp(canonical_chars(item)))
            .map_or(self.other, |found| self.entries()[found].1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    enum T {
        Tech,
        War,
        Fiction,
        NonFiction,
        Social,
        Food,
        Other,
    }

    static TABLE: KeywordTable<T> = KeywordTable::new(
        T::Other,
        &[
            (T::Tech, &["ai", "technology"]),
            (T::War, &["war"]),
            (T::Fiction, &["fiction"]),
            (T::NonFiction, &["non-fiction"]),
            (T::Social, &["social-media", "mother-day"]),
            (T::Food, &["egg", "comedy", "ice-cream"]),
        ],
    );

    #[test]
    fn whole_tokens_longest_first() {
        let c = |item| TABLE.classify(item);
        assert_eq!(c("email"), T::Other);
        assert_eq!(c("training"), T::Other);
        assert_eq!(c("AI ethics"), T::Tech);
        assert_eq!(c("software"), T::Other);
        assert_eq!(c("Cold War history"), T::War);
        assert_eq!(c("non-fiction"), T::NonFiction);
        assert_eq!(c("Non Fiction"), T::NonFiction);
        assert_eq!(c("fiction"), T::Fiction);
        assert_eq!(c("social media"), T::Social);
        assert_eq!(c("social"), T::Other);
        assert_eq!(c("Mother-Day brunch"), T::Social);
        assert_eq!(c("Ice-Cream sundae"), T::Food);
        assert_eq!(c("ice"), T::Other);
        assert_eq!(c(""), T::Other);
        assert_eq!(c("日本 war"), T::War);
    }

    #[test]
    fn plurals_match_their_singular_key() {
        let c = |item| TABLE.classify(item);
        assert_eq!(c("eggs"), T::Food);
        assert_eq!(c("boiled EGGS"), T::Food);
        assert_eq!(c("comedies"), T::Food);
        assert_eq!(c("wars"), T::War);
        assert_eq!(c("ice creams"), T::Food);
        assert_eq!(c("eggses"), T::Other);
        assert_eq!(c("waress"), T::Other);
        assert!(token_matches("Technologies", "technology"));
        assert!(!token_matches("technologyies", "technology"));
        assert!(!token_matches("s", "y"));
    }

    #[test]
    fn ties_break_alphabetically() {
        static TIE: KeywordTable<u8> =
            KeywordTable::new(0, &[(2, &["talking"]), (1, &["friends"])]);
        assert_eq!(TIE.classify("talking to friends"), 1);
        assert_eq!(TIE.keys_in_order(), [("friends", 1), ("talking", 2)]);
    }

    #[test]
    fn exact_compares_the_canonical_form() {
        static EXACT: ExactTable<u8> =
            ExactTable::new(0, &[(1, &["family-dinner", "family"]), (2, &["freedom"])]);
        assert_eq!(EXACT.classify(" Family Dinner "), 1);
        assert_eq!(EXACT.classify("family_dinner"), 1);
        assert_eq!(EXACT.classify("FAMILY"), 1);
        assert_eq!(EXACT.classify("family dinners"), 0);
        assert_eq!(EXACT.classify("freedom!"), 0);
        assert_eq!(EXACT.classify(""), 0);
    }
}
