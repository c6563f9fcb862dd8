//! The store's SQL: static statement templates, rendered once per schema.
//!
//! Every statement is a `&'static str` in which `{s}` stands for the quoted schema, `{t}` for the
//! kind's table and `{k}` for the kind's name. Schema names are validated identifiers ([`quote_schema`]), so rendering adds
//! no data to SQL: values always travel as bind parameters.

use persona_core::Kind;
use sqlx::postgres::{PgTypeInfo, PgValueFormat, PgValueRef};
use sqlx::{AssertSqlSafe, Postgres, SqlSafeStr, SqlStr};

/// `schema` quoted as an identifier, if it is a plain lowercase identifier of at most 63 bytes
/// (`[a-z_][a-z0-9_]*`) that does not start with `pg_`.
pub(crate) fn quote_schema(schema: &str) -> Option<String> {
    let bytes = schema.as_bytes();
    let valid = !bytes.is_empty()
        && bytes.len() <= 63
        && (bytes[0].is_ascii_lowercase() || bytes[0] == b'_')
        && bytes
            .iter()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'_')
        && !schema.starts_with("pg_");
    valid.then(|| format!("\"{schema}\""))
}

/// The table holding the current versions of `kind`.
pub(crate) const fn table(kind: Kind) -> &'static str {
    match kind {
        Kind::Persona => "personas",
        Kind::Identity => "identities",
        Kind::Group => "groups",
    }
}

pub(crate) const fn kind_index(kind: Kind) -> usize {
    match kind {
        Kind::Persona => 0,
        Kind::Identity => 1,
        Kind::Group => 2,
    }
}

fn render(template: &'static str, schema: &str, kind: Kind) -> SqlStr {
    let sql = template
        .replace("{s}", schema)
        .replace("{t}", table(kind))
        .replace("{k}", kind.as_str());
    AssertSqlSafe(sql).into_sql_str()
}

/// Statements that differ per kind (only by table name, or by the identity query columns).
#[derive(Debug)]
pub(crate) struct KindSql {
    pub(crate) get: SqlStr,
    pub(crate) lock: SqlStr,
    pub(crate) exists: SqlStr,
    pub(crate) insert: SqlStr,
    pub(crate) copy: SqlStr,
    pub(crate) update: SqlStr,
    pub(crate) list: SqlStr,
    pub(crate) versions: SqlStr,
    pub(crate) version: SqlStr,
    pub(crate) purge_lock: SqlStr,
    pub(crate) purge_row: SqlStr,
}

/// Every fixed statement of a store, rendered for its schema.
#[derive(Debug)]
pub(crate) struct Statements {
    pub(crate) kinds: [KindSql; 3],
    pub(crate) lock_personas: SqlStr,
    pub(crate) insert_history: SqlStr,
    pub(crate) append_audit: SqlStr,
    pub(crate) reserve_audit: SqlStr,
    pub(crate) copy_audit: SqlStr,
    pub(crate) audit: SqlStr,
    pub(crate) tombstone: SqlStr,
    pub(crate) purge_history: SqlStr,
    pub(crate) purge_labels: SqlStr,
    pub(crate) put_tombstone: SqlStr,
    pub(crate) persona_users: SqlStr,
    pub(crate) migrated: SqlStr,
    pub(crate) vacuum: SqlStr,
    pub(crate) vacuum_analyze: SqlStr,
}

impl Statements {
    pub(crate) fn new(schema: &str) -> Self {
        let kind = |kind: Kind| {
            let identity = kind == Kind::Identity;
            KindSql {
                get: render(GET, schema, kind),
                lock: render(LOCK, schema, kind),
                exists: render(EXISTS, schema, kind),
                insert: render(
                    if identity { INSERT_IDENTITIES } else { INSERT },
                    schema,
                    kind,
                ),
                copy: render(if identity { COPY_IDENTITIES } else { COPY }, schema, kind),
                update: render(
                    if identity { UPDATE_IDENTITIES } else { UPDATE },
                    schema,
                    kind,
                ),
                list: render(LIST, schema, kind),
                versions: render(VERSIONS, schema, kind),
                version: render(VERSION, schema, kind),
                purge_lock: render(PURGE_LOCK, schema, kind),
                purge_row: render(PURGE_ROW, schema, kind),
            }
        };
        let fixed = |template| render(template, schema, Kind::Persona);
        Statements {
            kinds: [kind(Kind::Persona), kind(Kind::Identity), kind(Kind::Group)],
            vacuum: fixed(VACUUM_IDENTITIES),
            vacuum_analyze: fixed(VACUUM_ANALYZE_IDENTITIES),
            lock_personas: fixed(LOCK_PERSONAS),
            insert_history: fixed(INSERT_HISTORY),
            append_audit: fixed(APPEND_AUDIT),
            reserve_audit: fixed(RESERVE_AUDIT),
            copy_audit: fixed(COPY_AUDIT),
            audit: fixed(AUDIT),
            tombstone: fixed(TOMBSTONE),
            purge_history: fixed(PURGE_HISTORY),
            purge_labels: fixed(PURGE_LABELS),
            put_tombstone: fixed(PUT_TOMBSTONE),
            persona_users: fixed(PERSONA_USERS),
            migrated: fixed(MIGRATED),
        }
    }

    pub(crate) fn kind(&self, kind: Kind) -> &KindSql {
        &self.kinds[kind_index(kind)]
    }
}

const GET: &str = "SELECT doc FROM {s}.{t} WHERE ns = $1 AND id = $2 AND NOT deleted";

/// Current rows of a batch's targets, locked in id order so concurrent batches cannot deadlock on
/// them.
const LOCK: &str = "SELECT id, doc, deleted FROM {s}.{t} \
     WHERE ns = $1 AND id = ANY($2) ORDER BY id FOR UPDATE";

/// Which of a batch's ids are taken (live or soft-deleted).
const EXISTS: &str = "SELECT id FROM {s}.{t} WHERE ns = $1 AND id = ANY($2)";

/// Personas referenced by identities of a batch; FOR SHARE keeps them from being deleted or purged
/// until the batch commits.
const LOCK_PERSONAS: &str = "SELECT id, deleted FROM {s}.personas \
     WHERE ns = $1 AND id = ANY($2) ORDER BY id FOR SHARE";

/// Statistics and the visibility map after bulk writes (see `PostgresStore::note_identity_writes`).
const VACUUM_IDENTITIES: &str = "VACUUM {s}.identities";
const VACUUM_ANALYZE_IDENTITIES: &str = "VACUUM (ANALYZE) {s}.identities";

/// Versions written and replaced within one batch.
const INSERT_HISTORY: &str = "INSERT INTO {s}.history (ns, kind, id, version, action, actor, at, deleted, doc) \
     SELECT $1, u.kind, u.id, u.version, u.action, $2, u.at, u.deleted, u.doc::jsonb \
     FROM UNNEST($3::text[], $4::text[], $5::int8[], $6::text[], $7::int8[], $8::bool[], $9::text[]) \
     AS u(kind, id, version, action, at, deleted, doc)";

const INSERT: &str = "INSERT INTO {s}.{t} (ns, id, version, deleted, action, actor, created_at, updated_at, doc) \
     SELECT $1, u.id, u.version, u.deleted, u.action, $2, u.created_at, u.updated_at, u.doc::jsonb \
     FROM UNNEST($3::text[], $4::int8[], $5::bool[], $6::text[], $7::int8[], $8::int8[], $9::text[]) \
     AS u(id, version, deleted, action, created_at, updated_at, doc) \
     ON CONFLICT (ns, id) DO NOTHING RETURNING id";

/// Replaces current rows, first moving the versions they replace into history (every part of
/// the statement sees the rows as they were before it).
const UPDATE: &str = "WITH archived AS (\
     INSERT INTO {s}.history (ns, kind, id, version, action, actor, at, deleted, doc) \
     SELECT ns, '{k}', id, version, action, actor, updated_at, deleted, doc FROM {s}.{t} \
     WHERE ns = $1 AND id = ANY($3)) \
     UPDATE {s}.{t} AS r SET version = u.version, deleted = u.deleted, \
     action = u.action, actor = $2, created_at = u.created_at, updated_at = u.updated_at, \
     doc = u.doc::jsonb \
     FROM UNNEST($3::text[], $4::int8[], $5::bool[], $6::text[], $7::int8[], $8::int8[], $9::text[], $10::int8[]) \
     AS u(id, version, deleted, action, created_at, updated_at, doc, previous) \
     WHERE r.ns = $1 AND r.id = u.id AND r.version = u.previous RETURNING r.id";

/// Binary `COPY` of new rows; the column order is the one `write::encode_row` writes.
const COPY: &str = "COPY {s}.{t} (ns, id, version, deleted, action, actor, created_at, updated_at, \
     doc) FROM STDIN (FORMAT binary)";

const COPY_IDENTITIES: &str = "COPY {s}.identities (ns, id, version, deleted, action, actor, \
     created_at, updated_at, doc, persona_id, active, terms, name, age, gender, country, region, \
     city, education, occupation, political_leaning, age_group, political_spectrum, openness, \
     conscientiousness, extraversion, agreeableness, neuroticism) FROM STDIN (FORMAT binary)";

/// The identity query columns, after the common ones: `$10` onwards.
const INSERT_IDENTITIES: &str = "INSERT INTO {s}.identities (ns, id, version, deleted, action, actor, \
     created_at, updated_at, doc, persona_id, active, terms, name, age, gender, country, region, \
     city, education, occupation, political_leaning, age_group, political_spectrum, openness, \
     conscientiousness, extraversion, agreeableness, neuroticism) \
     SELECT $1, u.id, u.version, u.deleted, u.action, $2, u.created_at, u.updated_at, u.doc::jsonb, \
     u.persona_id, u.active, array_to_tsvector(string_to_array(u.terms, chr(31))), u.name, u.age, \
     u.gender, u.country, u.region, u.city, u.education, u.occupation, u.political_leaning, \
     u.age_group, u.political_spectrum, u.o, u.c, u.e, u.a, u.n \
     FROM UNNEST($3::text[], $4::int8[], $5::bool[], $6::text[], $7::int8[], $8::int8[], $9::text[], \
     $10::text[], $11::bool[], $12::text[], $13::text[], $14::int4[], $15::text[], $16::text[], \
     $17::text[], $18::text[], $19::text[], $20::text[], $21::text[], $22::text[], $23::text[], \
     $24::float8[], $25::float8[], $26::float8[], $27::float8[], $28::float8[]) \
     AS u(id, version, deleted, action, created_at, updated_at, doc, persona_id, active, terms, \
     name, age, gender, country, region, city, education, occupation, political_leaning, \
     age_group, political_spectrum, o, c, e, a, n) \
     ON CONFLICT (ns, id) DO NOTHING RETURNING id";

const UPDATE_IDENTITIES: &str = "WITH archived AS (\
     INSERT INTO {s}.history (ns, kind, id, version, action, actor, at, deleted, doc) \
     SELECT ns, '{k}', id, version, action, actor, updated_at, deleted, doc FROM {s}.{t} \
     WHERE ns = $1 AND id = ANY($3)) \
     UPDATE {s}.identities AS r SET version = u.version, \
     deleted = u.deleted, action = u.action, actor = $2, created_at = u.created_at, \
     updated_at = u.updated_at, doc = u.doc::jsonb, persona_id = u.persona_id, active = u.active, \
     terms = array_to_tsvector(string_to_array(u.terms, chr(31))), name = u.name, age = u.age, \
     gender = u.gender, country = u.country, region = u.region, city = u.city, \
     education = u.education, occupation = u.occupation, political_leaning = u.political_leaning, \
     age_group = u.age_group, political_spectrum = u.political_spectrum, openness = u.o, \
     conscientiousness = u.c, extraversion = u.e, agreeableness = u.a, neuroticism = u.n \
     FROM UNNEST($3::text[], $4::int8[], $5::bool[], $6::text[], $7::int8[], $8::int8[], $9::text[], \
     $10::text[], $11::bool[], $12::text[], $13::text[], $14::int4[], $15::text[], $16::text[], \
     $17::text[], $18::text[], $19::text[], $20::text[], $21::text[], $22::text[], $23::text[], \
     $24::float8[], $25::float8[], $26::float8[], $27::float8[], $28::float8[], $29::int8[]) \
     AS u(id, version, deleted, action, created_at, updated_at, doc, persona_id, active, terms, \
     name, age, gender, country, region, city, education, occupation, political_leaning, \
     age_group, political_spectrum, o, c, e, a, n, previous) \
     WHERE r.ns = $1 AND r.id = u.id AND r.version = u.previous RETURNING r.id";

/// Allocates the batch's audit sequence numbers and appends its entries in one statement. The
/// counter row stays locked until commit, so a namespace's entries commit in sequence order.
const APPEND_AUDIT: &str = "WITH c AS (\
     INSERT INTO {s}.counters (ns, audit_seq) VALUES ($1, $2) \
     ON CONFLICT (ns) DO UPDATE SET audit_seq = counters.audit_seq + EXCLUDED.audit_seq \
     RETURNING audit_seq) \
     INSERT INTO {s}.audit (ns, seq, at, actor, action, kind, id, version, label) \
     SELECT $1, c.audit_seq - $2 + u.ord, $3, $4, u.action, u.kind, u.id, u.version, u.label \
     FROM c, UNNEST($5::text[], $6::text[], $7::text[], $8::int8[], $9::text[]) WITH ORDINALITY \
     AS u(action, kind, id, version, label, ord) \
     RETURNING seq";

/// Allocates `$2` audit sequence numbers and returns the last one; the entries then go in with
/// [`COPY_AUDIT`]. The counter row stays locked until commit, as with [`APPEND_AUDIT`].
const RESERVE_AUDIT: &str = "INSERT INTO {s}.counters (ns, audit_seq) VALUES ($1, $2) \
     ON CONFLICT (ns) DO UPDATE SET audit_seq = counters.audit_seq + EXCLUDED.audit_seq \
     RETURNING audit_seq";

/// Binary `COPY` of a large batch's audit entries; the column order is the one
/// `write::copy_audit` writes.
const COPY_AUDIT: &str = "COPY {s}.audit (ns, seq, at, actor, action, kind, id, version, label) \
     FROM STDIN (FORMAT binary)";

const LIST: &str = "SELECT id, doc FROM {s}.{t} \
     WHERE ns = $1 AND NOT deleted AND id > $2 ORDER BY id LIMIT $3";

const VERSIONS: &str = "SELECT version, action, actor, at, deleted FROM {s}.history \
     WHERE ns = $1 AND kind = $2 AND id = $3 \
     UNION ALL SELECT version, action, actor, updated_at, deleted FROM {s}.{t} \
     WHERE ns = $1 AND id = $3 ORDER BY version";

const VERSION: &str = "SELECT version, action, actor, at, deleted, doc FROM {s}.history \
     WHERE ns = $1 AND kind = $2 AND id = $3 AND version = $4 \
     UNION ALL SELECT version, action, actor, updated_at, deleted, doc FROM {s}.{t} \
     WHERE ns = $1 AND id = $3 AND version = $4";

const AUDIT: &str = "SELECT seq, at, actor, action, kind, id, version, label FROM {s}.audit \
     WHERE ns = $1 AND ($2::text IS NULL OR kind = $2) AND ($3::text IS NULL OR id = $3) \
     AND seq > $4 ORDER BY seq LIMIT $5";

const TOMBSTONE: &str = "SELECT last_version, purged_at, actor FROM {s}.tombstones \
     WHERE ns = $1 AND kind = $2 AND id = $3";

const PURGE_LOCK: &str = "SELECT version FROM {s}.{t} WHERE ns = $1 AND id = $2 FOR UPDATE";

const PURGE_ROW: &str = "DELETE FROM {s}.{t} WHERE ns = $1 AND id = $2";

const PURGE_HISTORY: &str = "DELETE FROM {s}.history WHERE ns = $1 AND kind = $2 AND id = $3";

const PURGE_LABELS: &str = "UPDATE {s}.audit SET label = NULL \
     WHERE ns = $1 AND kind = $2 AND id = $3 AND label IS NOT NULL";

const PUT_TOMBSTONE: &str = "INSERT INTO {s}.tombstones (ns, kind, id, last_version, purged_at, actor) \
     VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (ns, kind, id) DO UPDATE SET \
     last_version = EXCLUDED.last_version, purged_at = EXCLUDED.purged_at, actor = EXCLUDED.actor";

/// Identities (live or soft-deleted) that reference a persona.
const PERSONA_USERS: &str = "SELECT count(*) FROM {s}.identities \
     WHERE ns = $1 AND terms @@ $2::tsquery";

/// One round trip that fails with "undefined table" when the schema is not migrated.
const MIGRATED: &str = "SELECT 1 FROM {s}.counters LIMIT 0";

/// A `jsonb` value as the JSON text it holds, borrowed from the row without copying.
pub(crate) struct JsonbBytes<'r>(pub(crate) &'r [u8]);

impl sqlx::Type<Postgres> for JsonbBytes<'_> {
    fn type_info() -> PgTypeInfo {
        <sqlx::types::Json<()> as sqlx::Type<Postgres>>::type_info()
    }

    fn compatible(ty: &PgTypeInfo) -> bool {
        <sqlx::types::Json<()> as sqlx::Type<Postgres>>::compatible(ty)
    }
}

impl<'r> sqlx::Decode<'r, Postgres> for JsonbBytes<'r> {
    fn decode(value: PgValueRef<'r>) -> Result<Self, sqlx::error::BoxDynError> {
        let format = value.format();
        let bytes = value.as_bytes()?;
        match (format, bytes.split_first()) {
            // Binary jsonb is a version byte (1) followed by the JSON text.
            (PgValueFormat::Binary, Some((&1, json))) => Ok(JsonbBytes(json)),
            (PgValueFormat::Binary, _) => Err("unsupported jsonb format version".into()),
            (PgValueFormat::Text, _) => Ok(JsonbBytes(bytes)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schema_names_are_plain_identifiers() {
        assert_eq!(quote_schema("persona").as_deref(), Some("\"persona\""));
        assert_eq!(quote_schema("_x1").as_deref(), Some("\"_x1\""));
        for bad in ["", "Persona", "a-b", "a\"b", "pg_x", "1a", &"a".repeat(64)] {
            assert!(quote_schema(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn rendering_fills_schema_and_table() {
        let sql = Statements::new("\"s\"");
        assert_eq!(
            sql.kind(Kind::Group).get.as_str(),
            "SELECT doc FROM \"s\".groups WHERE ns = $1 AND id = $2 AND NOT deleted"
        );
        assert!(!sql.append_audit.as_str().contains('{'));
    }
}
