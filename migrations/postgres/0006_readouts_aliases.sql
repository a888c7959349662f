-- Readouts in several languages and principles' aliases (API.md section 12),
-- as migrations/sqlite/0006 makes them: JSON array text, so what is read
-- back is exactly the text written.
ALTER TABLE meetings ADD COLUMN readouts TEXT COLLATE "C" NOT NULL DEFAULT '[]'; -- a JSON array of readout objects
ALTER TABLE principles ADD COLUMN aliases TEXT COLLATE "C" NOT NULL DEFAULT '[]'; -- a JSON array of strings

-- The texts of a JSON array of readouts, in order, joined by line feeds
-- (NULL for none). A string body, so that pg_dump writes it back as it is
-- (see 0004).
CREATE FUNCTION readout_texts(text) RETURNS text
	LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
	AS $$ SELECT string_agg(e ->> 'text', E'\n' ORDER BY n) FROM json_array_elements($1::json) WITH ORDINALITY AS r(e, n) $$;

-- The search vectors of 0002 again: principles' aliases weighted as
-- participants' (B), the readouts' texts as the readout (C).
ALTER TABLE principles DROP COLUMN search;
ALTER TABLE principles ADD COLUMN search tsvector GENERATED ALWAYS AS (
	setweight(to_tsvector('simple', search_words(name)), 'A') ||
	setweight(to_tsvector('simple', coalesce(search_words(framework), '')), 'B') ||
	setweight(to_tsvector('simple', coalesce(search_words(description), '')), 'C') ||
	setweight(to_tsvector('simple', coalesce(search_words(json_strings(aliases)), '')), 'B')
) STORED;
CREATE INDEX principles_search ON principles USING gin (search);

ALTER TABLE meetings DROP COLUMN search;
ALTER TABLE meetings ADD COLUMN search tsvector GENERATED ALWAYS AS (
	setweight(to_tsvector('simple', search_words(title)), 'A') ||
	setweight(to_tsvector('simple', coalesce(search_words(summary), '')), 'B') ||
	setweight(to_tsvector('simple', coalesce(search_words(readout), '')), 'C') ||
	setweight(to_tsvector('simple', coalesce(search_words(readout_texts(readouts)), '')), 'C')
) STORED;
CREATE INDEX meetings_search ON meetings USING gin (search);
