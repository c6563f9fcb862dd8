-- The persona SDK's tables. Names are unqualified: the store runs its migrations with
-- `search_path` set to its own schema, so one database can host several SDK schemas.
--
-- Every table carries the namespace (`ns`) as the first column of its primary key and of every
-- index. Ids, namespaces and names use the "C" collation so they sort bytewise, as the
-- reference evaluator does. Timestamps are Unix nanoseconds (bigint).
--
-- A record's current version lives in its kind's table (with the action and actor that produced
-- it); earlier versions are moved to `history` when they are replaced.

CREATE TABLE personas (
    ns          text COLLATE "C" NOT NULL,
    id          text COLLATE "C" NOT NULL,
    version     bigint NOT NULL,
    deleted     boolean NOT NULL,
    action      text NOT NULL,
    actor       text NOT NULL,
    created_at  bigint NOT NULL,
    updated_at  bigint NOT NULL,
    doc         jsonb NOT NULL,
    PRIMARY KEY (ns, id)
);

CREATE TABLE groups (
    ns          text COLLATE "C" NOT NULL,
    id          text COLLATE "C" NOT NULL,
    version     bigint NOT NULL,
    deleted     boolean NOT NULL,
    action      text NOT NULL,
    actor       text NOT NULL,
    created_at  bigint NOT NULL,
    updated_at  bigint NOT NULL,
    doc         jsonb NOT NULL,
    PRIMARY KEY (ns, id)
);

CREATE TABLE identities (
    ns                  text COLLATE "C" NOT NULL,
    id                  text COLLATE "C" NOT NULL,
    version             bigint NOT NULL,
    deleted             boolean NOT NULL,
    action              text NOT NULL,
    actor               text NOT NULL,
    created_at          bigint NOT NULL,
    updated_at          bigint NOT NULL,
    doc                 jsonb NOT NULL,
    -- Query columns, extracted in Rust (persona_core::query::IndexFields) at every write.
    persona_id          text COLLATE "C" NOT NULL,
    active              boolean NOT NULL,
    -- Every exact-match query value as a prefixed lexeme: text tokens (w:), tags (t:), persona
    -- (p:), active (a:), gender (g:), country (c:), region (r:), city (y:), education (e:),
    -- occupation (o:), political leaning (l:). See src/terms.rs.
    terms               tsvector NOT NULL,
    name                text COLLATE "C" NOT NULL,
    age                 integer,
    sort_age            integer GENERATED ALWAYS AS (coalesce(age, -1)) STORED,
    gender              text COLLATE "C",
    country             text COLLATE "C",
    region              text COLLATE "C",
    city                text COLLATE "C",
    education           text COLLATE "C",
    occupation          text COLLATE "C",
    political_leaning   text COLLATE "C",
    age_group           text COLLATE "C",
    political_spectrum  text COLLATE "C",
    openness            double precision,
    conscientiousness   double precision,
    extraversion        double precision,
    agreeableness       double precision,
    neuroticism         double precision,
    PRIMARY KEY (ns, id)
);

-- Sort orders (keyset pagination: sort value, then id); they also serve the age, created and
-- updated ranges.
CREATE INDEX identities_created ON identities (ns, created_at, id) WHERE NOT deleted;
CREATE INDEX identities_updated ON identities (ns, updated_at, id) WHERE NOT deleted;
CREATE INDEX identities_name ON identities (ns, name, id) WHERE NOT deleted;
CREATE INDEX identities_age ON identities (ns, sort_age, id) WHERE NOT deleted;
-- Every exact-match filter (and text search) through one GIN index. It also covers soft-deleted
-- rows, which purge must see when it counts a persona's identities.
CREATE INDEX identities_terms ON identities USING gin (terms);

-- Earlier versions of every record, with their full content.
CREATE TABLE history (
    ns          text COLLATE "C" NOT NULL,
    kind        text COLLATE "C" NOT NULL,
    id          text COLLATE "C" NOT NULL,
    version     bigint NOT NULL,
    action      text NOT NULL,
    actor       text NOT NULL,
    at          bigint NOT NULL,
    deleted     boolean NOT NULL,
    doc         jsonb NOT NULL,
    PRIMARY KEY (ns, kind, id, version)
);

CREATE TABLE audit (
    ns          text COLLATE "C" NOT NULL,
    seq         bigint NOT NULL,
    at          bigint NOT NULL,
    actor       text NOT NULL,
    action      text NOT NULL,
    kind        text COLLATE "C" NOT NULL,
    id          text COLLATE "C" NOT NULL,
    version     bigint NOT NULL,
    -- The record's name at the time; set to NULL when the record is purged.
    label       text,
    PRIMARY KEY (ns, seq)
);
CREATE INDEX audit_record ON audit (ns, kind, id, seq);

CREATE TABLE tombstones (
    ns            text COLLATE "C" NOT NULL,
    kind          text COLLATE "C" NOT NULL,
    id            text COLLATE "C" NOT NULL,
    last_version  bigint NOT NULL,
    purged_at     bigint NOT NULL,
    actor         text NOT NULL,
    PRIMARY KEY (ns, kind, id)
);

-- The last audit sequence number of each namespace. Its row lock also orders a namespace's
-- writes at commit, so audit entries become visible in sequence order.
CREATE TABLE counters (
    ns          text COLLATE "C" NOT NULL PRIMARY KEY,
    audit_seq   bigint NOT NULL
);

-- lz4 roughly halves the CPU Postgres spends compressing documents. Servers built without lz4,
-- and servers before 14 (no SET COMPRESSION), keep their default (pglz).
DO $$
BEGIN
    ALTER TABLE personas ALTER COLUMN doc SET COMPRESSION lz4;
    ALTER TABLE groups ALTER COLUMN doc SET COMPRESSION lz4;
    ALTER TABLE identities ALTER COLUMN doc SET COMPRESSION lz4;
    ALTER TABLE history ALTER COLUMN doc SET COMPRESSION lz4;
EXCEPTION WHEN feature_not_supported OR syntax_error THEN
    NULL;
END
$$;
