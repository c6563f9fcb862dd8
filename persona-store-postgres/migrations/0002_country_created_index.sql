-- A filter on one country compares the `country` column, and this index walks that country's
-- live identities in created order (the default sort): a selective page (country + age range +
-- a trait threshold) reads about limit / (share of the country's identities matching) rows and
-- never sorts, whatever the number of identities.
CREATE INDEX identities_country_created ON identities (ns, country, created_at, id) WHERE NOT deleted;
