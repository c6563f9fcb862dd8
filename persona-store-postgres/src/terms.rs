//! Exact-match query values as `tsvector` lexemes, and filters as `tsquery` expressions.
//!
//! The database never tokenises or normalises. At every write, each value an exact-match filter
//! compares (from [`IndexFields`]: text tokens, tags, persona, active flag, gender, folded country,
//! region, city and occupation, education, political leaning) becomes one lexeme with a one-letter
//! prefix naming its field (`w:` word, `t:` tag, `p:` persona, `a:` active, `g:` gender,
//! `c:` country, `r:` region, `y:` city, `e:` education, `o:` occupation, `l:` leaning), and the
//! set is stored through `array_to_tsvector`, which keeps strings verbatim. A filter becomes a
//! `tsquery` of quoted lexemes (`'c:us' | 'c:fr'` for "any of", `&` between fields and between
//! text words), which the server also takes verbatim. `@@` therefore compares whole strings
//! exactly, which is the reference semantics, and one GIN index serves every such filter.
//!
//! A lexeme holds at most 2,047 bytes and the terms travel to the server joined by U+001F, so a
//! value longer than [`MAX_LEXEME_BYTES`] or containing U+001F is stored and searched as its field
//! prefix, `#` and a 128-bit FNV-1a hash of the value. Hashes never equal a real value's lexeme
//! of the same field, so matching stays exact up to hash collisions between two such values.
//!
//! [`IndexFields`]: persona_core::query::IndexFields

use std::fmt::Write as _;

use persona_core::query::{self, Filter, IndexFields};

/// Values longer than this many bytes are indexed by their hash.
pub(crate) const MAX_LEXEME_BYTES: usize = 512;

/// Separates the terms of one record on their way to `string_to_array`.
pub(crate) const SEPARATOR: char = '\u{1f}';

fn fnv1a_128(bytes: &[u8]) -> u128 {
    const OFFSET: u128 = 0x6c62_272e_07bb_0142_62b8_2175_6295_c58d;
    const PRIME: u128 = 0x0000_0000_0100_0000_0000_0000_0000_013b;
    bytes.iter().fold(OFFSET, |hash, byte| {
        (hash ^ u128::from(*byte)).wrapping_mul(PRIME)
    })
}

/// Appends the lexeme of `value` under `prefix` (e.g. `"c:"`) to `out`.
fn push_lexeme(out: &mut String, prefix: &str, value: &str) {
    out.push_str(prefix);
    if value.len() > MAX_LEXEME_BYTES || value.contains(SEPARATOR) {
        let _ = write!(out, "#{:032x}", fnv1a_128(value.as_bytes()));
    } else {
        out.push_str(value);
    }
}

/// Every term of a record, sorted bytewise and de-duplicated (the order `tsvector` keeps).
pub(crate) fn record_lexemes(fields: &IndexFields) -> Vec<String> {
    let mut out = Vec::with_capacity(fields.tokens.len() + fields.tags.len() + 9);
    let mut add = |prefix: &str, value: &str| {
        let mut lexeme = String::with_capacity(prefix.len() + value.len());
        push_lexeme(&mut lexeme, prefix, value);
        out.push(lexeme);
    };
    for token in &fields.tokens {
        add("w:", token);
    }
    for tag in &fields.tags {
        add("t:", tag);
    }
    add("p:", &fields.persona_id);
    add("a:", if fields.active { "true" } else { "false" });
    let optional = [
        ("g:", &fields.gender),
        ("c:", &fields.country),
        ("r:", &fields.region),
        ("y:", &fields.city),
        ("e:", &fields.education),
        ("o:", &fields.occupation),
        ("l:", &fields.political_leaning),
    ];
    for (prefix, value) in optional {
        if let Some(value) = value {
            add(prefix, value);
        }
    }
    out.sort_unstable();
    out.dedup();
    out
}

/// [`record_lexemes`] joined by [`SEPARATOR`], for `string_to_array`.
pub(crate) fn record_terms(fields: &IndexFields) -> String {
    record_lexemes(fields).join(&SEPARATOR.to_string())
}

/// Builds a `tsquery`: groups joined by `&`, values inside a group joined by `|`.
#[derive(Default)]
struct TsQuery(String);

impl TsQuery {
    fn quoted(&mut self, prefix: &str, value: &str) {
        let mut lexeme = String::with_capacity(prefix.len() + value.len());
        push_lexeme(&mut lexeme, prefix, value);
        self.0.push('\'');
        for c in lexeme.chars() {
            if c == '\'' || c == '\\' {
                self.0.push('\\');
            }
            self.0.push(c);
        }
        self.0.push('\'');
    }

    fn and(&mut self) {
        if !self.0.is_empty() {
            self.0.push_str(" & ");
        }
    }

    /// Requires every one of `values`.
    fn all<'v>(&mut self, prefix: &str, values: impl IntoIterator<Item = &'v str>) {
        for value in values {
            self.and();
            self.quoted(prefix, value);
        }
    }

    /// Requires one of `values` (no constraint when there are none).
    fn any<'v>(&mut self, prefix: &str, values: impl IntoIterator<Item = &'v str>) {
        let mut values = values.into_iter().peekable();
        if values.peek().is_none() {
            return;
        }
        self.and();
        self.0.push('(');
        let mut first = true;
        for value in values {
            if !first {
                self.0.push_str(" | ");
            }
            first = false;
            self.quoted(prefix, value);
        }
        self.0.push(')');
    }
}

/// The `tsquery` for every exact-match constraint of `filter`, or `None` when it has none.
///
/// Folded fields are folded here as [`Matcher`](persona_core::query::Matcher) folds them: a list
/// whose values are all blank does not constrain.
///
/// With `countries` false the countries are left out (the caller compares them on the `country`
/// column instead).
pub(crate) fn filter_query(filter: &Filter, countries: bool) -> Option<String> {
    let folded = |values: &[String]| -> Vec<String> {
        values.iter().filter_map(|v| query::fold(v)).collect()
    };
    let mut q = TsQuery::default();
    q.all("w:", query::query_words(filter).iter().map(String::as_str));
    q.any("t:", filter.tags_any.iter().map(String::as_str));
    q.all("t:", filter.tags_all.iter().map(String::as_str));
    q.any("p:", filter.persona_ids.iter().map(|p| p.as_str()));
    if let Some(active) = filter.active {
        q.all("a:", [if active { "true" } else { "false" }]);
    }
    q.any("g:", filter.genders.iter().map(String::as_str));
    if countries {
        q.any("c:", folded(&filter.countries).iter().map(String::as_str));
    }
    q.any("r:", folded(&filter.regions).iter().map(String::as_str));
    q.any("y:", folded(&filter.cities).iter().map(String::as_str));
    q.any("e:", filter.educations.iter().map(String::as_str));
    q.any("o:", folded(&filter.occupations).iter().map(String::as_str));
    q.any("l:", filter.political_leanings.iter().map(String::as_str));
    (!q.0.is_empty()).then_some(q.0)
}

/// The `tsquery` matching identities of `persona_id` (for purge's reference count).
pub(crate) fn persona_query(persona_id: &str) -> String {
    let mut q = TsQuery::default();
    q.all("p:", [persona_id]);
    q.0
}

#[cfg(test)]
mod tests {
    use super::*;
    use persona_core::Identity;

    #[test]
    fn long_or_separator_values_are_hashed() {
        let mut out = String::new();
        push_lexeme(&mut out, "w:", &"a".repeat(MAX_LEXEME_BYTES + 1));
        assert!(out.starts_with("w:#"));
        assert_eq!(out.len(), 2 + 33);
        let mut other = String::new();
        push_lexeme(&mut other, "w:", &"a".repeat(MAX_LEXEME_BYTES + 2));
        assert_ne!(out, other);
        let mut sep = String::new();
        push_lexeme(&mut sep, "t:", "a\u{1f}b");
        assert!(sep.starts_with("t:#") && !sep.contains(SEPARATOR));
    }

    #[test]
    fn records_and_filters_use_the_same_lexemes() {
        let mut identity = Identity::new("p1".into(), "Élodie O'Brien");
        identity.tags = vec!["vip guest".into()];
        let fields = IndexFields::of(&identity);
        let joined = record_terms(&fields);
        let terms: Vec<&str> = joined.split(SEPARATOR).collect();
        assert!(terms.windows(2).all(|w| w[0] < w[1]), "sorted and unique");
        assert!(
            terms.contains(&"w:élodie") && terms.contains(&"w:o") && terms.contains(&"w:brien")
        );
        assert!(
            terms.contains(&"t:vip guest") && terms.contains(&"p:p1") && terms.contains(&"a:true")
        );

        let filter = Filter {
            text: Some("O'BRIEN élodie".into()),
            tags_any: vec!["vip guest".into(), "it's".into()],
            countries: vec![" ".into()],
            active: Some(false),
            ..Filter::default()
        };
        assert_eq!(
            filter_query(&filter, true).unwrap(),
            "'w:brien' & 'w:o' & 'w:élodie' & ('t:vip guest' | 't:it\\'s') & 'a:false'"
        );
        assert!(filter_query(&Filter::default(), true).is_none());
        assert_eq!(persona_query("p1"), "'p:p1'");
    }
}
