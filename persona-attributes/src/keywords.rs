//! Deterministic keyword categorisation (see [`crate::category`] for the rules).
//!
//! Tables are `static`s compiled once on first use into a small open-addressing hash index (keys
//! are at most 32 lowercase ASCII bytes, compared as four words), so a lookup is a hash probe per
//! item token and allocates nothing.

use std::sync::OnceLock;

use crate::category::Categories;
use crate::text::{canonical_chars, is_canonical, tokens};

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

/// The longest key a table may hold, in bytes; item tokens and canonical forms that do not fit a
/// [`Key`] cannot match and are skipped without a lookup.
const KEY_BYTES: usize = 32;
/// The longest key token: three bytes of room for a plural suffix.
const MAX_KEY_TOKEN: usize = KEY_BYTES - 3;

/// Lowercase ASCII bytes, zero-padded to 32: compared and hashed as four words.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
struct Key([u64; 4]);

impl Key {
    const EMPTY: Key = Key([0; 4]);

    fn from_padded(buf: &[u8; KEY_BYTES]) -> Key {
        let word = |i: usize| {
            let mut bytes = [0u8; 8];
            bytes.copy_from_slice(&buf[i * 8..i * 8 + 8]);
            u64::from_le_bytes(bytes)
        };
        Key([word(0), word(1), word(2), word(3)])
    }

    /// `bytes` lowercased, if it fits and is ASCII.
    fn lowercase(bytes: &[u8]) -> Option<([u8; KEY_BYTES], usize)> {
        if bytes.len() > KEY_BYTES || bytes.is_empty() || !bytes.is_ascii() {
            return None;
        }
        let mut buf = [0u8; KEY_BYTES];
        buf[..bytes.len()].copy_from_slice(bytes);
        buf.make_ascii_lowercase();
        Some((buf, bytes.len()))
    }

    fn hash(&self) -> usize {
        let mut hash = 0u64;
        for word in self.0 {
            hash = (hash ^ word).wrapping_mul(0x9E37_79B9_7F4A_7C15);
            hash ^= hash >> 29;
        }
        hash as usize
    }
}

/// An open-addressing map from [`Key`] to a pair of `u16`s, built once.
struct Index {
    slots: Vec<(Key, u16, u16)>,
}

impl Index {
    fn new(entries: impl ExactSizeIterator<Item = (Key, u16, u16)>) -> Index {
        let mut slots = vec![(Key::EMPTY, 0, 0); (entries.len() * 2).next_power_of_two().max(4)];
        let mask = slots.len() - 1;
        for (key, a, b) in entries {
            let mut i = key.hash() & mask;
            while slots[i].0 != Key::EMPTY {
                i = (i + 1) & mask;
            }
            slots[i] = (key, a, b);
        }
        Index { slots }
    }

    fn get(&self, key: Key) -> Option<(u16, u16)> {
        let mask = self.slots.len() - 1;
        let mut i = key.hash() & mask;
        loop {
            let (slot, a, b) = self.slots[i];
            if slot == key {
                return Some((a, b));
            }
            if slot == Key::EMPTY {
                return None;
            }
            i = (i + 1) & mask;
        }
    }
}

fn key_of(text: &str) -> Key {
    let mut buf = [0u8; KEY_BYTES];
    buf[..text.len()].copy_from_slice(text.as_bytes());
    Key::from_padded(&buf)
}

/// Whole-token keyword matching, longest key first.
pub(crate) struct KeywordTable<C: 'static> {
    groups: Groups<C>,
    other: C,
    compiled: OnceLock<Compiled<C>>,
}

struct Compiled<C> {
    /// Sorted by first token, then priority.
    entries: Vec<Entry<C>>,
    /// First token → range of `entries`.
    by_first: Index,
}

struct Entry<C> {
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

    fn compiled(&self) -> &Compiled<C> {
        self.compiled.get_or_init(|| {
            let mut keys: Vec<(&'static str, C)> = self
                .groups
                .iter()
                .flat_map(|(category, keys)| keys.iter().map(move |key| (*key, *category)))
                .collect();
            keys.sort_by(|a, b| b.0.len().cmp(&a.0.len()).then(a.0.cmp(b.0)));
            debug_assert_keys(&keys);
            let first = |key: &'static str| key.split('-').next().unwrap_or(key);
            let mut entries: Vec<Entry<C>> = keys
                .into_iter()
                .zip(0..)
                .map(|((key, category), priority)| Entry {
                    key,
                    category,
                    priority,
                })
                .collect();
            entries.sort_by(|a, b| {
                first(a.key)
                    .cmp(first(b.key))
                    .then(a.priority.cmp(&b.priority))
            });
            let mut ranges = Vec::new();
            let mut start = 0;
            for end in 1..=entries.len() {
                if end == entries.len() || first(entries[end].key) != first(entries[start].key) {
                    let range = (key_of(first(entries[start].key)), start as u16, end as u16);
                    ranges.push(range);
                    start = end;
                }
            }
            Compiled {
                by_first: Index::new(ranges.into_iter()),
                entries,
            }
        })
    }

    /// Every `(key, category)` in the order keys are tried.
    #[cfg(test)]
    pub(crate) fn keys_in_order(&self) -> Vec<(&'static str, C)> {
        let mut entries: Vec<_> = self.compiled().entries.iter().collect();
        entries.sort_by_key(|e| e.priority);
        entries.into_iter().map(|e| (e.key, e.category)).collect()
    }
}

impl<C: Copy + Send + Sync + 'static> Classify<C> for KeywordTable<C> {
    fn classify(&self, item: &str) -> C {
        let compiled = self.compiled();
        let mut best: Option<(u32, C)> = None;
        let mut rest = tokens(item);
        while let Some(token) = rest.next() {
            let Some((buf, len)) = Key::lowercase(token.as_bytes()) else {
                continue;
            };
            let mut try_stem = |stem: Key| {
                let Some((start, end)) = compiled.by_first.get(stem) else {
                    return;
                };
                for entry in &compiled.entries[usize::from(start)..usize::from(end)] {
                    if best.is_some_and(|(priority, _)| priority <= entry.priority) {
                        break;
                    }
                    if rest_matches(entry.key, rest.clone()) {
                        best = Some((entry.priority, entry.category));
                        break;
                    }
                }
            };
            try_stem(Key::from_padded(&buf));
            if buf[len - 1] == b's' {
                singular_stems(buf, len)
                    .into_iter()
                    .flatten()
                    .for_each(try_stem);
            }
        }
        best.map_or(self.other, |(_, category)| category)
    }
}

/// The token's singular candidates (`-s`, `-es`, `-ies` → `-y`), as keys.
fn singular_stems(buf: [u8; KEY_BYTES], len: usize) -> [Option<Key>; 3] {
    let ends = |suffix: &[u8]| len > suffix.len() && buf[..len].ends_with(suffix);
    let cut = |n: usize, y: bool| {
        let mut stem = buf;
        stem[len - n..len].fill(0);
        if y {
            stem[len - n] = b'y';
        }
        Key::from_padded(&stem)
    };
    [
        Some(cut(1, false)),
        ends(b"es").then(|| cut(2, false)),
        ends(b"ies").then(|| cut(3, true)),
    ]
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
            key.len() <= KEY_BYTES
                && key.split('-').all(|token| {
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
    compiled: OnceLock<(Index, Vec<C>)>,
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

    fn compiled(&self) -> &(Index, Vec<C>) {
        self.compiled.get_or_init(|| {
            let mut keys: Vec<(&'static str, C)> = self
                .groups
                .iter()
                .flat_map(|(category, keys)| keys.iter().map(move |key| (*key, *category)))
                .collect();
            keys.sort_by(|a, b| a.0.cmp(b.0));
            debug_assert_keys(&keys);
            let index = Index::new(
                keys.iter()
                    .enumerate()
                    .map(|(i, (key, _))| (key_of(key), i as u16, 0)),
            );
            (
                index,
                keys.into_iter().map(|(_, category)| category).collect(),
            )
        })
    }
}

/// The canonical form of `item` as a [`Key`], if it fits one.
fn canonical_key(item: &str) -> Option<Key> {
    if is_canonical(item) {
        let (buf, _) = Key::lowercase(item.as_bytes())?;
        return Some(Key::from_padded(&buf));
    }
    let mut buf = [0u8; KEY_BYTES];
    let mut len = 0;
    for c in canonical_chars(item) {
        if !c.is_ascii() || len == KEY_BYTES {
            return None;
        }
        buf[len] = c as u8;
        len += 1;
    }
    (len > 0).then(|| Key::from_padded(&buf))
}

impl<C: Copy + Send + Sync + 'static> Classify<C> for ExactTable<C> {
    fn classify(&self, item: &str) -> C {
        let (index, categories) = self.compiled();
        canonical_key(item)
            .and_then(|key| index.get(key))
            .map_or(self.other, |(i, _)| categories[usize::from(i)])
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
