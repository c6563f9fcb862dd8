//! Grouped analysis results: [`Categories`] (items grouped by category) and the shared [`Amount`]
//! scale.
//!
//! # How items are categorised
//!
//! Two kinds of keyword tables come from the reference model:
//!
//! - **exact** tables (value, tradition, activism and cause categories, religious family): the item's
//!   canonical kebab-case form (trimmed, lowercased, spaces and `_` as `-`) must equal a key;
//! - **keyword** tables (everything else): the item is split into lowercase alphanumeric tokens
//!   (any other character separates, so `social-media` is `[social, media]`); a key, itself
//!   tokenised, matches when its tokens appear contiguously in the item's tokens. Keys are tried
//!   longest first (ties alphabetically) and the first match wins. A token also matches a key token
//!   followed by a plural `s` or `es`, or a key token ending in `y` with `ies` in its place
//!   (`eggs` is `egg`, `comedies` is `comedy`).
//!
//! Items matching no key fall under the table's `Other` category.
//!
//! The reference matched *substrings* in random hash-map order instead, so one item could land in a
//! different category on every call and `email` matched `ai`, `software` matched `war` and
//! `non-fiction` matched `fiction`. Here `email` is not technology, `software` is not a war movie and
//! `non-fiction` is non-fiction, every time.

use std::fmt;

use serde::ser::{SerializeMap, SerializeSeq};
use serde::{Serialize, Serializer};

/// Items grouped by category, in category order; within a category, in input order.
///
/// Serialises as a map from category to the list of its items, as the reference did
/// (`{"physical": ["running", "yoga"], "other": ["knitting"]}`).
#[derive(Clone, PartialEq, Eq)]
pub struct Categories<C, V = String> {
    // Sorted by category (stable), so each category's items form one run.
    entries: Vec<(C, V)>,
}

impl<C, V> Default for Categories<C, V> {
    fn default() -> Self {
        Categories {
            entries: Vec::new(),
        }
    }
}

impl<C: Ord + Copy, V> Categories<C, V> {
    /// No items.
    pub fn new() -> Self {
        Self::default()
    }

    /// Room for `capacity` items.
    pub(crate) fn with_capacity(capacity: usize) -> Self {
        Categories {
            entries: Vec::with_capacity(capacity),
        }
    }

    /// Adds `item` under `category`, after the items already there.
    pub fn push(&mut self, category: C, item: V) {
        let at = self.entries.partition_point(|(c, _)| *c <= category);
        self.entries.insert(at, (category, item));
    }

    /// The items of `category`, in input order.
    pub fn get(&self, category: C) -> impl ExactSizeIterator<Item = &V> + '_ {
        self.run(category).iter().map(|(_, item)| item)
    }

    /// Number of items in `category`.
    pub fn count(&self, category: C) -> usize {
        self.run(category).len()
    }

    /// True when `category` holds at least one item.
    pub fn contains(&self, category: C) -> bool {
        self.count(category) > 0
    }

    /// The categories holding at least one item, in order.
    pub fn categories(&self) -> impl Iterator<Item = C> + '_ {
        self.entries
            .iter()
            .enumerate()
            .filter(|(i, (c, _))| *i == 0 || self.entries[i - 1].0 != *c)
            .map(|(_, (c, _))| *c)
    }

    /// Number of distinct categories holding items.
    pub fn len(&self) -> usize {
        self.categories().count()
    }

    /// True when there are no items at all.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Number of items over all categories.
    pub fn total(&self) -> usize {
        self.entries.len()
    }

    /// Every `(category, item)` pair, grouped by category.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = (C, &V)> + '_ {
        self.entries.iter().map(|(c, item)| (*c, item))
    }

    fn run(&self, category: C) -> &[(C, V)] {
        let start = self.entries.partition_point(|(c, _)| *c < category);
        let end = self.entries.partition_point(|(c, _)| *c <= category);
        &self.entries[start..end]
    }
}

impl<C: Ord + Copy, V> FromIterator<(C, V)> for Categories<C, V> {
    fn from_iter<I: IntoIterator<Item = (C, V)>>(iter: I) -> Self {
        let mut categories = Categories::new();
        for (category, item) in iter {
            categories.push(category, item);
        }
        categories
    }
}

impl<C: fmt::Debug + Ord + Copy, V: fmt::Debug> fmt::Debug for Categories<C, V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut map = f.debug_map();
        for category in self.categories() {
            map.entry(&category, &Run(self.run(category)));
        }
        map.finish()
    }
}

struct Run<'a, C, V>(&'a [(C, V)]);

impl<C, V: fmt::Debug> fmt::Debug for Run<'_, C, V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list()
            .entries(self.0.iter().map(|(_, v)| v))
            .finish()
    }
}

impl<C, V: Serialize> Serialize for Run<'_, C, V> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut seq = serializer.serialize_seq(Some(self.0.len()))?;
        for (_, item) in self.0 {
            seq.serialize_element(item)?;
        }
        seq.end()
    }
}

impl<C: Serialize + Ord + Copy, V: Serialize> Serialize for Categories<C, V> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.len()))?;
        for category in self.categories() {
            map.serialize_entry(&category, &Run(self.run(category)))?;
        }
        map.end()
    }
}

/// How much of something there is: `none`, `low`, `moderate`, `high`, `very-high`.
///
/// Used for counts bucketed by the reference (trauma burden, activism level, social engagement,
/// media diversity). Five-level judgements without a `none` use
/// [`Level`](crate::psychographics::Level).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Amount {
    /// Nothing.
    None,
    /// A little.
    Low,
    /// Some.
    Moderate,
    /// A lot.
    High,
    /// Very much.
    VeryHigh,
}

impl Amount {
    /// Buckets `count` with the upper bounds of `low`, `moderate` and `high` (0 is `none`; above
    /// `high_max` is `very-high`).
    pub const fn bucket(
        count: usize,
        low_max: usize,
        moderate_max: usize,
        high_max: usize,
    ) -> Self {
        match count {
            0 => Amount::None,
            n if n <= low_max => Amount::Low,
            n if n <= moderate_max => Amount::Moderate,
            n if n <= high_max => Amount::High,
            _ => Amount::VeryHigh,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_by_category_in_input_order() {
        let mut c: Categories<u8> = Categories::new();
        c.push(2, "b1".into());
        c.push(1, "a1".into());
        c.push(2, "b2".into());
        c.push(1, "a2".into());
        assert_eq!(c.get(1).collect::<Vec<_>>(), ["a1", "a2"]);
        assert_eq!(c.get(2).collect::<Vec<_>>(), ["b1", "b2"]);
        assert_eq!(c.count(3), 0);
        assert_eq!(c.len(), 2);
        assert_eq!(c.total(), 4);
        assert_eq!(c.categories().collect::<Vec<_>>(), [1, 2]);
        assert_eq!(
            serde_json::to_string(&c).unwrap(),
            r#"{"1":["a1","a2"],"2":["b1","b2"]}"#
        );
        assert_eq!(format!("{c:?}"), r#"{1: ["a1", "a2"], 2: ["b1", "b2"]}"#);
    }

    #[test]
    fn amount_buckets() {
        let b = |n| Amount::bucket(n, 2, 5, 10);
        assert_eq!(
            [0, 1, 2, 3, 5, 6, 10, 11].map(b),
            [
                Amount::None,
                Amount::Low,
                Amount::Low,
                Amount::Moderate,
                Amount::Moderate,
                Amount::High,
                Amount::High,
                Amount::VeryHigh
            ]
        );
    }
}
