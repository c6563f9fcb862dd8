//! Which index entries a record state owns, the per-record values kept in its record hash, and
//! the grouped commands that move one state's entries to another's.
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
//! | `n:ca:<country>` | sorted set, score = age | live identities with that (folded) country and an age: the country + age-range slice in one range read |
//! | `o:c`, `o:u`, `o:n`, `o:a` | sorted set, all scores 0 | sort members `enc(value) ‖ id` by created, updated, name, age |
//! | `o:c:<country>` | sorted set, all scores 0 | the created sort members of one (folded) country's live identities: a page in created order filtered on one country walks only that country |
//! | `o:ca:<age>:<country>` | sorted set, all scores 0 | the created sort members of one (folded) country's live identities of one age: a page in created order on one country and a short age range merges these few sets and reads only identities that pass both |
//! | `fc:<1..5>` | hash | per facet (in [`FACETS`] order), live identities per value: facets of a whole namespace in one read |
//!
//! Per-record values that queries read for one candidate at a time (its sort encodings for
//! sorting a sparse candidate set and for time windows, its facet values) are two fields of the
//! record's own hash (`o` and `f`, see [`record_fields`]), written by the same `HSET` as its
//! document: two small fields of a hash that exists anyway, instead of one field per record in
//! each of nine namespace-wide hashes.

use std::collections::{BTreeMap, HashMap};

use persona_core::query::{Facet, IndexFields, SortKey, trait_index};
use persona_core::{AnyRecord, Kind};

use crate::keys;

/// The suffix of the sort index of `key`.
pub(crate) fn sort_suffix(key: SortKey) -> &'static str {
    match key {
        SortKey::Created => "c",
        SortKey::Updated => "u",
        SortKey::Name => "n",
        SortKey::Age => "a",
    }
}

/// The facets, in the order of the record hash's `f` field.
pub(crate) const FACETS: [Facet; 5] = [
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

/// Calls `sink(key, member, score)` for every index entry of a record in state `deleted`
/// (`score` is `None` for set members). `fields` must be `IndexFields::of` the identity.
pub(crate) fn visit(
    record: &AnyRecord,
    fields: Option<&IndexFields>,
    deleted: bool,
    sink: &mut impl FnMut(&str, &[u8], Option<f64>),
) {
    let id = record.id_str().as_bytes();
    let Some(identity) = record.as_identity() else {
        if !deleted {
            sink(&keys::ids(record.kind()), id, Some(0.0));
        }
        return;
    };
    let mut key = String::with_capacity(64);
    // keys are built with push_str: this runs ~50 times per identity written
    let mut set = |key: &mut String, prefix: &str, value: &str| {
        key.clear();
        key.push_str(prefix);
        key.push_str(value);
        sink(key, id, None);
    };
    set(&mut key, "refs:", identity.persona_id.as_str());
    if deleted {
        return;
    }
    let owned;
    let fields = match fields {
        Some(fields) => fields,
        None => {
            owned = IndexFields::of(identity);
            &owned
        }
    };
    set(&mut key, "i:p:", &fields.persona_id);
    set(&mut key, "i:a:", if fields.active { "1" } else { "0" });
    for tag in &fields.tags {
        set(&mut key, "i:t:", tag);
    }
    for token in &fields.tokens {
        set(&mut key, "i:w:", token);
    }
    for (prefix, value) in [
        ("i:g:", &fields.gender),
        ("i:c:", &fields.country),
        ("i:r:", &fields.region),
        ("i:ci:", &fields.city),
        ("i:e:", &fields.education),
        ("i:o:", &fields.occupation),
        ("i:pl:", &fields.political_leaning),
    ] {
        if let Some(value) = value {
            set(&mut key, prefix, value);
        }
    }
    sink(&keys::ids(Kind::Identity), id, Some(0.0));
    if let Some(age) = fields.age {
        sink("n:age", id, Some(f64::from(age)));
        if let Some(country) = &fields.country {
            key.clear();
            key.push_str("n:ca:");
            key.push_str(country);
            sink(&key, id, Some(f64::from(age)));
        }
    }
    if let Some(traits) = fields.traits {
        const KEYS: [&str; 5] = ["n:t0", "n:t1", "n:t2", "n:t3", "n:t4"];
        for which in persona_core::attributes::psychographics::Trait::ALL {
            let i = trait_index(which);
            sink(KEYS[i], id, Some(traits[i]));
        }
    }
    let mut member = Vec::with_capacity(64);
    for (sort, index) in [
        (SortKey::Created, "o:c"),
        (SortKey::Updated, "o:u"),
        (SortKey::Name, "o:n"),
        (SortKey::Age, "o:a"),
    ] {
        member.clear();
        keys::sort_prefix(&fields.sort_value(sort), &mut member);
        member.extend_from_slice(id);
        sink(index, &member, Some(0.0));
        if sort == SortKey::Created
            && let Some(country) = &fields.country
        {
            key_buf_country(&mut key, country);
            sink(&key, &member, Some(0.0));
            if let Some(age) = fields.age {
                key_buf_country_age(&mut key, country, age);
                sink(&key, &member, Some(0.0));
            }
        }
    }
}

/// `o:c:<country>`: the created sort index of one (folded) country's identities.
pub(crate) fn created_by_country(country: &str) -> String {
    let mut key = String::new();
    key_buf_country(&mut key, country);
    key
}

/// `o:ca:<age>:<country>`: the created sort index of one (folded) country's identities of one
/// age.
pub(crate) fn created_by_country_age(country: &str, age: i32) -> String {
    let mut key = String::new();
    key_buf_country_age(&mut key, country, age);
    key
}

fn key_buf_country_age(key: &mut String, country: &str, age: i32) {
    key.clear();
    key.push_str("o:ca:");
    key.push_str(&age.to_string());
    key.push(':');
    key.push_str(country);
}

fn key_buf_country(key: &mut String, country: &str) {
    key.clear();
    key.push_str("o:c:");
    key.push_str(country);
}

/// The two fields a live identity keeps in its record hash besides its document:
///
/// - `o`: the encodings of its sort values (each the sort member without the id) — created,
///   updated and age as 16 hex digits each, then the name's encoding (to the end);
/// - `f`: its facet values in [`FACETS`] order, each `-` when absent or `<length>:<bytes>`.
pub(crate) fn record_fields(fields: &IndexFields) -> [Vec<u8>; 2] {
    let mut sorts = Vec::with_capacity(64 + fields.name.len());
    for sort in [
        SortKey::Created,
        SortKey::Updated,
        SortKey::Age,
        SortKey::Name,
    ] {
        keys::sort_prefix(&fields.sort_value(sort), &mut sorts);
    }
    let mut facets = Vec::with_capacity(48);
    for facet in FACETS {
        match fields.facet_value(facet) {
            Some(value) => {
                facets.extend_from_slice(value.len().to_string().as_bytes());
                facets.push(b':');
                facets.extend_from_slice(value.as_bytes());
            }
            None => facets.push(b'-'),
        }
    }
    [sorts, facets]
}

/// The position of a facet's value in the record hash's `f` field (1-based, for the scripts).
pub(crate) fn facet_position(facet: Facet) -> usize {
    match facet {
        Facet::Gender => 1,
        Facet::Country => 2,
        Facet::Education => 3,
        Facet::AgeGroup => 4,
        Facet::PoliticalSpectrum => 5,
    }
}

/// The index commands of a write.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Verb {
    /// `SADD key member…`
    Sadd,
    /// `SREM key member…`
    Srem,
    /// `ZADD key score member…`
    Zadd,
    /// `ZREM key member…`
    Zrem,
}

impl Verb {
    fn name(self) -> &'static str {
        match self {
            Verb::Sadd => "SADD",
            Verb::Srem => "SREM",
            Verb::Zadd => "ZADD",
            Verb::Zrem => "ZREM",
        }
    }
}

/// The members of one command on one key: bytes kept back to back in one buffer.
struct Group {
    verb: Verb,
    key: String,
    data: Vec<u8>,
    /// `(score, start, end)` of each member in `data`.
    members: Vec<(f64, usize, usize)>,
}

/// Index commands grouped by command and key across a whole batch, so that a batch of many
/// records sends one command per key (the identities of a batch share most of their keys).
///
/// For each `(key, member)` at most one of removal or addition is recorded, so the commands
/// commute and their order does not matter.
#[derive(Default)]
pub(crate) struct Commands {
    lookup: [HashMap<String, usize>; 4],
    groups: Vec<Group>,
    /// Net change of each facet counter, by facet position and value, across the batch.
    counts: BTreeMap<(usize, String), i64>,
    /// Other commands (`DEL`, `SET`, `STRIP`) with their arguments, after the grouped ones.
    pub(crate) other: Vec<(&'static str, String, Vec<Vec<u8>>)>,
}

impl Commands {
    /// Adds `member` (with `score` for sorted sets) to the command `verb` on `key`.
    pub(crate) fn push(&mut self, verb: Verb, key: &str, member: &[u8], score: f64) {
        let lookup = &mut self.lookup[verb as usize];
        let index = match lookup.get(key) {
            Some(&index) => index,
            None => {
                lookup.insert(key.to_owned(), self.groups.len());
                self.groups.push(Group {
                    verb,
                    key: key.to_owned(),
                    data: Vec::new(),
                    members: Vec::new(),
                });
                self.groups.len() - 1
            }
        };
        let group = &mut self.groups[index];
        let start = group.data.len();
        group.data.extend_from_slice(member);
        group.members.push((score, start, group.data.len()));
    }

    /// Counts a live identity's facet values `delta` times (+1 when it becomes live, -1 when it
    /// stops being).
    fn count(
        &mut self,
        record: &AnyRecord,
        fields: Option<&IndexFields>,
        deleted: bool,
        delta: i64,
    ) {
        let Some(identity) = record.as_identity() else {
            return;
        };
        if deleted {
            return;
        }
        let owned;
        let fields = match fields {
            Some(fields) => fields,
            None => {
                owned = IndexFields::of(identity);
                &owned
            }
        };
        for facet in FACETS {
            if let Some(value) = fields.facet_value(facet) {
                *self
                    .counts
                    .entry((facet_position(facet), value))
                    .or_default() += delta;
            }
        }
    }

    /// The facet counters that change, one `COUNT` command per facet.
    fn count_commands(&self) -> BTreeMap<usize, Vec<(&str, i64)>> {
        let mut out: BTreeMap<usize, Vec<(&str, i64)>> = BTreeMap::new();
        for ((position, value), delta) in &self.counts {
            if *delta != 0 {
                out.entry(*position).or_default().push((value, *delta));
            }
        }
        out
    }

    /// Adds every entry of a record that did not exist before.
    pub(crate) fn add_all(
        &mut self,
        record: &AnyRecord,
        fields: Option<&IndexFields>,
        deleted: bool,
    ) {
        self.count(record, fields, deleted, 1);
        visit(
            record,
            fields,
            deleted,
            &mut |key, member, score| match score {
                None => self.push(Verb::Sadd, key, member, 0.0),
                Some(score) => self.push(Verb::Zadd, key, member, score),
            },
        );
    }

    /// Removes every entry of a record (for a purge).
    pub(crate) fn remove_all(&mut self, record: &AnyRecord, deleted: bool) {
        self.count(record, None, deleted, -1);
        visit(record, None, deleted, &mut |key, member, score| {
            let verb = if score.is_some() {
                Verb::Zrem
            } else {
                Verb::Srem
            };
            self.push(verb, key, member, 0.0);
        });
    }

    /// Adds the commands that turn the entries of `old` into those of `new`.
    pub(crate) fn diff(
        &mut self,
        old: (&AnyRecord, bool),
        new: (&AnyRecord, Option<&IndexFields>, bool),
    ) {
        self.count(old.0, None, old.1, -1);
        self.count(new.0, new.1, new.2, 1);
        type Key = (String, Vec<u8>);
        let mut before: HashMap<Key, Option<f64>> = HashMap::new();
        visit(old.0, None, old.1, &mut |key, member, score| {
            before.insert((key.to_owned(), member.to_vec()), score);
        });
        let mut added: Vec<(Key, Option<f64>)> = Vec::new();
        visit(new.0, new.1, new.2, &mut |key, member, score| {
            let entry = (key.to_owned(), member.to_vec());
            match before.remove(&entry) {
                // Unchanged, or a sorted-set member whose score changes (`ZADD` updates it in
                // place, so the member is not removed).
                Some(old) if old.map(f64::to_bits) == score.map(f64::to_bits) => {}
                _ => added.push((entry, score)),
            }
        });
        for ((key, member), score) in before {
            let verb = if score.is_some() {
                Verb::Zrem
            } else {
                Verb::Srem
            };
            self.push(verb, &key, &member, 0.0);
        }
        for ((key, member), score) in added {
            match score {
                None => self.push(Verb::Sadd, &key, &member, 0.0),
                Some(score) => self.push(Verb::Zadd, &key, &member, score),
            }
        }
    }

    /// Number of commands.
    pub(crate) fn len(&self) -> usize {
        self.groups.len() + self.other.len() + self.count_commands().len()
    }

    /// Writes `name, key suffix, args` for every command, `args` being one MessagePack array of
    /// strings (the script unpacks it with `cmsgpack`): one script argument per command instead
    /// of one per member, which Redis parses and hands to Lua faster.
    ///
    /// `ZADD` members are written in descending `(score, member)` order: a sorted set created by
    /// this batch starts in the compact listpack encoding, where each insertion scans from the
    /// smallest element, so descending input makes every insertion stop at the first element
    /// instead of scanning (and parsing the scores of) the whole list.
    pub(crate) fn write(mut self, out: &mut impl redis::RedisWrite) {
        let mut packed = Vec::new();
        for group in &mut self.groups {
            out.write_arg(group.verb.name().as_bytes());
            out.write_arg(group.key.as_bytes());
            let data = &group.data;
            packed.clear();
            if group.verb == Verb::Zadd {
                group.members.sort_unstable_by(|a, b| {
                    b.0.total_cmp(&a.0)
                        .then_with(|| data[b.1..b.2].cmp(&data[a.1..a.2]))
                });
                msgpack::array(&mut packed, 2 * group.members.len());
                for &(value, start, end) in &group.members {
                    if value.to_bits() == 0 {
                        msgpack::string(&mut packed, b"0");
                    } else {
                        msgpack::string(&mut packed, score(value).as_bytes());
                    }
                    msgpack::string(&mut packed, &data[start..end]);
                }
            } else {
                msgpack::array(&mut packed, group.members.len());
                for &(_, start, end) in &group.members {
                    msgpack::string(&mut packed, &data[start..end]);
                }
            }
            out.write_arg(&packed);
        }
        // `COUNT fc:<position> [value, delta]…`: the script adds each delta to the value's
        // counter and drops counters that reach zero.
        let mut key = String::new();
        for (position, changes) in self.count_commands() {
            out.write_arg(b"COUNT");
            key.clear();
            key.push_str("fc:");
            key.push_str(&position.to_string());
            out.write_arg(key.as_bytes());
            packed.clear();
            msgpack::array(&mut packed, 2 * changes.len());
            for (value, delta) in changes {
                msgpack::string(&mut packed, value.as_bytes());
                msgpack::string(&mut packed, delta.to_string().as_bytes());
            }
            out.write_arg(&packed);
        }
        for (name, key, args) in self.other {
            out.write_arg(name.as_bytes());
            out.write_arg(key.as_bytes());
            packed.clear();
            msgpack::array(&mut packed, args.len());
            for arg in &args {
                msgpack::string(&mut packed, arg);
            }
            out.write_arg(&packed);
        }
    }
}

/// The two MessagePack forms the write script reads (through Redis' `cmsgpack`, which knows the
/// original "raw" string types, not the later `bin` ones).
pub(crate) mod msgpack {
    /// An array header for `len` elements.
    pub(crate) fn array(out: &mut Vec<u8>, len: usize) {
        match u16::try_from(len) {
            Ok(len) if len < 16 => out.push(0x90 | len as u8),
            Ok(len) => {
                out.push(0xdc);
                out.extend_from_slice(&len.to_be_bytes());
            }
            Err(_) => {
                out.push(0xdd);
                out.extend_from_slice(&(len as u32).to_be_bytes());
            }
        }
    }

    /// A string (any bytes).
    pub(crate) fn string(out: &mut Vec<u8>, bytes: &[u8]) {
        match u16::try_from(bytes.len()) {
            Ok(len) if len < 32 => out.push(0xa0 | len as u8),
            Ok(len) => {
                out.push(0xda);
                out.extend_from_slice(&len.to_be_bytes());
            }
            Err(_) => {
                out.push(0xdb);
                out.extend_from_slice(&(bytes.len() as u32).to_be_bytes());
            }
        }
        out.extend_from_slice(bytes);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use persona_core::{Identity, Record};

    /// Decodes what `msgpack` writes (test helper).
    fn unpack(mut bytes: &[u8]) -> Vec<Vec<u8>> {
        let mut take = |n: usize| {
            let (head, rest) = bytes.split_at(n);
            bytes = rest;
            head.to_vec()
        };
        let be = |b: Vec<u8>| b.iter().fold(0usize, |n, &x| n << 8 | usize::from(x));
        let tag = take(1)[0];
        let count = match tag {
            0x90..=0x9f => usize::from(tag & 0x0f),
            0xdc => be(take(2)),
            0xdd => be(take(4)),
            _ => panic!("not an array"),
        };
        (0..count)
            .map(|_| {
                let tag = take(1)[0];
                let len = match tag {
                    0xa0..=0xbf => usize::from(tag & 0x1f),
                    0xda => be(take(2)),
                    0xdb => be(take(4)),
                    _ => panic!("not a string"),
                };
                take(len)
            })
            .collect()
    }

    /// `(name key, args)` of every command written.
    fn written(commands: Commands) -> Vec<(String, Vec<String>)> {
        let mut args: Vec<Vec<u8>> = Vec::new();
        commands.write(&mut args);
        args.chunks(3)
            .map(|c| {
                let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
                (
                    format!("{} {}", text(&c[0]), text(&c[1])),
                    unpack(&c[2]).iter().map(|a| text(a)).collect(),
                )
            })
            .collect()
    }

    #[test]
    fn diff_moves_only_what_changed() {
        let mut identity = Identity::new("p1".into(), "Ann Lee");
        identity.tags = vec!["a".into(), "b".into()];
        let before = identity.clone().into_any();
        identity.tags = vec!["b".into(), "c".into()];
        identity.name = "Ann Ray".into();
        let after = identity.clone().into_any();
        let mut changes = Commands::default();
        changes.diff((&before, false), (&after, None, false));
        let keys: Vec<String> = written(changes).into_iter().map(|(k, _)| k).collect();
        assert!(keys.contains(&"SREM i:t:a".to_owned()));
        assert!(keys.contains(&"SADD i:t:c".to_owned()));
        assert!(keys.contains(&"SREM i:w:lee".to_owned()));
        assert!(keys.contains(&"SADD i:w:ray".to_owned()));
        assert!(keys.contains(&"ZREM o:n".to_owned()));
        assert!(keys.contains(&"ZADD o:n".to_owned()));
        assert!(
            !keys
                .iter()
                .any(|k| k.ends_with("i:t:b") || k.ends_with("i:w:ann") || k.ends_with("o:c"))
        );

        let mut count = 0;
        visit(&after, None, true, &mut |_, _, _| count += 1);
        assert_eq!(
            count, 1,
            "a deleted identity keeps only its persona reference"
        );
    }

    #[test]
    fn zadd_members_are_written_in_descending_order() {
        let mut commands = Commands::default();
        for (score, member) in [(0.5, "b"), (0.25, "z"), (0.5, "a"), (1.0, "c")] {
            commands.push(Verb::Zadd, "n:t0", member.as_bytes(), score);
        }
        assert_eq!(
            written(commands),
            [(
                "ZADD n:t0".to_owned(),
                ["1.0", "c", "0.5", "b", "0.5", "a", "0.25", "z"]
                    .map(String::from)
                    .to_vec()
            )]
        );
    }

    #[test]
    fn msgpack_lengths_pick_the_right_forms() {
        for n in [0usize, 15, 16, 31, 32, 65_535, 65_536] {
            let long = vec![b'x'; n];
            let mut out = Vec::new();
            msgpack::array(&mut out, 1);
            msgpack::string(&mut out, &long);
            assert_eq!(unpack(&out), vec![long]);
        }
        let members: Vec<Vec<u8>> = (0..70_000).map(|i| i.to_string().into_bytes()).collect();
        let mut out = Vec::new();
        msgpack::array(&mut out, members.len());
        for m in &members {
            msgpack::string(&mut out, m);
        }
        assert_eq!(unpack(&out), members);
    }

    #[test]
    fn facet_positions_follow_the_packed_order() {
        for (i, facet) in FACETS.into_iter().enumerate() {
            assert_eq!(facet_position(facet), i + 1);
        }
        let mut identity = Identity::new("p1".into(), "Ann");
        identity.created_at = Some(persona_core::attributes::Timestamp::from_unix_nanos(-5));
        let fields = IndexFields::of(&identity);
        let [sorts, facets] = record_fields(&fields);
        assert_eq!(&sorts[..16], keys::enc_int(-5).as_bytes());
        assert_eq!(
            &sorts[32..48],
            keys::enc_int(-1).as_bytes(),
            "missing age sorts as -1"
        );
        let mut name = Vec::new();
        keys::enc_text("Ann", &mut name);
        assert_eq!(&sorts[48..], &name[..]);
        assert_eq!(facets, b"-----");
    }

    #[test]
    fn scores_round_trip() {
        for v in [0.1, 1.0 / 3.0, -0.0, 1e-300, f64::MAX] {
            assert_eq!(score(v).parse::<f64>().unwrap().to_bits(), v.to_bits());
        }
        assert_eq!(score(f64::INFINITY), "+inf");
    }
}
