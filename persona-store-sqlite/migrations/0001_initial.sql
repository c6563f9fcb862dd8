-- Schema version 1 of the persona SQLite store.
--
-- Every table has the namespace as a column or reaches it through `records`, every statement of
-- the crate filters on it. Values are checked in Rust before they are written; there are no CHECK
-- constraints because each one turns an insert into a statement transaction (a sub-journal copy
-- of every page it touches), which tripled the cost of a write.
--
-- One narrow row per record holds the metadata of its current version and, for identities, the
-- query columns; its current document is the row of `documents` with the same number. A create
-- writes these two rows (the second an append by row number), not a record row, a history row and
-- a query row with a key each. Earlier versions move to `history` when they are superseded, so
-- every document is stored exactly once. Documents live apart so that whatever scans or filters
-- many rows (facets, counts, filters no index covers) reads narrow rows, not 3 KB documents.

CREATE TABLE records (
    -- The record's number in this file: the key of its history, tags and text entry.
    rid          INTEGER PRIMARY KEY,
    ns           TEXT    NOT NULL,
    kind         TEXT    NOT NULL,
    id           TEXT    NOT NULL,
    -- The current version: its number, the write that made it, and whether it is soft-deleted.
    version      INTEGER NOT NULL,
    action       TEXT    NOT NULL,
    actor        TEXT    NOT NULL,
    at           INTEGER NOT NULL,
    deleted      INTEGER NOT NULL,
    -- For identities (live or soft-deleted): the persona they reference, so a purge can refuse
    -- to orphan them; also the persona filter of queries.
    persona_ref  TEXT,
    -- 1 for a live identity, 0 otherwise: the query indexes below hold live identities only.
    live         INTEGER NOT NULL,
    -- The query columns of identities, extracted in Rust (`IndexFields`) on every write; NULL
    -- for personas and groups.
    active            INTEGER,
    name              TEXT,
    age               INTEGER,
    -- The age sort key: a missing age sorts as -1.
    sort_age          INTEGER,
    gender            TEXT,
    country           TEXT,
    region            TEXT,
    city              TEXT,
    education         TEXT,
    occupation        TEXT,
    political_leaning TEXT,
    openness          REAL,
    conscientiousness REAL,
    extraversion      REAL,
    agreeableness     REAL,
    neuroticism       REAL,
    created_at        INTEGER,
    updated_at        INTEGER
);

CREATE UNIQUE INDEX records_key ON records (ns, kind, id);
-- Not partial: a partial index whose condition the planner must prove from bound parameters
-- (`persona_ref IS NOT NULL` from `ns = ?`, say) marks every statement on `records` for a fresh
-- prepare each time a parameter is bound. The conditions below (`live = 1`) are only ever met by
-- the literal term `live = 1` the crate writes into its queries.
CREATE INDEX records_persona_ref ON records (ns, persona_ref);

-- Keyset pagination in every sort order, over live identities only.
CREATE INDEX identity_created ON records (ns, created_at, id) WHERE live = 1;
CREATE INDEX identity_updated ON records (ns, updated_at, id) WHERE live = 1;
CREATE INDEX identity_name ON records (ns, name, id) WHERE live = 1;
CREATE INDEX identity_age ON records (ns, sort_age, id) WHERE live = 1;
-- The selective demographic filter, in created order and covering age and the Big Five: a
-- country + age + trait query in the default order walks one country's entries from the oldest,
-- checks each on the index entry alone and stops at the page's last match, with no sort and no
-- table row read, so its cost depends on how rare a match is, not on how many identities there
-- are. (Keyed on (country, age) instead, it read every entry of the age range and sorted all
-- matches: ~1,900 entries and a sort of ~800 for a page of 50 at 100,000 identities, ten times as
-- many at 1,000,000.)
CREATE INDEX identity_country ON records (
    ns, country, created_at, id, age, openness, conscientiousness, extraversion, agreeableness,
    neuroticism
) WHERE live = 1;

-- The current document (`AnyRecord::to_json`) of every record, by `records.rid`. Kept in step by
-- the crate (a foreign key would cost a parent lookup per insert).
CREATE TABLE documents (
    rid INTEGER PRIMARY KEY,
    doc TEXT    NOT NULL
);

-- Superseded versions, moved here from `records` when a write replaces them.
CREATE TABLE history (
    rid     INTEGER NOT NULL REFERENCES records (rid) ON DELETE CASCADE,
    version INTEGER NOT NULL,
    action  TEXT    NOT NULL,
    actor   TEXT    NOT NULL,
    at      INTEGER NOT NULL,
    deleted INTEGER NOT NULL,
    doc     TEXT    NOT NULL,
    PRIMARY KEY (rid, version)
) WITHOUT ROWID;

CREATE TABLE audit (
    ns      TEXT    NOT NULL,
    seq     INTEGER NOT NULL,
    at      INTEGER NOT NULL,
    actor   TEXT    NOT NULL,
    action  TEXT    NOT NULL,
    kind    TEXT    NOT NULL,
    id      TEXT    NOT NULL,
    version INTEGER NOT NULL,
    label   TEXT,
    PRIMARY KEY (ns, seq)
) WITHOUT ROWID;

CREATE INDEX audit_record ON audit (ns, kind, id, seq);

CREATE TABLE tombstones (
    ns           TEXT    NOT NULL,
    kind         TEXT    NOT NULL,
    id           TEXT    NOT NULL,
    last_version INTEGER NOT NULL,
    purged_at    INTEGER NOT NULL,
    actor        TEXT    NOT NULL,
    PRIMARY KEY (ns, kind, id)
) WITHOUT ROWID;

-- The tags of identities (live or soft-deleted; queries join live rows of `records`). One B-tree
-- serves tag filters (ns, tag, rid) and removal by key. Kept in step by the crate: a foreign key
-- here would cost a parent lookup per tag for no added safety.
CREATE TABLE identity_tags (
    ns  TEXT    NOT NULL,
    tag TEXT    NOT NULL,
    rid INTEGER NOT NULL,
    PRIMARY KEY (ns, tag, rid)
) WITHOUT ROWID;

-- Full-text index over the Rust-computed tokens of identities (live or soft-deleted), keyed by
-- `records.rid`. Contentless: the tokens are not stored a second time; `contentless_delete`
-- lets the crate remove an entry by rowid. Kept in step by the crate, not by triggers (a trigger
-- makes every insert a statement transaction, and FTS5 flushes its pending terms at every
-- statement savepoint, so a batch would write one segment per row). The `ascii` tokenizer splits
-- only on ASCII non-alphanumerics and folds only ASCII letters; the tokens are already lowercased
-- alphanumeric words, so every token is indexed exactly as Rust computed it, non-ASCII ones
-- included.
CREATE VIRTUAL TABLE identity_fts USING fts5 (
    tokens,
    content = '',
    contentless_delete = 1,
    tokenize = 'ascii',
    detail = none
);
