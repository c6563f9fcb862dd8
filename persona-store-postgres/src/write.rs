//! Writes: batches in one transaction, and purge.
//!
//! A batch takes a handful of round trips whatever its size: its targets' current rows are locked
//! and read with one `SELECT … FOR UPDATE` per kind, every op is planned in memory with
//! [`persona_core::store::plan`] (later ops see earlier ones), then each kind's new rows go in
//! with one `INSERT … SELECT FROM UNNEST` and its replaced rows with one `UPDATE … FROM UNNEST`
//! (which also moves the versions it replaces into history), and the audit entries with one
//! statement that also allocates their sequence numbers.

use std::collections::HashMap;

use persona_core::WriteMode;
use persona_core::attributes::Timestamp;
use persona_core::query::IndexFields;
use persona_core::store::{Current, Op, Planned, plan, purge_audit};
use persona_core::{Actor, AnyRecord, AuditEntry, Batch, Error, Kind, Result, Tombstone, Version};
use sqlx::postgres::PgConnection;
use sqlx::{Postgres, Row, Transaction};

use crate::copy::CopyData;
use crate::error::{BACKEND, PgError};
use crate::read::{bind_version, document};
use crate::sql;
use crate::sql::JsonbBytes;
use crate::store::PostgresStore;
use crate::terms;

/// A target's state while a batch is planned.
struct Slot {
    kind: Kind,
    id: String,
    /// Whether the stored row was read (and locked). Keys whose first op is a create are not
    /// read: the insert's `ON CONFLICT DO NOTHING` finds out whether the id is taken.
    loaded: bool,
    /// The stored row, when it was read and exists.
    stored: Option<(AnyRecord, bool)>,
    /// Every state the batch writes, in order.
    written: Vec<Planned>,
}

impl Slot {
    /// The latest state: written by an earlier op of the batch, or stored.
    fn current(&self) -> Option<Current<'_>> {
        match self.written.last() {
            Some(last) => Some(Current {
                record: &last.record,
                deleted: last.deleted,
            }),
            None => self.stored.as_ref().map(|(record, deleted)| Current {
                record,
                deleted: *deleted,
            }),
        }
    }

    /// True when the slot's state is known without the database.
    fn known(&self) -> bool {
        self.loaded || !self.written.is_empty()
    }
}

#[derive(Debug, thiserror::Error)]
#[error("a {kind} row changed although it was locked")]
struct LostLock {
    kind: Kind,
}

type Key<'a> = (Kind, &'a str);

pub(crate) async fn apply(store: &PostgresStore, batch: &Batch) -> Result<Vec<AnyRecord>> {
    if batch.is_empty() {
        return Ok(Vec::new());
    }
    if batch.actor().as_str().contains('\0') {
        return Err(PgError::Unstorable { what: "the actor" }.into());
    }
    let now = Timestamp::now();
    // Which targets to read: every key whose first op is not a create.
    let mut first_ops: HashMap<Key<'_>, bool> = HashMap::new();
    let mut persona_refs: Vec<&str> = Vec::new();
    for op in batch.ops() {
        let creates = matches!(
            op,
            Op::Put {
                mode: WriteMode::Create,
                ..
            }
        );
        first_ops.entry(op.target()).or_insert(creates);
        if let Op::Put {
            record: AnyRecord::Identity(identity),
            ..
        } = op
        {
            persona_refs.push(identity.persona_id.as_str());
        }
    }
    let mut to_read: [Vec<&str>; 3] = Default::default();
    let mut slots: HashMap<Key<'_>, Slot> = HashMap::with_capacity(first_ops.len());
    for (&(kind, id), &creates) in &first_ops {
        if !creates {
            to_read[sql::kind_index(kind)].push(id);
        }
        slots.insert(
            (kind, id),
            Slot {
                kind,
                id: id.to_owned(),
                loaded: !creates,
                stored: None,
                written: Vec::new(),
            },
        );
    }
    for ids in to_read.iter_mut().chain([&mut persona_refs]) {
        ids.sort_unstable();
        ids.dedup();
    }
    let read_personas = &to_read[sql::kind_index(Kind::Persona)];
    persona_refs.retain(|id| read_personas.binary_search(id).is_err());

    let mut tx = store
        .inner
        .pool
        .begin()
        .await
        .map_err(|err| store.err(err))?;

    // Lock order: persona targets, referenced personas, identities, groups — the same in every
    // batch, so batches wait for each other instead of deadlocking.
    let mut referenced: HashMap<String, bool> = HashMap::new();
    load(store, &mut tx, Kind::Persona, read_personas, &mut slots).await?;
    if !persona_refs.is_empty() {
        let rows = sqlx::query(store.inner.sql.lock_personas.clone())
            .bind(store.ns())
            .bind(&persona_refs)
            .fetch_all(&mut *tx)
            .await
            .map_err(|err| store.err(err))?;
        for row in rows {
            let id: String = row.try_get(0).map_err(|err| store.err(err))?;
            let deleted: bool = row.try_get(1).map_err(|err| store.err(err))?;
            referenced.insert(id, deleted);
        }
    }
    for kind in [Kind::Identity, Kind::Group] {
        load(
            store,
            &mut tx,
            kind,
            &to_read[sql::kind_index(kind)],
            &mut slots,
        )
        .await?;
    }

    let mut order: Vec<Key<'_>> = Vec::with_capacity(batch.len());
    for (index, op) in batch.ops().iter().enumerate() {
        let key = op.target();
        let planned = match plan_op(&slots, &referenced, key, op, batch, now) {
            Ok(planned) => planned,
            Err(err) => {
                // An earlier create whose id is taken would have failed first.
                let earlier = &order[..index];
                return Err(first_taken(store, &mut tx, &slots, earlier)
                    .await?
                    .unwrap_or(err));
            }
        };
        let slot = slots.get_mut(&key).ok_or_else(|| lost(key.0))?;
        slot.written.push(planned);
        order.push(key);
    }

    let actor = batch.actor().as_str();
    let mut taken: Vec<Key<'_>> = Vec::new();
    for kind in Kind::ALL {
        let mut inserts = Rows::default();
        let mut updates = Rows::default();
        let mut new_rows: Vec<(i64, &Slot)> = Vec::new();
        for slot in slots.values().filter(|slot| slot.kind == kind) {
            let Some(last) = slot.written.last() else {
                continue;
            };
            match &slot.stored {
                Some((record, _)) => updates.push(slot, last, Some(record.version()))?,
                None => new_rows.push((sort_created(last), slot)),
            }
        }
        // New rows go in in (created_at, id) order, the default query order: the heap then
        // follows that index, so a query walking it reads neighbouring rows from the same pages,
        // and the btree inserts land next to each other.
        new_rows.sort_unstable_by(|a, b| (a.0, &a.1.id).cmp(&(b.0, &b.1.id)));
        if new_rows.len() >= COPY_MIN_ROWS {
            if let Err(conflict) = copy_rows(store, &mut tx, kind, &new_rows, actor).await? {
                // The COPY stopped at a taken id and the transaction is aborted: find the
                // earliest op whose id is taken, as planning against read rows would have.
                tx.rollback().await.map_err(|err| store.err(err))?;
                let mut conn = store
                    .inner
                    .pool
                    .acquire()
                    .await
                    .map_err(|err| store.err(err))?;
                return Err(first_taken(store, &mut conn, &slots, &order)
                    .await?
                    .unwrap_or_else(|| store.err(conflict)));
            }
            new_rows.clear();
        }
        for (_, slot) in new_rows {
            let last = slot.written.last().ok_or_else(|| lost(kind))?;
            inserts.push(slot, last, None)?;
        }
        if !inserts.id.is_empty() {
            let returned = write_rows(store, &mut tx, kind, &inserts, actor, false).await?;
            if returned.len() != inserts.id.len() {
                // ON CONFLICT DO NOTHING skipped ids that are taken (by a row this batch did not
                // read, or one another transaction created meanwhile).
                let returned: std::collections::HashSet<&str> =
                    returned.iter().map(String::as_str).collect();
                taken.extend(
                    order
                        .iter()
                        .filter(|key| key.0 == kind && !returned.contains(key.1))
                        .filter(|key| slots.get(*key).is_some_and(|slot| slot.stored.is_none())),
                );
            }
        }
        if !updates.id.is_empty() {
            let returned = write_rows(store, &mut tx, kind, &updates, actor, true).await?;
            if returned.len() != updates.id.len() {
                return Err(Error::backend(BACKEND, true, LostLock { kind }));
            }
        }
    }
    if let Some(key) = order.iter().find(|key| taken.contains(key)) {
        return Err(Error::AlreadyExists {
            kind: key.0,
            id: key.1.to_owned(),
        });
    }

    let mut history = HistoryRows::default();
    let mut audit: Vec<&AuditEntry> = Vec::with_capacity(order.len());
    let mut positions: HashMap<Key<'_>, usize> = HashMap::new();
    for key in &order {
        let slot = &slots[key];
        let position = positions.entry(*key).or_insert(0);
        let planned = &slot.written[*position];
        *position += 1;
        audit.push(&planned.audit);
        if *position < slot.written.len() {
            history.push(slot, planned)?;
        }
    }
    if !history.id.is_empty() {
        sqlx::query(store.inner.sql.insert_history.clone())
            .bind(store.ns())
            .bind(actor)
            .bind(&history.kind)
            .bind(&history.id)
            .bind(&history.version)
            .bind(&history.action)
            .bind(&history.at)
            .bind(&history.deleted)
            .bind(&history.doc)
            .execute(&mut *tx)
            .await
            .map_err(|err| store.err(err))?;
    }
    append_audit(store, &mut tx, &audit, actor, now).await?;
    tx.commit().await.map_err(|err| store.err(err))?;
    let identities = batch
        .ops()
        .iter()
        .filter(|op| op.target().0 == Kind::Identity)
        .count();
    store.note_identity_writes(identities as u64).await;

    // Hand the written records back in op order, moving them out of the slots.
    let mut written: HashMap<Key<'_>, std::vec::IntoIter<Planned>> = slots
        .into_iter()
        .map(|(key, slot)| (key, slot.written.into_iter()))
        .collect();
    let mut records = Vec::with_capacity(order.len());
    for key in &order {
        let planned = written
            .get_mut(key)
            .and_then(Iterator::next)
            .ok_or_else(|| lost(key.0))?;
        records.push(planned.record);
    }
    Ok(records)
}

/// Frees a large batch's leftovers (the batch itself) on a
/// blocking thread, so the caller gets its result without waiting for thousands of records to
/// be deallocated. Small values are dropped in place.
pub(crate) fn drop_later<T: Send + 'static>(value: T, records: usize) {
    if records >= COPY_MIN_ROWS
        && let Ok(runtime) = tokio::runtime::Handle::try_current()
    {
        runtime.spawn_blocking(move || drop(value));
    }
}

fn sort_created(planned: &Planned) -> i64 {
    planned
        .record
        .meta()
        .created_at
        .map_or(0, |t| t.unix_nanos())
}

fn lost(kind: Kind) -> Error {
    Error::backend(BACKEND, false, LostLock { kind })
}

/// Plans one op against its slot, checking the identity's persona.
fn plan_op(
    slots: &HashMap<Key<'_>, Slot>,
    referenced: &HashMap<String, bool>,
    key: Key<'_>,
    op: &Op,
    batch: &Batch,
    now: Timestamp,
) -> Result<Planned> {
    let slot = slots.get(&key).ok_or_else(|| lost(key.0))?;
    let planned = plan(op, slot.current(), batch.actor(), now)?;
    if planned.needs_persona_check()
        && let AnyRecord::Identity(identity) = &planned.record
    {
        let persona = identity.persona_id.as_str();
        let live = match slots.get(&(Kind::Persona, persona)) {
            Some(slot) if slot.known() => slot.current().is_some_and(|c| !c.deleted),
            _ => referenced.get(persona).is_some_and(|deleted| !deleted),
        };
        if !live {
            return Err(Error::missing_persona());
        }
    }
    Ok(planned)
}

/// The first of `ops` that creates an id the database already holds, as the error it gets.
///
/// Every key the batch found no stored row for counts: those it did not read (its first op is a
/// create) and those it read as missing (an upsert, say), whose id another transaction may have
/// created since — the insert then hits the same unique violation either way.
async fn first_taken(
    store: &PostgresStore,
    conn: &mut PgConnection,
    slots: &HashMap<Key<'_>, Slot>,
    ops: &[Key<'_>],
) -> Result<Option<Error>> {
    let mut missing: [Vec<&str>; 3] = Default::default();
    for key in ops {
        if slots.get(key).is_some_and(|slot| slot.stored.is_none()) {
            missing[sql::kind_index(key.0)].push(key.1);
        }
    }
    let mut taken: Vec<Key<'_>> = Vec::new();
    for kind in Kind::ALL {
        let ids = &missing[sql::kind_index(kind)];
        if ids.is_empty() {
            continue;
        }
        let found: Vec<String> = sqlx::query_scalar(store.inner.sql.kind(kind).exists.clone())
            .bind(store.ns())
            .bind(ids)
            .fetch_all(&mut *conn)
            .await
            .map_err(|err| store.err(err))?;
        taken.extend(
            ops.iter()
                .filter(|key| key.0 == kind && found.iter().any(|id| id == key.1)),
        );
    }
    Ok(ops
        .iter()
        .find(|key| taken.contains(key))
        .map(|key| Error::AlreadyExists {
            kind: key.0,
            id: key.1.to_owned(),
        }))
}

/// Locks and reads the current rows of `ids`, adding a slot for every id.
async fn load<'a>(
    store: &PostgresStore,
    tx: &mut Transaction<'static, Postgres>,
    kind: Kind,
    ids: &[&'a str],
    slots: &mut HashMap<Key<'a>, Slot>,
) -> Result<()> {
    if ids.is_empty() {
        return Ok(());
    }
    let rows = sqlx::query(store.inner.sql.kind(kind).lock.clone())
        .bind(store.ns())
        .bind(ids)
        .fetch_all(&mut **tx)
        .await
        .map_err(|err| store.err(err))?;
    let mut found: HashMap<&str, (AnyRecord, bool)> = HashMap::with_capacity(rows.len());
    for row in &rows {
        let id: &str = row.try_get(0).map_err(|err| store.err(err))?;
        let json: JsonbBytes<'_> = row.try_get(1).map_err(|err| store.err(err))?;
        let deleted: bool = row.try_get(2).map_err(|err| store.err(err))?;
        found.insert(id, (document(kind, id, json.0)?, deleted));
    }
    for id in ids {
        if let (Some(stored), Some(slot)) = (found.remove(id), slots.get_mut(&(kind, *id))) {
            slot.stored = Some(stored);
        }
    }
    Ok(())
}

/// New rows of one kind at least this many go in through binary `COPY`.
const COPY_MIN_ROWS: usize = 64;

/// `COPY` data is sent in messages of about this many bytes.
const COPY_CHUNK_BYTES: usize = 256 * 1024;

/// Streams new rows through binary `COPY`. `Ok(Err(_))` is a unique violation: an id was taken
/// after all (the transaction is then aborted).
async fn copy_rows(
    store: &PostgresStore,
    tx: &mut Transaction<'static, Postgres>,
    kind: Kind,
    rows: &[(i64, &Slot)],
    actor: &str,
) -> Result<std::result::Result<(), sqlx::Error>> {
    let statement = store.inner.sql.kind(kind).copy.as_str();
    let mut copy = tx
        .copy_in_raw(statement)
        .await
        .map_err(|err| store.err(err))?;
    let mut data = CopyData::new();
    for (_, slot) in rows {
        let planned = slot.written.last().ok_or_else(|| lost(kind))?;
        encode_row(&mut data, store.ns(), actor, slot, planned)?;
        if data.len() >= COPY_CHUNK_BYTES {
            copy.send(data.take()).await.map_err(|err| store.err(err))?;
        }
    }
    data.finish();
    copy.send(data.take()).await.map_err(|err| store.err(err))?;
    match copy.finish().await {
        Ok(_) => Ok(Ok(())),
        Err(err) if is_unique_violation(&err) => Ok(Err(err)),
        Err(err) => Err(store.err(err)),
    }
}

fn is_unique_violation(err: &sqlx::Error) -> bool {
    matches!(err, sqlx::Error::Database(db) if db.code().as_deref() == Some("23505"))
}

/// One new row in the column order of the kind's `COPY` statement.
fn encode_row(
    data: &mut CopyData,
    ns: &str,
    actor: &str,
    slot: &Slot,
    planned: &Planned,
) -> Result<()> {
    let meta = planned.record.meta();
    let doc = document_bytes(&planned.record)?;
    let identity = planned.record.as_identity();
    data.row(if identity.is_some() { 28 } else { 9 });
    data.text(ns);
    data.text(&slot.id);
    data.int8(db_i64(meta.version.get()));
    data.bool(planned.deleted);
    data.text(planned.info.action.as_str());
    data.text(actor);
    data.int8(meta.created_at.map_or(0, |t| t.unix_nanos()));
    data.int8(meta.updated_at.map_or(0, |t| t.unix_nanos()));
    data.jsonb(&doc);
    if let Some(identity) = identity {
        use persona_core::query::Facet;
        let fields = IndexFields::of(identity);
        data.text(&fields.persona_id);
        data.bool(fields.active);
        data.tsvector(&terms::record_lexemes(&fields));
        data.text(&fields.name);
        data.opt_int4(fields.age);
        for value in [
            &fields.gender,
            &fields.country,
            &fields.region,
            &fields.city,
            &fields.education,
            &fields.occupation,
            &fields.political_leaning,
        ] {
            data.opt_text(value.as_deref());
        }
        data.opt_text(fields.facet_value(Facet::AgeGroup).as_deref());
        data.opt_text(fields.facet_value(Facet::PoliticalSpectrum).as_deref());
        for column in 0..5 {
            data.opt_float8(fields.traits.map(|scores| scores[column]));
        }
    }
    Ok(())
}

/// True when JSON text holds an escaped U+0000 (`\u0000` after an odd run of backslashes).
///
/// Jumps from backslash to backslash (documents rarely hold any), skipping each escape whole, so
/// a backslash is always the start of an escape when it is looked at.
fn has_nul_escape(json: &[u8]) -> bool {
    let mut at = 0;
    while let Some(found) = json[at..].iter().position(|b| *b == b'\\') {
        let escape = at + found;
        match json.get(escape + 1) {
            Some(&b'u') if json.get(escape + 2..escape + 6) == Some(&b"0000"[..]) => return true,
            Some(&b'u') => at = escape + 6,
            Some(_) => at = escape + 2,
            None => return false,
        }
        if at >= json.len() {
            return false;
        }
    }
    false
}

/// The record's JSON document, refusing what PostgreSQL cannot store.
fn document_bytes(record: &AnyRecord) -> Result<Vec<u8>> {
    let bytes = record
        .to_json()
        .map_err(|err| Error::backend(BACKEND, false, err))?;
    if has_nul_escape(&bytes) {
        return Err(PgError::Unstorable { what: "a record" }.into());
    }
    Ok(bytes)
}

fn json(record: &AnyRecord) -> Result<String> {
    let bytes = document_bytes(record)?;
    // serde_json writes UTF-8.
    String::from_utf8(bytes).map_err(|err| Error::backend(BACKEND, false, err))
}

fn db_i64(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

/// Versions written and replaced within the batch, as columns.
#[derive(Default)]
struct HistoryRows {
    kind: Vec<&'static str>,
    id: Vec<String>,
    version: Vec<i64>,
    action: Vec<&'static str>,
    at: Vec<i64>,
    deleted: Vec<bool>,
    doc: Vec<String>,
}

impl HistoryRows {
    fn push(&mut self, slot: &Slot, planned: &Planned) -> Result<()> {
        self.kind.push(slot.kind.as_str());
        self.id.push(slot.id.clone());
        self.version.push(db_i64(planned.version().get()));
        self.action.push(planned.info.action.as_str());
        self.at.push(planned.info.at.unix_nanos());
        self.deleted.push(planned.deleted);
        self.doc.push(json(&planned.record)?);
        Ok(())
    }
}

/// New current rows of one kind, as columns (the identity query columns stay empty for other
/// kinds).
#[derive(Default)]
struct Rows {
    id: Vec<String>,
    version: Vec<i64>,
    deleted: Vec<bool>,
    action: Vec<&'static str>,
    created_at: Vec<i64>,
    updated_at: Vec<i64>,
    doc: Vec<String>,
    previous: Vec<i64>,
    persona_id: Vec<String>,
    active: Vec<bool>,
    terms: Vec<String>,
    name: Vec<String>,
    age: Vec<Option<i32>>,
    gender: Vec<Option<String>>,
    country: Vec<Option<String>>,
    region: Vec<Option<String>>,
    city: Vec<Option<String>>,
    education: Vec<Option<String>>,
    occupation: Vec<Option<String>>,
    political_leaning: Vec<Option<String>>,
    age_group: Vec<Option<String>>,
    political_spectrum: Vec<Option<String>>,
    traits: [Vec<Option<f64>>; 5],
}

impl Rows {
    fn push(&mut self, slot: &Slot, planned: &Planned, previous: Option<Version>) -> Result<()> {
        let meta = planned.record.meta();
        self.id.push(slot.id.clone());
        self.version.push(db_i64(meta.version.get()));
        self.deleted.push(planned.deleted);
        self.action.push(planned.info.action.as_str());
        self.created_at
            .push(meta.created_at.map_or(0, |t| t.unix_nanos()));
        self.updated_at
            .push(meta.updated_at.map_or(0, |t| t.unix_nanos()));
        self.doc.push(json(&planned.record)?);
        if let Some(previous) = previous {
            self.previous.push(db_i64(previous.get()));
        }
        if let AnyRecord::Identity(identity) = &planned.record {
            self.push_fields(IndexFields::of(identity))?;
        }
        Ok(())
    }

    fn push_fields(&mut self, fields: IndexFields) -> Result<()> {
        use persona_core::query::Facet;
        self.age_group.push(fields.facet_value(Facet::AgeGroup));
        self.political_spectrum
            .push(fields.facet_value(Facet::PoliticalSpectrum));
        self.terms.push(terms::record_terms(&fields));
        for (column, score) in self.traits.iter_mut().enumerate() {
            score.push(fields.traits.map(|scores| scores[column]));
        }
        self.persona_id.push(fields.persona_id);
        self.active.push(fields.active);
        self.name.push(fields.name);
        self.age.push(fields.age);
        self.gender.push(fields.gender);
        self.country.push(fields.country);
        self.region.push(fields.region);
        self.city.push(fields.city);
        self.education.push(fields.education);
        self.occupation.push(fields.occupation);
        self.political_leaning.push(fields.political_leaning);
        Ok(())
    }
}

/// Inserts (`update == false`) or updates rows of `kind`; returns the ids written.
async fn write_rows(
    store: &PostgresStore,
    tx: &mut Transaction<'static, Postgres>,
    kind: Kind,
    rows: &Rows,
    actor: &str,
    update: bool,
) -> Result<Vec<String>> {
    let sql = store.inner.sql.kind(kind);
    let statement = if update { &sql.update } else { &sql.insert };
    let mut query = sqlx::query_scalar::<_, String>(statement.clone())
        .bind(store.ns())
        .bind(actor)
        .bind(&rows.id)
        .bind(&rows.version)
        .bind(&rows.deleted)
        .bind(&rows.action)
        .bind(&rows.created_at)
        .bind(&rows.updated_at)
        .bind(&rows.doc);
    if kind == Kind::Identity {
        query = query
            .bind(&rows.persona_id)
            .bind(&rows.active)
            .bind(&rows.terms)
            .bind(&rows.name)
            .bind(&rows.age)
            .bind(&rows.gender)
            .bind(&rows.country)
            .bind(&rows.region)
            .bind(&rows.city)
            .bind(&rows.education)
            .bind(&rows.occupation)
            .bind(&rows.political_leaning)
            .bind(&rows.age_group)
            .bind(&rows.political_spectrum)
            .bind(&rows.traits[0])
            .bind(&rows.traits[1])
            .bind(&rows.traits[2])
            .bind(&rows.traits[3])
            .bind(&rows.traits[4]);
    }
    if update {
        query = query.bind(&rows.previous);
    }
    query
        .fetch_all(&mut **tx)
        .await
        .map_err(|err| store.err(err))
}

/// Appends `entries` (in order) to the namespace's audit log.
async fn append_audit(
    store: &PostgresStore,
    conn: &mut PgConnection,
    entries: &[&AuditEntry],
    actor: &str,
    now: Timestamp,
) -> Result<()> {
    if entries.is_empty() {
        return Ok(());
    }
    if entries.len() >= COPY_MIN_ROWS {
        return copy_audit(store, conn, entries, actor, now).await;
    }
    let action: Vec<&str> = entries.iter().map(|e| e.action.as_str()).collect();
    let kind: Vec<&str> = entries.iter().map(|e| e.kind.as_str()).collect();
    let id: Vec<&str> = entries.iter().map(|e| e.id.as_str()).collect();
    let version: Vec<i64> = entries.iter().map(|e| db_i64(e.version.get())).collect();
    let label: Vec<Option<&str>> = entries.iter().map(|e| e.label.as_deref()).collect();
    let count = i64::try_from(entries.len()).unwrap_or(i64::MAX);
    sqlx::query(store.inner.sql.append_audit.clone())
        .bind(store.ns())
        .bind(count)
        .bind(now.unix_nanos())
        .bind(actor)
        .bind(&action)
        .bind(&kind)
        .bind(&id)
        .bind(&version)
        .bind(&label)
        .execute(conn)
        .await
        .map_err(|err| store.err(err))?;
    Ok(())
}

/// [`append_audit`] for many entries: their sequence numbers are reserved with one statement,
/// then the entries stream in through binary `COPY`, which skips the five arrays' decoding and
/// the per-row expressions of the `UNNEST` insert.
async fn copy_audit(
    store: &PostgresStore,
    conn: &mut PgConnection,
    entries: &[&AuditEntry],
    actor: &str,
    now: Timestamp,
) -> Result<()> {
    let count = i64::try_from(entries.len()).unwrap_or(i64::MAX);
    let last: i64 = sqlx::query_scalar(store.inner.sql.reserve_audit.clone())
        .bind(store.ns())
        .bind(count)
        .fetch_one(&mut *conn)
        .await
        .map_err(|err| store.err(err))?;
    let mut copy = conn
        .copy_in_raw(store.inner.sql.copy_audit.as_str())
        .await
        .map_err(|err| store.err(err))?;
    let mut data = CopyData::new();
    let at = now.unix_nanos();
    for (seq, entry) in (last - count + 1..).zip(entries) {
        data.row(9);
        data.text(store.ns());
        data.int8(seq);
        data.int8(at);
        data.text(actor);
        data.text(entry.action.as_str());
        data.text(entry.kind.as_str());
        data.text(&entry.id);
        data.int8(db_i64(entry.version.get()));
        data.opt_text(entry.label.as_deref());
        if data.len() >= COPY_CHUNK_BYTES {
            copy.send(data.take()).await.map_err(|err| store.err(err))?;
        }
    }
    data.finish();
    copy.send(data.take()).await.map_err(|err| store.err(err))?;
    copy.finish().await.map_err(|err| store.err(err))?;
    Ok(())
}

pub(crate) async fn purge(
    store: &PostgresStore,
    kind: Kind,
    id: &str,
    actor: &Actor,
) -> Result<Tombstone> {
    let sql = &store.inner.sql;
    let mut tx = store
        .inner
        .pool
        .begin()
        .await
        .map_err(|err| store.err(err))?;
    let last: Option<i64> = sqlx::query_scalar(sql.kind(kind).purge_lock.clone())
        .bind(store.ns())
        .bind(id)
        .fetch_optional(&mut *tx)
        .await
        .map_err(|err| store.err(err))?;
    let Some(last) = last else {
        return Err(Error::not_found(kind, id));
    };
    let last = crate::read::version_of(last)?;
    if kind == Kind::Persona {
        let users: i64 = sqlx::query_scalar(sql.persona_users.clone())
            .bind(store.ns())
            .bind(terms::persona_query(id))
            .fetch_one(&mut *tx)
            .await
            .map_err(|err| store.err(err))?;
        if users > 0 {
            return Err(Error::Referenced {
                kind,
                id: id.to_owned(),
                by: Kind::Identity,
                count: u64::try_from(users).unwrap_or_default(),
            });
        }
    }
    for statement in [&sql.kind(kind).purge_row] {
        sqlx::query(statement.clone())
            .bind(store.ns())
            .bind(id)
            .execute(&mut *tx)
            .await
            .map_err(|err| store.err(err))?;
    }
    for statement in [&sql.purge_history, &sql.purge_labels] {
        sqlx::query(statement.clone())
            .bind(store.ns())
            .bind(kind.as_str())
            .bind(id)
            .execute(&mut *tx)
            .await
            .map_err(|err| store.err(err))?;
    }
    let now = Timestamp::now();
    let entry = purge_audit(kind, id, last, actor, now);
    append_audit(store, &mut tx, &[&entry], actor.as_str(), now).await?;
    sqlx::query(sql.put_tombstone.clone())
        .bind(store.ns())
        .bind(kind.as_str())
        .bind(id)
        .bind(bind_version(last))
        .bind(now.unix_nanos())
        .bind(actor.as_str())
        .execute(&mut *tx)
        .await
        .map_err(|err| store.err(err))?;
    tx.commit().await.map_err(|err| store.err(err))?;
    Ok(Tombstone {
        kind,
        id: id.to_owned(),
        last_version: last,
        purged_at: now,
        actor: actor.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::has_nul_escape;

    #[test]
    fn nul_escapes_are_found_and_escaped_backslashes_are_not() {
        assert!(has_nul_escape(br#"{"a":"x\u0000"}"#));
        assert!(has_nul_escape(br#"{"a":"\\\u0000"}"#));
        assert!(!has_nul_escape(br#"{"a":"\\u0000"}"#));
        assert!(!has_nul_escape(br#"{"a":"u0000"}"#));
        assert!(has_nul_escape(br#"{"a":"\"\u0041\u0000"}"#));
        assert!(!has_nul_escape(br#"{"a":"\u00410000"}"#));
        assert!(!has_nul_escape(br#"{"a":"\\\\u0000"}"#));
        assert!(!has_nul_escape(b"\\"));
    }
}
