-- Schema version 1 of the persona SQLite store.
--
-- Every table has the namespace as a column, every index starts with it and every statement of the
-- crate filters on it. Values are checked in Rust before they are written; there are no CHECK
-- constraints because each one turns an insert into a statement transaction (a sub-journal copy
-- of every page it touches), which tripled the cost of a write. A record's documents live in `history` only: the current document is the
-- history row whose version equals `records.version`, so each write stores one copy of the JSON.

CREATE TABLE records (
    ns          TEXT    NOT NULL,
    kind        TEXT    NOT NULL,
    id          TEXT    NOT NULL,
    version     INTEGER NOT NULL,
    deleted     INTEGER NOT NULL,
    -- For identities (live or soft-deleted): the persona they reference, so a purge can refuse
    -- to orphan them.
    persona_ref TEXT,
    PRIMARY KEY (ns, kind, id)
) WITHOUT ROWID;

CREATE INDEX records_persona_ref ON records (ns, persona_ref) WHERE persona_ref IS NOT NULL;

CREATE TABLE history (
    ns      TEXT    NOT NULL,
    kind    TEXT    NOT NULL,
    id      TEXT    NOT NULL,
    version INTEGER NOT NULL,
    action  TEXT    NOT NULL,
    actor   TEXT    NOT NULL,
    at      INTEGER NOT NULL,
    deleted INTEGER NOT NULL,
    doc     TEXT    NOT NULL,
    FOREIGN KEY (ns, kind, id) REFERENCES records (ns, kind, id) ON DELETE CASCADE
);

CREATE UNIQUE INDEX history_version ON history (ns, kind, id, version);

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

-- The query columns of live identities, extracted in Rust (`IndexFields`) on every write.
-- Soft-deleted identities have no row here. The crate writes and deletes these rows (and their
-- tags and text entries) in the same transaction as the record; foreign keys here would cost a
-- parent lookup per row and per tag for no added safety.
CREATE TABLE identity_index (
    rid               INTEGER PRIMARY KEY,
    ns                TEXT    NOT NULL,
    id                TEXT    NOT NULL,
    version           INTEGER NOT NULL,
    persona_id        TEXT    NOT NULL,
    active            INTEGER NOT NULL,
    name              TEXT    NOT NULL,
    age               INTEGER,
    -- The age sort key: a missing age sorts as -1.
    sort_age          INTEGER NOT NULL,
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
    created_at        INTEGER NOT NULL,
    updated_at        INTEGER NOT NULL,
    -- The Rust-computed tokens, space-separated, indexed by identity_fts.
    tokens            TEXT    NOT NULL,
    UNIQUE (ns, id)
);

CREATE INDEX identity_created ON identity_index (ns, created_at, id);
CREATE INDEX identity_updated ON identity_index (ns, updated_at, id);
CREATE INDEX identity_name ON identity_index (ns, name, id);
CREATE INDEX identity_age ON identity_index (ns, sort_age, id);
CREATE INDEX identity_persona ON identity_index (ns, persona_id);
CREATE INDEX identity_country ON identity_index (ns, country, age);

-- The tags of live identities. One B-tree serves both tag filters (EXISTS on ns, tag, id) and
-- removal (the crate deletes the previous version's tags by key).
CREATE TABLE identity_tags (
    ns  TEXT NOT NULL,
    tag TEXT NOT NULL,
    id  TEXT NOT NULL,
    PRIMARY KEY (ns, tag, id)
) WITHOUT ROWID;

-- Full-text index over the tokens, kept in step with identity_index by the crate (not by
-- triggers: a trigger makes every insert a statement transaction, and FTS5 flushes its pending
-- terms to disk at every statement savepoint, so a batch would write one segment per row). The
-- `ascii` tokenizer splits only on ASCII non-alphanumerics and folds only ASCII letters; the
-- tokens are already lowercased alphanumeric words, so every token is indexed exactly as Rust
-- computed it, non-ASCII ones included.
CREATE VIRTUAL TABLE identity_fts USING fts5 (
    ns UNINDEXED,
    tokens,
    content = 'identity_index',
    content_rowid = 'rid',
    tokenize = 'ascii',
    detail = none,
    columnsize = 0
);
