-- A filter on one country, in the default (created) order, is answered from one index alone:
-- the country index now also carries the columns such a filter compares (the age as `sort_age`
-- and the Big Five scores), so the page's ids come from an index-only scan that checks every
-- walked entry on the index, and only the page's rows are read from the table. Index-only scans
-- skip the table for pages the visibility map marks all-visible, which VACUUM sets (autovacuum,
-- or the store itself after bulk writes: see the README's "Planner statistics and the visibility
-- map").
CREATE INDEX identities_country_covering ON identities (ns, country, created_at, id)
    INCLUDE (sort_age, openness, conscientiousness, extraversion, agreeableness, neuroticism)
    WHERE NOT deleted;
DROP INDEX identities_country_created;

-- Identity documents stay in the row, uncompressed, up to about 8 KB of row: the default (2 KB)
-- moved every document (~3 KB) to the TOAST table as two compressed chunks, so each write also
-- inserted two TOAST rows and two TOAST index entries, and each read looked them up again and
-- decompressed them. Larger documents are still compressed and moved out of line. Applies to rows
-- written from now on.
ALTER TABLE identities SET (toast_tuple_target = 8160);
