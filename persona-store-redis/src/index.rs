//! Which index entries a record state owns, and the commands that move one state's entries to
//! another's.
//!
//! Index layout of a namespace (suffixes after `{prefix:namespace}:`; members are ids unless said):
//!
//! | key | type | holds |
//! |---|---|---|
//! | `ids:<kind>` | sorted set, all scores 0 | live ids of the kind (lexicographic = bytewise order) |
//! | `refs:<persona>` | set | identities, live or soft-deleted, of the persona (purge check) |
//! | `i:p:<persona>`, `i:a:<0\|1>`, `i:t:<tag>`, `i:w:<token>` | set | live identities by persona, active flag, tag, text token |
//! | `i:g:`, `i:c:`, `i:r:`, `i:ci:`, `i:e:`, `i:o:`, `i:pl:` + value | set | live identities by gender, country, region, city, education, occupation, political leaning |
//! | `n:age`, `n:t0` … `n:t4` | sorted set, score = value | live identities with an age / Big Five scores (OCEAN order) |
//! | `o:c`, `o:u`, `o:n`, `o:a` | sorted set, all scores 0 | sort members `enc(value) ‖ id` by created, updated, name, age |
//! | `v:c`, `v:u`, `v:n`, `v:a` | hash | id → its sort member (for sorting a candidate set and for time-range checks) |
//! | `v:fg`, `v:fc`, `v:fe`, `v:fa`, `v:fp` | hash | id → facet value (gender, country, education, age group, political spectrum) |

use std::collections::{BTreeMap, HashMap};

use persona_core::query::{Facet, IndexFields, SortKey, trait_index};
use persona_core::{AnyRecord, Kind};

use crate::keys;

/// How an entry is stored.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Slot {
    /// A set member.
    Set,
    /// A sorted-set member with this score (formatted so that Redis parses the same `f64`).
    Zset(String),
    /// A hash field with this value.
    Hash(Vec<u8>),
}

/// `(key suffix, member or field)` → how it is stored.
pub(crate) type Entries = HashMap<(String, Vec<u8>), Slot>;

/// The sort keys and the suffix of their sorted set / hash.
pub(crate) const SORTS: [(SortKey, &str); 4] = [
    (SortKey::Created, "c"),
    (SortKey::Updated, "u"),
    (SortKey::Name, "n"),
    (SortKey::Age, "a"),
];

/// The suffix of the sort index of `key`.
pub(crate) fn sort_suffix(key: SortKey) -> &'static str {
    match key {
        SortKey::Created => "c",
        SortKey::Updated => "u",
        SortKey::Name => "n",
        SortKey::Age => "a",
    }
}

/// The suffix of the facet hash of `facet`.
pub(crate) fn facet_suffix(facet: Facet) -> &'static str {
    match facet {
        Facet::Gender => "fg",
        Facet::Country => "fc",
        Facet::Education => "fe",
        Facet::AgeGroup => "fa",
        Facet::PoliticalSpectrum => "fp",
    }
}

const FACETS: [Facet; 5] = [
    Facet::Gender,
    Facet::Country,
    Facet::Education,
    Facet::AgeGroup,
    Facet::PoliticalSpectrum,
];

/// A score as Redis reads it back: Rust's shortest round-trip form, parsed by `strtod` to the
/// same `f64`.
pub(crate) fn score(value: f64) -> String {
    if value.is_infinite() {
        if value > 0.0 { "+inf" } else { "-inf" }.to_owned()
    } else {
        format!("{value:?}")
    }
}

/// The entries a record owns in state `deleted`.
pub(crate) fn entries(record: &AnyRecord, deleted: bool) -> Entries {
    let mut out = Entries::new();
    let id = record.id_str();
    let mut set = |key: String| {
        out.insert((key, id.as_bytes().to_vec()), Slot::Set);
    };
    let Some(identity) = record.as_identity() else {
        if !deleted {
            out.insert(
                (keys::ids(record.kind()), id.as_bytes().to_vec()),
                Slot::Zset("0".to_owned()),
            );
        }
        return out;
    };
    set(keys::refs(identity.persona_id.as_str()));
    if deleted {
        return out;
    }
    let fields = IndexFields::of(identity);
    set(format!("i:p:{}", fields.persona_id));
    set(format!("i:a:{}", u8::from(fields.active)));
    for tag in &fields.tags {
        set(format!("i:t:{tag}"));
    }
    for token in &fields.tokens {
        set(format!("i:w:{token}"));
    }
    for (prefix, value) in [
        ("g", &fields.gender),
        ("c", &fields.country),
        ("r", &fields.region),
        ("ci", &fields.city),
        ("e", &fields.education),
        ("o", &fields.occupation),
        ("pl", &fields.political_leaning),
    ] {
        if let Some(value) = value {
            set(format!("i:{prefix}:{value}"));
        }
    }
    let member = || id.as_bytes().to_vec();
    out.insert(
        (keys::ids(Kind::Identity), member()),
        Slot::Zset("0".into()),
    );
    if let Some(age) = fields.age {
        out.insert(("n:age".into(), member()), Slot::Zset(age.to_string()));
    }
    if let Some(traits) = fields.traits {
        for which in persona_core::attributes::psychographics::Trait::ALL {
            let i = trait_index(which);
            out.insert((format!("n:t{i}"), member()), Slot::Zset(score(traits[i])));
        }
    }
    for (key, suffix) in SORTS {
        let sort = keys::sort_member(&fields.sort_value(key), id);
        out.insert(
            (format!("o:{suffix}"), sort.clone()),
            Slot::Zset("0".into()),
        );
        out.insert((format!("v:{suffix}"), member()), Slot::Hash(sort));
    }
    for facet in FACETS {
        if let Some(value) = fields.facet_value(facet) {
            out.insert(
                (format!("v:{}", facet_suffix(facet)), member()),
                Slot::Hash(value.into_bytes()),
            );
        }
    }
    out
}

/// Redis commands, grouped by command and key, that turn entries `old` into entries `new`.
///
/// For each `(key, member)` only one of removal or addition happens, so the commands commute.
#[derive(Debug, Default)]
pub(crate) struct Changes {
    /// `(command, key suffix)` → arguments after the key.
    pub(crate) commands: BTreeMap<(&'static str, String), Vec<Vec<u8>>>,
}

impl Changes {
    /// Adds the commands for one record.
    pub(crate) fn diff(&mut self, old: &Entries, new: &Entries) {
        for ((key, member), slot) in old {
            if new.contains_key(&(key.clone(), member.clone())) {
                continue;
            }
            let cmd = match slot {
                Slot::Set => "SREM",
                Slot::Zset(_) => "ZREM",
                Slot::Hash(_) => "HDEL",
            };
            self.push(cmd, key, [member.clone()]);
        }
        for ((key, member), slot) in new {
            if old.get(&(key.clone(), member.clone())) == Some(slot) {
                continue;
            }
            match slot {
                Slot::Set => self.push("SADD", key, [member.clone()]),
                Slot::Zset(score) => {
                    self.push("ZADD", key, [score.clone().into_bytes(), member.clone()]);
                }
                Slot::Hash(value) => self.push("HSET", key, [member.clone(), value.clone()]),
            }
        }
    }

    /// Adds one command's arguments.
    pub(crate) fn push<const N: usize>(
        &mut self,
        cmd: &'static str,
        key: &str,
        args: [Vec<u8>; N],
    ) {
        self.commands
            .entry((cmd, key.to_owned()))
            .or_default()
            .extend(args);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use persona_core::{Identity, Record};

    #[test]
    fn diff_moves_only_what_changed() {
        let mut identity = Identity::new("p1".into(), "Ann Lee");
        identity.tags = vec!["a".into(), "b".into()];
        let before = entries(&identity.clone().into_any(), false);
        identity.tags = vec!["b".into(), "c".into()];
        identity.name = "Ann Ray".into();
        let after = entries(&identity.clone().into_any(), false);
        let mut changes = Changes::default();
        changes.diff(&before, &after);
        let keys: Vec<_> = changes
            .commands
            .keys()
            .map(|(c, k)| format!("{c} {k}"))
            .collect();
        assert!(keys.contains(&"SREM i:t:a".to_owned()));
        assert!(keys.contains(&"SADD i:t:c".to_owned()));
        assert!(keys.contains(&"SREM i:w:lee".to_owned()));
        assert!(keys.contains(&"SADD i:w:ray".to_owned()));
        assert!(keys.contains(&"HSET v:n".to_owned()));
        assert!(
            !keys
                .iter()
                .any(|k| k.ends_with("i:t:b") || k.ends_with("i:w:ann"))
        );

        let deleted = entries(&identity.clone().into_any(), true);
        assert_eq!(
            deleted.len(),
            1,
            "a deleted identity keeps only its persona reference"
        );
    }

    #[test]
    fn scores_round_trip() {
        for v in [0.1, 1.0 / 3.0, -0.0, 1e-300, f64::MAX] {
            assert_eq!(score(v).parse::<f64>().unwrap().to_bits(), v.to_bits());
        }
        assert_eq!(score(f64::INFINITY), "+inf");
    }
}
