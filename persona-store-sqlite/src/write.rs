//! Writes: batches and purges, each in one `BEGIN IMMEDIATE` transaction.

use persona_core::attributes::Timestamp;
use persona_core::query::IndexFields;
use persona_core::store::{Current, Planned, plan, purge_audit};
use persona_core::{Actor, AnyRecord, AuditEntry, Batch, Error, Kind, Result, Tombstone};
use rusqlite::types::{ToSqlOutput, ValueRef};
use rusqlite::{Connection, OptionalExtension, Transaction, TransactionBehavior, params};

use crate::error::{BACKEND, Db, SqliteError, is_unique_violation};
use crate::read::{self, version_param};

/// Applies `batch` in one transaction; nothing is written unless every op succeeds.
pub(crate) fn apply(
    connection: &mut Connection,
    ns: &str,
    batch: &Batch,
) -> Result<Vec<AnyRecord>> {
    let tx = connection
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .db()?;
    let now = Timestamp::now();
    let mut seq = last_seq(&tx, ns)?;
    let mut stored = Vec::with_capacity(batch.len());
    let mut text = TextIndex::default();
    for op in batch.ops() {
        let (kind, id) = op.target();
        let current = read::load(&tx, ns, kind, id)?;
        let planned = plan(
            op,
            current.as_ref().map(|(record, deleted)| Current {
                record,
                deleted: *deleted,
            }),
            batch.actor(),
            now,
        )?;
        if planned.needs_persona_check()
            && let AnyRecord::Identity(identity) = &planned.record
            && !persona_is_live(&tx, ns, identity.persona_id.as_str())?
        {
            return Err(Error::missing_persona());
        }
        seq += 1;
        let was = current.as_ref().map(|(_, deleted)| *deleted);
        let old_tags = match &current {
            Some((AnyRecord::Identity(old), false)) => old.tags.as_slice(),
            _ => &[],
        };
        persist(&tx, ns, &planned, was, seq, old_tags, &mut text)?;
        stored.push(planned.record);
    }
    text.flush(&tx, ns)?;
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
    ops: Vec<(bool, i64, String)>,
}

impl TextIndex {
    fn insert(&mut self, rid: i64, tokens: String) {
        self.ops.push((true, rid, tokens));
    }

    fn delete(&mut self, rid: i64, tokens: String) {
        self.ops.push((false, rid, tokens));
    }

    fn flush(self, tx: &Transaction<'_>, ns: &str) -> Result<()> {
        for (insert, rid, tokens) in self.ops {
            let sql = if insert {
                "INSERT INTO identity_fts (rowid, ns, tokens) VALUES (?1, ?2, ?3)"
            } else {
                "INSERT INTO identity_fts (identity_fts, rowid, ns, tokens) \
                 VALUES ('delete', ?1, ?2, ?3)"
            };
            tx.prepare_cached(sql)
                .db()?
                .execute(params![rid, ns, tokens])
                .db()?;
        }
        Ok(())
    }
}

fn delete_tags(tx: &Transaction<'_>, ns: &str, id: &str, tags: &[String]) -> Result<()> {
    if !tags.is_empty() {
        let mut delete = tx
            .prepare_cached("DELETE FROM identity_tags WHERE ns = ?1 AND tag = ?2 AND id = ?3")
            .db()?;
        for tag in tags {
            delete.execute([ns, tag.as_str(), id]).db()?;
        }
    }
    Ok(())
}

/// Removes a live identity's query row and `tags`, and schedules the removal of its text entry.
fn unindex(
    tx: &Transaction<'_>,
    ns: &str,
    id: &str,
    tags: &[String],
    text: &mut TextIndex,
) -> Result<()> {
    delete_tags(tx, ns, id, tags)?;
    let old: Option<(i64, String)> = tx
        .prepare_cached("SELECT rid, tokens FROM identity_index WHERE ns = ?1 AND id = ?2")
        .db()?
        .query_row([ns, id], |row| Ok((row.get(0)?, row.get(1)?)))
        .optional()
        .db()?;
    if let Some((rid, tokens)) = old {
        tx.prepare_cached("DELETE FROM identity_index WHERE ns = ?1 AND id = ?2")
            .db()?
            .execute([ns, id])
            .db()?;
        text.delete(rid, tokens);
    }
    Ok(())
}

fn json_text(bytes: &[u8]) -> ToSqlOutput<'_> {
    ToSqlOutput::Borrowed(ValueRef::Text(bytes))
}

fn int(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

/// Stores one planned op: the record row, a history row with the new document, an audit row and,
/// for identities, the query columns, tags and text index.
fn persist(
    tx: &Transaction<'_>,
    ns: &str,
    planned: &Planned,
    was_deleted: Option<bool>,
    seq: u64,
    old_tags: &[String],
    text: &mut TextIndex,
) -> Result<()> {
    let record = &planned.record;
    let kind = record.kind();
    let id = record.id_str();
    let version = version_param(planned.version());
    let doc = record
        .to_json()
        .map_err(|source| Error::backend(BACKEND, false, source))?;
    let persona_ref = record.as_identity().map(|i| i.persona_id.as_str());
    if was_deleted.is_none() {
        tx.prepare_cached(
            "INSERT INTO records (ns, kind, id, version, deleted, persona_ref) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )
        .db()?
        .execute(params![
            ns,
            kind.as_str(),
            id,
            version,
            planned.deleted,
            persona_ref
        ])
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
    } else {
        tx.prepare_cached(
            "UPDATE records SET version = ?4, deleted = ?5, persona_ref = ?6 \
             WHERE ns = ?1 AND kind = ?2 AND id = ?3",
        )
        .db()?
        .execute(params![
            ns,
            kind.as_str(),
            id,
            version,
            planned.deleted,
            persona_ref
        ])
        .db()?;
    }
    let info = &planned.info;
    tx.prepare_cached(
        "INSERT INTO history (ns, kind, id, version, action, actor, at, deleted, doc) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )
    .db()?
    .execute(params![
        ns,
        kind.as_str(),
        id,
        version,
        info.action.as_str(),
        info.actor.as_str(),
        info.at.unix_nanos(),
        info.deleted,
        json_text(&doc),
    ])
    .db()?;
    insert_audit(tx, ns, &planned.audit, seq)?;
    if let AnyRecord::Identity(identity) = record {
        let was_live = was_deleted == Some(false);
        if planned.deleted {
            if was_live {
                unindex(tx, ns, id, old_tags, text)?;
            }
        } else {
            let fields = IndexFields::of(identity);
            write_index(tx, ns, version, &fields, id, old_tags, text)?;
        }
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

fn write_index(
    tx: &Transaction<'_>,
    ns: &str,
    version: i64,
    fields: &IndexFields,
    id: &str,
    old_tags: &[String],
    text: &mut TextIndex,
) -> Result<()> {
    let traits = fields.traits.map_or([None; 5], |t| t.map(Some));
    let tokens = fields.tokens.join(" ");
    let old: Option<(i64, String)> = tx
        .prepare_cached("SELECT rid, tokens FROM identity_index WHERE ns = ?1 AND id = ?2")
        .db()?
        .query_row([ns, id], |row| Ok((row.get(0)?, row.get(1)?)))
        .optional()
        .db()?;
    // A live identity without a query row (written by a crashed older build, say) gets one.
    let replace = old.is_some();
    let sql = if replace {
        "UPDATE identity_index SET version = ?3, persona_id = ?4, active = ?5, name = ?6, \
         age = ?7, sort_age = ?8, gender = ?9, country = ?10, region = ?11, city = ?12, \
         education = ?13, occupation = ?14, political_leaning = ?15, openness = ?16, \
         conscientiousness = ?17, extraversion = ?18, agreeableness = ?19, neuroticism = ?20, \
         created_at = ?21, updated_at = ?22, tokens = ?23 WHERE ns = ?1 AND id = ?2"
    } else {
        "INSERT INTO identity_index (ns, id, version, persona_id, active, name, age, sort_age, \
         gender, country, region, city, education, occupation, political_leaning, openness, \
         conscientiousness, extraversion, agreeableness, neuroticism, created_at, updated_at, \
         tokens) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, \
         ?17, ?18, ?19, ?20, ?21, ?22, ?23)"
    };
    tx.prepare_cached(sql)
        .db()?
        .execute(params![
            ns,
            id,
            version,
            fields.persona_id,
            fields.active,
            fields.name,
            fields.age,
            fields.age.map_or(-1, i64::from),
            fields.gender,
            fields.country,
            fields.region,
            fields.city,
            fields.education,
            fields.occupation,
            fields.political_leaning,
            traits[0],
            traits[1],
            traits[2],
            traits[3],
            traits[4],
            fields.created_at,
            fields.updated_at,
            tokens,
        ])
        .db()?;
    match old {
        Some((rid, old_tokens)) if old_tokens != tokens => {
            text.delete(rid, old_tokens);
            text.insert(rid, tokens);
        }
        Some(_) => {}
        None => text.insert(tx.last_insert_rowid(), tokens),
    }
    if replace {
        delete_tags(tx, ns, id, old_tags)?;
    }
    if !fields.tags.is_empty() {
        let mut insert = tx
            .prepare_cached("INSERT OR IGNORE INTO identity_tags (ns, tag, id) VALUES (?1, ?2, ?3)")
            .db()?;
        for tag in &fields.tags {
            insert.execute([ns, tag.as_str(), id]).db()?;
        }
    }
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
    let last: Option<i64> = tx
        .prepare_cached("SELECT version FROM records WHERE ns = ?1 AND kind = ?2 AND id = ?3")
        .db()?
        .query_row([ns, kind.as_str(), id], |row| row.get(0))
        .optional()
        .db()?;
    let Some(last) = last else {
        return Err(Error::not_found(kind, id));
    };
    let last = read::version_value(last)?;
    if kind == Kind::Persona {
        let users: i64 = tx
            .prepare_cached(
                "SELECT count(*) FROM records \
                 WHERE ns = ?1 AND persona_ref = ?2 AND kind = 'identity'",
            )
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
    if kind == Kind::Identity
        && let Some((AnyRecord::Identity(identity), false)) = read::load(&tx, ns, kind, id)?
    {
        let mut text = TextIndex::default();
        unindex(&tx, ns, id, &identity.tags, &mut text)?;
        text.flush(&tx, ns)?;
    }
    for sql in [
        "DELETE FROM history WHERE ns = ?1 AND kind = ?2 AND id = ?3",
        "DELETE FROM records WHERE ns = ?1 AND kind = ?2 AND id = ?3",
        "UPDATE audit SET label = NULL WHERE ns = ?1 AND kind = ?2 AND id = ?3",
    ] {
        tx.prepare_cached(sql)
            .db()?
            .execute([ns, kind.as_str(), id])
            .db()?;
    }
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
