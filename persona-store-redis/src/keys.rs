//! Key names and the order-preserving encodings of sort values.
//!
//! Every key of a namespace starts with the hash tag `{prefix:namespace}`, so all of a namespace's
//! keys live in one Redis Cluster slot and every script and multi-key command stays in it. The
//! scripts receive key *suffixes* and prepend the namespace's tag themselves, so nothing they do can
//! reach another namespace.

use persona_core::Kind;
use persona_core::query::SortValue;

/// The default key prefix of [`RedisStore`](crate::RedisStore).
pub(crate) const DEFAULT_PREFIX: &str = "persona";
/// The default key prefix of [`CachedStore`](crate::CachedStore).
pub(crate) const DEFAULT_CACHE_PREFIX: &str = "persona-cache";

/// Checks a key prefix: 1–64 printable ASCII characters without `{`, `}` or spaces (the braces
/// would break the hash tag).
pub(crate) fn valid_prefix(prefix: &str) -> bool {
    !prefix.is_empty()
        && prefix.len() <= 64
        && prefix
            .bytes()
            .all(|b| b.is_ascii_graphic() && b != b'{' && b != b'}')
}

/// `{prefix:namespace}:`, the start of every key of a namespace.
pub(crate) fn base(prefix: &str, namespace: &str) -> String {
    format!("{{{prefix}:{namespace}}}:")
}

/// The record hash: the document in `d` (live) or `z` (soft-deleted), `s` the audit seq of the
/// last write, `v` the `VersionInfo` of the current version, and for a live identity its sort
/// encodings and facet values (see `index.rs`).
pub(crate) fn record(kind: Kind, id: &str) -> String {
    format!("r:{}:{id}", kind.as_str())
}

/// `base` followed by [`record`], in one allocation (point reads are latency-bound).
pub(crate) fn record_key(base: &str, kind: Kind, id: &str) -> String {
    let kind = kind.as_str();
    let mut key = String::with_capacity(base.len() + 3 + kind.len() + id.len());
    key.push_str(base);
    key.push_str("r:");
    key.push_str(kind);
    key.push(':');
    key.push_str(id);
    key
}

/// The history hash: version → full history entry, for every version but the current one (whose
/// entry is the record hash's `v` and document).
pub(crate) fn history(kind: Kind, id: &str) -> String {
    format!("h:{}:{id}", kind.as_str())
}

/// The list of audit seqs of one record.
pub(crate) fn audit_of(kind: Kind, id: &str) -> String {
    format!("ar:{}:{id}", kind.as_str())
}

/// The tombstone string.
pub(crate) fn tombstone(kind: Kind, id: &str) -> String {
    format!("tomb:{}:{id}", kind.as_str())
}

/// The lexicographic sorted set of live ids of a kind.
pub(crate) fn ids(kind: Kind) -> String {
    format!("ids:{}", kind.as_str())
}

/// The set of identities (live or soft-deleted) referencing a persona.
pub(crate) fn refs(persona: &str) -> String {
    format!("refs:{persona}")
}

/// The audit counter (also the key that routes scripts to the namespace's slot).
pub(crate) const SEQ: &str = "seq";
/// The audit log: seq → entry JSON (without its label), followed by a NUL byte and the label when
/// there is one (purge cuts the label off).
pub(crate) const AUDIT: &str = "a";

/// The namespace's index layout: [`LAYOUT_VERSION`] once its indexes are current, or the state of
/// a rebuild under way (`clear:<token>:<cursor>`, `fill:<token>:<cursor>`). Written by the first
/// write into an empty namespace; a namespace with records and no such key was written before
/// layouts were versioned.
pub(crate) const LAYOUT: &str = "layout";

/// The version of the index layout this build reads and writes. Bump it whenever an index is
/// added or changes meaning: namespaces written under an older one are refused by queries and
/// writes until `RedisStore::reindex` has rebuilt their indexes.
pub(crate) const LAYOUT_VERSION: u32 = 1;

/// The suffixes of the index keys a rebuild deletes before rebuilding them from the records
/// (`v:` held per-record sort members and facet values in an earlier, unversioned layout; `tmp:`
/// the query scripts' scratch key). Records, history, audit, tombstones and the counters are
/// kept.
pub(crate) const INDEX_PREFIXES: [&str; 8] =
    ["i:", "n:", "o:", "fc:", "ids:", "refs:", "tmp:", "v:"];

/// The cache hash of one record.
pub(crate) fn cached(kind: Kind, id: &str) -> String {
    format!("c:{}:{id}", kind.as_str())
}

/// Fixed-width, order-preserving text of an `i64`: 16 lowercase hex digits of the value with its
/// sign bit flipped, so that bytewise order equals numeric order.
pub(crate) fn enc_int(value: i64) -> String {
    format!("{:016x}", (value as u64) ^ (1 << 63))
}

/// Order-preserving, self-delimiting bytes of a string: NUL becomes `00 ff`, and `00 01` ends it.
/// A prefix sorts first, and what follows the terminator (the id) only breaks ties.
pub(crate) fn enc_text(value: &str, out: &mut Vec<u8>) {
    for &b in value.as_bytes() {
        out.push(b);
        if b == 0 {
            out.push(0xff);
        }
    }
    out.extend_from_slice(&[0, 1]);
}

/// The order-preserving encoding of a sort value (the sort member without the id), appended to
/// `out`.
pub(crate) fn sort_prefix(value: &SortValue, out: &mut Vec<u8>) {
    match value {
        SortValue::Int(v) => out.extend_from_slice(enc_int(*v).as_bytes()),
        SortValue::Text(text) => enc_text(text, out),
    }
}

/// The member of a sort index for a record at `(value, id)`: bytewise order of members equals
/// the order of [`persona_core::query::compare`] in ascending direction.
pub(crate) fn sort_member(value: &SortValue, id: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(24 + id.len());
    sort_prefix(value, &mut out);
    out.extend_from_slice(id.as_bytes());
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use persona_core::query::{Direction, compare};
    use std::cmp::Ordering;

    #[test]
    fn int_encoding_keeps_order() {
        let values = [i64::MIN, -5, -1, 0, 1, 1 << 53, (1 << 53) + 1, i64::MAX];
        for a in values {
            for b in values {
                assert_eq!(a.cmp(&b), enc_int(a).cmp(&enc_int(b)), "{a} {b}");
            }
        }
    }

    #[test]
    fn sort_members_order_like_compare() {
        let names = ["", "a", "a\0", "a\0b", "a\u{1}", "ab", "b", "é", "Z", "a b"];
        let ids = ["0", "1", "x-y", "x"];
        let mut rows = Vec::new();
        for name in names {
            for id in ids {
                rows.push((SortValue::Text(name.to_owned()), id));
            }
        }
        for n in [i64::MIN, -1, 0, 7, i64::MAX] {
            for id in ids {
                rows.push((SortValue::Int(n), id));
            }
        }
        for a in &rows {
            for b in &rows {
                if matches!((&a.0, &b.0), (SortValue::Int(_), SortValue::Text(_)))
                    || matches!((&a.0, &b.0), (SortValue::Text(_), SortValue::Int(_)))
                {
                    continue;
                }
                let want = compare((&a.0, a.1), (&b.0, b.1), Direction::Asc);
                let got = sort_member(&a.0, a.1).cmp(&sort_member(&b.0, b.1));
                assert_eq!(want, got, "{a:?} {b:?}");
            }
        }
        assert_eq!(
            sort_member(&SortValue::Text("a".into()), "b")
                .cmp(&sort_member(&SortValue::Text("a".into()), "b")),
            Ordering::Equal
        );
    }

    #[test]
    fn prefixes_cannot_break_the_hash_tag() {
        assert!(valid_prefix("persona"));
        assert!(valid_prefix("app:persona-v1"));
        assert!(!valid_prefix("a{b"));
        assert!(!valid_prefix("a}b"));
        assert!(!valid_prefix(""));
        assert!(!valid_prefix("a b"));
        assert_eq!(base("p", "ns"), "{p:ns}:");
        assert_eq!(
            record_key("{p:ns}:", Kind::Identity, "x-1"),
            format!("{{p:ns}}:{}", record(Kind::Identity, "x-1"))
        );
    }
}
