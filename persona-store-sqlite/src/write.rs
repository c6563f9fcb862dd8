//! Writes: batches and purges, each in one `BEGIN IMMEDIATE` transaction.

use std::collections::HashMap;

use persona_core::attributes::Timestamp;
use persona_core::query::IndexFields;
use persona_core::store::{Current, Op, Planned, plan, purge_audit};
use persona_core::{
    Actor, AnyRecord, AuditEntry, Batch, Error, Kind, Result, Tombstone, WriteMode,
};
use rusqlite::types::{ToSqlOutput, ValueRef};
use rusqlite::{Connection, OptionalExtension, Transaction, TransactionBehavior, params};

use crate::error::{BACKEND, Db, SqliteError, is_unique_violation};
use crate::facets::{Deltas, Values};
use crate::read::{self, Stored, version_param};

/// Applies `batch` in one transaction; nothing is written unless every op succeeds.
pub(crate) fn apply(connection: &mut Connection, ns: &str, batch: Batch) -> Result<Vec<AnyRecord>> {
    let tx = connection
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .db()?;
    let now = Timestamp::now();
    let mut seq = last_seq(&tx, ns)?;
    let (actor, ops) = batch.into_parts();
    let mut stored = Vec::with_capacity(ops.len());
    let mut text = TextIndex::default();
    let mut deltas = Deltas::default();
    // Whether each persona referenced so far is live, forgotten when the batch writes it: a batch
    // of identities of one persona looks it up once.
    let mut personas: HashMap<String, bool> = HashMap::new();
    for op in ops {
        let kind = op.target().0;
        // A create needs no lookup: the insert fails on the unique key if the id is taken.
        let create = matches!(
            op,
            Op::Put {
                mode: WriteMode::Create,
                ..
            }
        );
        let current = if create {
            None
        } else {
            read::load(&tx, ns, kind, op.target().1)?
        };
        // The op is owned: its record moves into the planned write, no copy.
        let planned = plan(
            op,
            current.as_ref().map(|stored| Current {
                record: &stored.record,
                deleted: stored.deleted,
            }),
            &actor,
            now,
        )?;
        let id = planned.record.id_str();
        if planned.needs_persona_check()
            && let AnyRecord::Identity(identity) = &planned.record
        {
            let persona = identity.persona_id.as_str();
            let live = match personas.get(persona) {
                Some(live) => *live,
                None => {
                    let live = persona_is_live(&tx, ns, persona)?;
                    personas.insert(persona.to_owned(), live);
                    live
                }
            };
            if !live {
                // The error a create of a taken id gets first, whatever its persona.
                if create && read::load(&tx, ns, kind, id)?.is_some() {
                    return Err(Error::AlreadyExists {
                        kind,
                        id: id.to_owned(),
                    });
                }
                return Err(Error::missing_persona());
            }
        }
        seq += 1;
        persist(
            &tx,
            ns,
            &planned,
            current.as_ref(),
            seq,
            &mut text,
            &mut deltas,
        )?;
        if kind == Kind::Persona {
            personas.remove(planned.record.id_str());
        }
        stored.push(planned.record);
    }
    text.flush(&tx)?;
    deltas.flush(&tx, ns)?;
    tx.commit().db()?;
    Ok(stored)
}

fn last_seq(tx: &Transaction<'_>, ns: &str) -> Result<u64> {
    let seq: i64 = tx
        .prepare_cached("SELECT COALESCE(MAX(seq), 0) FROM audit WHERE ns = ?1")
        .db()?
        .query_row([ns], |row| row.get(0))
        .db()?;
    Ok(u64::try_from(seq).unwrap_or(0))
}

fn persona_is_live(tx: &Transaction<'_>, ns: &str, persona: &str) -> Result<bool> {
    let deleted: Option<bool> = tx
        .prepare_cached(
            "SELECT deleted FROM records WHERE ns = ?1 AND kind = 'persona' AND id = ?2",
        )
        .db()?
        .query_row([ns, persona], |row| row.get(0))
        .optional()
        .db()?;
    Ok(deleted == Some(false))
}

/// Changes to `identity_fts`, applied in order at the end of a transaction: FTS5 flushes its
/// pending terms at every statement savepoint, and the other writes of a batch open many.
#[derive(Default)]
struct TextIndex {
    /// Row number and its new tokens; `None` removes the row's entry.
    ops: Vec<(i64, Option<String>)>,
}

impl TextIndex {
    fn set(&mut self, rid: i64, tokens: String, replace: bool) {
        if replace {
            self.ops.push((rid, None));
        }
        self.ops.push((rid, Some(tokens)));
    }

    fn remove(&mut self, rid: i64) {
        self.ops.push((rid, None));
    }

    fn flush(self, tx: &Transaction<'_>) -> Result<()> {
        for (rid, tokens) in self.ops {
            match tokens {
                Some(tokens) => tx
                    .prepare_cached("INSERT INTO identity_fts (rowid, tokens) VALUES (?1, ?2)")
                    .db()?
                    .execute(params![rid, tokens])
                    .db()?,
                None => tx
                    .prepare_cached("DELETE FROM identity_fts WHERE rowid = ?1")
                    .db()?
                    .execute([rid])
                    .db()?,
            };
        }
        Ok(())
    }
}

fn json_text(bytes: &[u8]) -> ToSqlOutput<'_> {
    ToSqlOutput::Borrowed(ValueRef::Text(bytes))
}

fn int(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

/// The query columns of an identity, bound as `?12` to `?29` of the record statements.
struct Columns<'a> {
    fields: Option<&'a IndexFields>,
}

impl Columns<'_> {
    fn values(&self) -> [rusqlite::types::Value; 18] {
        use rusqlite::types::Value;
        let Some(f) = self.fields else {
            return std::array::from_fn(|_| Value::Null);
        };
        let text = |v: &Option<String>| v.clone().map_or(Value::Null, Value::Text);
        let real = |v: Option<f64>| v.map_or(Value::Null, Value::Real);
        let traits = f.traits.map_or([None; 5], |t| t.map(Some));
        [
            Value::Integer(i64::from(f.active)),
            Value::Text(f.name.clone()),
            f.age.map_or(Value::Null, |a| Value::Integer(i64::from(a))),
            Value::Integer(f.age.map_or(-1, i64::from)),
            text(&f.gender),
            text(&f.country),
            text(&f.region),
            text(&f.city),
            text(&f.education),
            text(&f.occupation),
            text(&f.political_leaning),
            real(traits[0]),
            real(traits[1]),
            real(traits[2]),
            real(traits[3]),
            real(traits[4]),
            Value::Integer(f.created_at),
            Value::Integer(f.updated_at),
        ]
    }
}

/// `?11`, the document, goes to `documents`.
const INSERT_RECORD: &str = "INSERT INTO records (ns, kind, id, version, action, actor, at, \
     deleted, persona_ref, live, active, name, age, sort_age, gender, country, region, city, \
     education, occupation, political_leaning, openness, conscientiousness, extraversion, \
     agreeableness, neuroticism, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, \
     ?9, ?10, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25, ?26, \
     ?27, ?28, ?29)";

const UPDATE_RECORD: &str = "UPDATE records SET version = ?4, action = ?5, actor = ?6, at = ?7, \
     deleted = ?8, persona_ref = ?9, live = ?10, active = ?12, name = ?13, age = ?14, \
     sort_age = ?15, gender = ?16, country = ?17, region = ?18, city = ?19, education = ?20, \
     occupation = ?21, political_leaning = ?22, openness = ?23, conscientiousness = ?24, \
     extraversion = ?25, agreeableness = ?26, neuroticism = ?27, created_at = ?28, \
     updated_at = ?29 WHERE rid = ?30 AND ns = ?1 AND kind = ?2 AND id = ?3";

/// Stores one planned op: the record's row (its superseded version moved to `history` first), an
/// audit row and, for identities, the tag and text entries that changed.
fn persist(
    tx: &Transaction<'_>,
    ns: &str,
    planned: &Planned,
    current: Option<&Stored>,
    seq: u64,
    text: &mut TextIndex,
    deltas: &mut Deltas,
) -> Result<()> {
    let record = &planned.record;
    let kind = record.kind();
    let id = record.id_str();
    let doc = record
        .to_json()
        .map_err(|source| Error::backend(BACKEND, false, source))?;
    let identity = record.as_identity();
    let fields = identity.map(IndexFields::of);
    let info = &planned.info;
    let head = params![
        ns,
        kind.as_str(),
        id,
        version_param(info.version),
        info.action.as_str(),
        info.actor.as_str(),
        info.at.unix_nanos(),
        planned.deleted,
        identity.map(|i| i.persona_id.as_str()),
        identity.is_some() && !planned.deleted,
        json_text(&doc),
    ];
    let columns = Columns {
        fields: fields.as_ref(),
    }
    .values();
    let mut values: Vec<&dyn rusqlite::ToSql> = Vec::with_capacity(30);
    values.extend_from_slice(head);
    values.extend(columns.iter().map(|v| v as &dyn rusqlite::ToSql));
    let rid = match current {
        None => {
            tx.prepare_cached(INSERT_RECORD)
                .db()?
                .execute(values.as_slice())
                .map_err(|source| {
                    if is_unique_violation(&source) {
                        SqliteError::Duplicate {
                            kind,
                            id: id.to_owned(),
                            source,
                        }
                    } else {
                        SqliteError::Driver(source)
                    }
                })?;
            let rid = tx.last_insert_rowid();
            tx.prepare_cached("INSERT INTO documents (rid, doc, deleted) VALUES (?1, ?2, ?3)")
                .db()?
                .execute(params![rid, json_text(&doc), planned.deleted])
                .db()?;
            rid
        }
        Some(stored) => {
            tx.prepare_cached(
                "INSERT INTO history (rid, version, action, actor, at, deleted, doc) \
                 SELECT r.rid, r.version, r.action, r.actor, r.at, r.deleted, d.doc \
                 FROM records r JOIN documents d ON d.rid = r.rid WHERE r.rid = ?1",
            )
            .db()?
            .execute([stored.rid])
            .db()?;
            values.push(&stored.rid);
            tx.prepare_cached(UPDATE_RECORD)
                .db()?
                .execute(values.as_slice())
                .db()?;
            tx.prepare_cached("UPDATE documents SET doc = ?2, deleted = ?3 WHERE rid = ?1")
                .db()?
                .execute(params![stored.rid, json_text(&doc), planned.deleted])
                .db()?;
            stored.rid
        }
    };
    insert_audit(tx, ns, &planned.audit, seq)?;
    if let Some(fields) = &fields {
        let old = current.and_then(|stored| stored.record.as_identity());
        let old_fields = old.map(IndexFields::of);
        if let Some(old) = &old_fields
            && current.is_some_and(|stored| !stored.deleted)
        {
            deltas.add(&Values::of(old), -1);
        }
        if !planned.deleted {
            deltas.add(&Values::of(fields), 1);
        }
        let old_tags = old_fields.as_ref().map_or(&[][..], |f| f.tags.as_slice());
        set_tags(tx, ns, rid, old_tags, &fields.tags)?;
        let tokens = fields.tokens.join(" ");
        match &old_fields {
            Some(old) if old.tokens == fields.tokens => {}
            Some(_) => text.set(rid, tokens, true),
            None => text.set(rid, tokens, false),
        }
    }
    Ok(())
}

/// Brings the tag rows of identity `rid` from `old` to `new`.
fn set_tags(
    tx: &Transaction<'_>,
    ns: &str,
    rid: i64,
    old: &[String],
    new: &[String],
) -> Result<()> {
    for tag in old.iter().filter(|tag| !new.contains(tag)) {
        tx.prepare_cached("DELETE FROM identity_tags WHERE ns = ?1 AND tag = ?2 AND rid = ?3")
            .db()?
            .execute(params![ns, tag, rid])
            .db()?;
    }
    for tag in new.iter().filter(|tag| !old.contains(tag)) {
        tx.prepare_cached("INSERT OR IGNORE INTO identity_tags (ns, tag, rid) VALUES (?1, ?2, ?3)")
            .db()?
            .execute(params![ns, tag, rid])
            .db()?;
    }
    Ok(())
}

fn insert_audit(tx: &Transaction<'_>, ns: &str, entry: &AuditEntry, seq: u64) -> Result<()> {
    tx.prepare_cached(
        "INSERT INTO audit (ns, seq, at, actor, action, kind, id, version, label) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )
    .db()?
    .execute(params![
        ns,
        int(seq),
        entry.at.unix_nanos(),
        entry.actor.as_str(),
        entry.action.as_str(),
        entry.kind.as_str(),
        entry.id,
        version_param(entry.version),
        entry.label,
    ])
    .db()?;
    Ok(())
}

/// Erases a record and its history, strips its audit labels, logs the purge and leaves a
/// tombstone, in one transaction.
pub(crate) fn purge(
    connection: &mut Connection,
    ns: &str,
    kind: Kind,
    id: &str,
    actor: &Actor,
) -> Result<Tombstone> {
    let tx = connection
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .db()?;
    let Some(stored) = read::load(&tx, ns, kind, id)? else {
        return Err(Error::not_found(kind, id));
    };
    let last = stored.version;
    if kind == Kind::Persona {
        // Only identities have a persona reference.
        let users: i64 = tx
            .prepare_cached("SELECT count(*) FROM records WHERE ns = ?1 AND persona_ref = ?2")
            .db()?
            .query_row([ns, id], |row| row.get(0))
            .db()?;
        if users > 0 {
            return Err(Error::Referenced {
                kind,
                id: id.to_owned(),
                by: Kind::Identity,
                count: u64::try_from(users).unwrap_or(0),
            });
        }
    }
    if let AnyRecord::Identity(identity) = &stored.record {
        let fields = IndexFields::of(identity);
        if !stored.deleted {
            let mut deltas = Deltas::default();
            deltas.add(&Values::of(&fields), -1);
            deltas.flush(&tx, ns)?;
        }
        set_tags(&tx, ns, stored.rid, &fields.tags, &[])?;
        let mut text = TextIndex::default();
        text.remove(stored.rid);
        text.flush(&tx)?;
    }
    for sql in [
        "DELETE FROM history WHERE rid = ?1",
        "DELETE FROM documents WHERE rid = ?1",
        "DELETE FROM records WHERE rid = ?1",
    ] {
        tx.prepare_cached(sql).db()?.execute([stored.rid]).db()?;
    }
    tx.prepare_cached("UPDATE audit SET label = NULL WHERE ns = ?1 AND kind = ?2 AND id = ?3")
        .db()?
        .execute([ns, kind.as_str(), id])
        .db()?;
    let now = Timestamp::now();
    let seq = last_seq(&tx, ns)? + 1;
    insert_audit(&tx, ns, &purge_audit(kind, id, last, actor, now), seq)?;
    let tombstone = Tombstone {
        kind,
        id: id.to_owned(),
        last_version: last,
        purged_at: now,
        actor: actor.clone(),
    };
    tx.prepare_cached(
        "INSERT OR REPLACE INTO tombstones (ns, kind, id, last_version, purged_at, actor) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )
    .db()?
    .execute(params![
        ns,
        kind.as_str(),
        id,
        version_param(last),
        now.unix_nanos(),
        actor.as_str(),
    ])
    .db()?;
    tx.commit().db()?;
    Ok(tombstone)
}
