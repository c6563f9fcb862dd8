//! Text canonicalisation and the in-place normalisers shared by the processors.
//!
//! Every normaliser checks first and rewrites only when something changes, so normalising an
//! already-normal value allocates nothing.

use std::borrow::Cow;
use std::collections::HashSet;
use std::str::Chars;

use crate::aliases;
use crate::vocab::{Gender, Vocab, Vocabulary};

/// The canonical kebab-case form of `raw`, produced lazily: surrounding whitespace, `-` and `_`
/// dropped; inner runs of whitespace, `-` and `_` become one `-`; everything lowercased.
pub(crate) fn canonical_chars(raw: &str) -> Canonical<'_> {
    Canonical {
        chars: raw.chars(),
        started: false,
        pending_dash: false,
        stash: None,
        lower: None,
    }
}

/// Iterator returned by [`canonical_chars`].
pub(crate) struct Canonical<'a> {
    chars: Chars<'a>,
    started: bool,
    pending_dash: bool,
    stash: Option<char>,
    lower: Option<std::char::ToLowercase>,
}

impl Iterator for Canonical<'_> {
    type Item = char;

    fn next(&mut self) -> Option<char> {
        if let Some(lower) = self.lower.as_mut() {
            if let Some(c) = lower.next() {
                return Some(c);
            }
            self.lower = None;
        }
        let c = match self.stash.take() {
            Some(c) => c,
            None => loop {
                let c = self.chars.next()?;
                if is_separator(c) {
                    self.pending_dash = self.started;
                    continue;
                }
                if self.pending_dash {
                    self.pending_dash = false;
                    self.stash = Some(c);
                    return Some('-');
                }
                break c;
            },
        };
        self.started = true;
        if c.is_ascii() {
            return Some(c.to_ascii_lowercase());
        }
        let mut lower = c.to_lowercase();
        let first = lower.next();
        self.lower = Some(lower);
        first
    }
}

fn is_separator(c: char) -> bool {
    c == '-' || c == '_' || c.is_whitespace()
}

/// True when `raw` already is its own canonical form.
pub(crate) fn is_canonical(raw: &str) -> bool {
    // Fast path for the common case: lowercase ASCII words joined by single dashes.
    let bytes = raw.as_bytes();
    if bytes.is_ascii() {
        let mut previous_dash = true;
        for &b in bytes {
            match b {
                b'-' if previous_dash => return false,
                b'-' => previous_dash = true,
                b'_' | b'A'..=b'Z' => return false,
                b if (b as char).is_whitespace() => return false,
                _ => previous_dash = false,
            }
        }
        return !previous_dash || bytes.is_empty();
    }
    canonical_chars(raw).eq(raw.chars())
}

/// The canonical form of `raw`, borrowed when it already is canonical.
pub(crate) fn canonical(raw: &str) -> Cow<'_, str> {
    if is_canonical(raw) {
        Cow::Borrowed(raw)
    } else {
        Cow::Owned(canonical_chars(raw).collect())
    }
}

/// True when `value` may have whitespace at either end (checked on the end bytes).
fn may_need_trim(value: &str) -> bool {
    let bytes = value.as_bytes();
    let edge = |b: u8| !b.is_ascii() || (b as char).is_whitespace();
    match (bytes.first(), bytes.last()) {
        (Some(&first), Some(&last)) => edge(first) || edge(last),
        _ => false,
    }
}

/// Trims `value` in place without reallocating.
pub(crate) fn trim(value: &mut String) {
    if !may_need_trim(value) {
        return;
    }
    let end = value.trim_end().len();
    value.truncate(end);
    let start = value.len() - value.trim_start().len();
    if start > 0 {
        value.drain(..start);
    }
}

/// Trims free text; a blank value becomes `None`.
pub(crate) fn text(slot: &mut Option<String>) {
    if let Some(value) = slot {
        trim(value);
        if value.is_empty() {
            *slot = None;
        }
    }
}

/// Whether list items are lowercased as well as trimmed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Case {
    /// Keep the writer's case (de-duplication is case-sensitive).
    Keep,
    /// Lowercase every item (de-duplication is then case-insensitive in effect).
    Lower,
}

fn lowercase(value: &mut String) {
    if value.bytes().all(|b| !b.is_ascii_uppercase()) {
        if value.is_ascii() {
            return;
        }
        if value.chars().flat_map(char::to_lowercase).eq(value.chars()) {
            return;
        }
    }
    if value.is_ascii() {
        value.make_ascii_lowercase();
    } else {
        *value = value.to_lowercase();
    }
}

/// Trims (and optionally lowercases) every item, drops empty ones and duplicates (first kept).
pub(crate) fn list(items: &mut Vec<String>, case: Case) {
    for item in items.iter_mut() {
        trim(item);
        if case == Case::Lower {
            lowercase(item);
        }
    }
    if items.iter().any(String::is_empty) {
        items.retain(|item| !item.is_empty());
    }
    dedup_keep_first(items, |item| item.as_str());
}

/// Removes later duplicates (by `key`), keeping the first occurrence and the order.
pub(crate) fn dedup_keep_first<T>(items: &mut Vec<T>, key: impl Fn(&T) -> &str) {
    // Lists are short: pairwise comparison beats hashing until they are not.
    const PAIRWISE_MAX: usize = 64;
    if items.len() <= PAIRWISE_MAX {
        let has_duplicate = items
            .iter()
            .enumerate()
            .any(|(i, item)| items[..i].iter().any(|seen| key(seen) == key(item)));
        if !has_duplicate {
            return;
        }
        let mut index = 0;
        while index < items.len() {
            let duplicate = items[..index]
                .iter()
                .any(|seen| key(seen) == key(&items[index]));
            if duplicate {
                items.remove(index);
            } else {
                index += 1;
            }
        }
        return;
    }
    let mut seen: HashSet<String> = HashSet::with_capacity(items.len());
    items.retain(|item| seen.insert(key(item).to_owned()));
}

/// Canonicalises a vocabulary value: kebab-case, then the alias table, then a fresh parse.
///
/// Returns `false` when the value is blank (the caller drops it).
pub(crate) fn vocab_value<T: Vocabulary>(value: &mut Vocab<T>) -> bool {
    // A known value of a closed vocabulary is canonical and never an alias source (tested in
    // `aliases`); only gender's self-descriptions need a look.
    if let Vocab::Known(known) = value
        && (T::NAME != Gender::NAME || T::VALUES.contains(&known.as_str()))
    {
        return true;
    }
    let raw = value.as_str();
    let canonical = canonical(raw);
    let target: &str = aliases::resolve(T::NAME, &canonical).unwrap_or(&canonical);
    if target.is_empty() {
        return false;
    }
    if target == raw && (matches!(value, Vocab::Known(_)) || T::parse(raw).is_none()) {
        return true;
    }
    // Lowercasing can lengthen a self-described gender past its cap: keep the valid original.
    if matches!(value, Vocab::Known(_)) && T::parse(target).is_none() {
        return true;
    }
    *value = Vocab::from_raw(target.to_owned());
    true
}

/// [`vocab_value`] for an optional field; a blank value becomes `None`.
pub(crate) fn vocab<T: Vocabulary>(slot: &mut Option<Vocab<T>>) {
    if let Some(value) = slot
        && !vocab_value(value)
    {
        *slot = None;
    }
}

/// [`vocab_value`] for every item; blank items and duplicates are dropped (first kept).
pub(crate) fn vocab_list<T: Vocabulary>(items: &mut Vec<Vocab<T>>) {
    items.retain_mut(vocab_value);
    dedup_keep_first(items, Vocab::as_str);
}

/// The alphanumeric tokens of `item`: runs of alphanumeric characters, split on anything else.
pub(crate) fn tokens(item: &str) -> Tokens<'_> {
    Tokens {
        item,
        at: 0,
        ascii: item.is_ascii(),
    }
}

/// Iterator returned by [`tokens`]; ASCII text is scanned byte by byte.
#[derive(Clone)]
pub(crate) struct Tokens<'a> {
    item: &'a str,
    at: usize,
    ascii: bool,
}

impl<'a> Tokens<'a> {
    /// Moves past the run of characters whose alphanumeric-ness is `want`.
    #[inline]
    fn skip_while(&mut self, want: bool) {
        let bytes = self.item.as_bytes();
        if self.ascii {
            let rest = &bytes[self.at..];
            self.at += rest
                .iter()
                .position(|b| b.is_ascii_alphanumeric() != want)
                .unwrap_or(rest.len());
            return;
        }
        while let Some(c) = self.item[self.at..].chars().next() {
            if c.is_alphanumeric() != want {
                break;
            }
            self.at += c.len_utf8();
        }
    }
}

impl<'a> Iterator for Tokens<'a> {
    type Item = &'a str;

    fn next(&mut self) -> Option<&'a str> {
        self.skip_while(false);
        let start = self.at;
        self.skip_while(true);
        (self.at > start).then(|| &self.item[start..self.at])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::demographics::Education;

    #[test]
    fn canonical_form() {
        for (raw, want) in [
            ("High_School", "high-school"),
            ("  prefer not  to_say ", "prefer-not-to-say"),
            ("--a--b--", "a-b"),
            ("ÉCOLE", "école"),
            ("", ""),
            (" _ - ", ""),
            ("bachelor's", "bachelor's"),
        ] {
            assert_eq!(canonical(raw), want, "{raw:?}");
            assert!(is_canonical(want), "{want:?}");
        }
        assert!(!is_canonical("High"));
        assert!(!is_canonical("a--b"));
        assert!(!is_canonical("-a"));
        assert!(!is_canonical("a\u{a0}b"));
    }

    #[test]
    fn trim_keeps_allocation_and_content() {
        let mut value = String::from("  hello world \n");
        let capacity = value.capacity();
        trim(&mut value);
        assert_eq!(value, "hello world");
        assert_eq!(value.capacity(), capacity);
        let mut slot = Some(" \t".to_owned());
        text(&mut slot);
        assert_eq!(slot, None);
    }

    #[test]
    fn lists_trim_drop_empty_and_dedupe() {
        let mut items: Vec<String> = [" Family", "family ", "", "  ", "Freedom", "FAMILY"]
            .map(String::from)
            .to_vec();
        list(&mut items, Case::Lower);
        assert_eq!(items, ["family", "freedom"]);
        let mut items: Vec<String> = ["Asthma", "asthma", " Asthma "].map(String::from).to_vec();
        list(&mut items, Case::Keep);
        assert_eq!(items, ["Asthma", "asthma"]);
        let mut many: Vec<String> = (0..200).map(|i| (i % 70).to_string()).collect();
        list(&mut many, Case::Keep);
        assert_eq!(many.len(), 70);
        assert_eq!(many[69], "69");
    }

    #[test]
    fn vocab_values_are_canonicalised_and_aliased() {
        let mut slot = Some(Vocab::<Education>::from_raw(" High_School "));
        vocab(&mut slot);
        assert_eq!(slot, Some(Vocab::Known(Education::HighSchool)));
        let mut slot = Some(Vocab::<Education>::from_raw("Bachelors"));
        vocab(&mut slot);
        assert_eq!(slot, Some(Vocab::Known(Education::Bachelor)));
        let mut slot = Some(Vocab::<Education>::from_raw("Graduate"));
        vocab(&mut slot);
        assert_eq!(slot, Some(Vocab::Unknown("graduate".into())));
        let mut slot = Some(Vocab::<Education>::from_raw("  "));
        vocab(&mut slot);
        assert_eq!(slot, None);
        let mut slot = Some(Vocab::<Gender>::from_raw("Woman"));
        vocab(&mut slot);
        assert_eq!(slot, Some(Vocab::Known(Gender::Female)));
        let long = format!("{}İ", "a".repeat(49));
        let mut slot = Some(Vocab::<Gender>::from_raw(long.clone()));
        vocab(&mut slot);
        assert_eq!(slot, Some(Vocab::Known(Gender::Other(long))));
        let mut slot = Some(Vocab::<Gender>::from_raw("Two Spirit"));
        vocab(&mut slot);
        assert_eq!(slot, Some(Vocab::Known(Gender::Other("two-spirit".into()))));
    }

    #[test]
    fn tokens_split_on_non_alphanumerics() {
        assert_eq!(
            tokens("Social-Media & e-mail!").collect::<Vec<_>>(),
            ["Social", "Media", "e", "mail"]
        );
        assert_eq!(tokens("  ").count(), 0);
        assert_eq!(
            tokens("café—crème brûlée, 日本").collect::<Vec<_>>(),
            ["café", "crème", "brûlée", "日本"]
        );
    }
}
