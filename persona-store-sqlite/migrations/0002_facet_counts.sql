-- Counts of every namespace's live identities, in total (facet 'live', value '') and per facet
-- value (facet 'gender', 'country', 'education', 'age_group' or 'political_spectrum'), kept by
-- every write in its own transaction: facets and counts of a whole namespace read these rows
-- instead of every identity. A value whose count reaches zero has no row. The migration fills
-- the table from the identities already stored (in Rust: age groups and political spectra are
-- derived values).
CREATE TABLE facet_counts (
    ns    TEXT    NOT NULL,
    facet TEXT    NOT NULL,
    value TEXT    NOT NULL,
    n     INTEGER NOT NULL,
    PRIMARY KEY (ns, facet, value)
) WITHOUT ROWID;
