-- The v1 data model on PostgreSQL: what migrations/0001-0003 make of a SQLite
-- database, table for table and column for column, so that the store's SQL
-- can be shared. tests/pg/test_schema.sh checks the two behave the same.
--
-- Runs as the database's owner; no superuser needed (unaccent is a trusted
-- extension). Choices that the shared SQL depends on:
-- - Every text column is COLLATE "C": SQLite compares text bytewise (BINARY),
--   so dates, timestamps and slugs order and compare the same on both, and
--   lower() folds ASCII letters only, as SQLite's lower() and NOCASE do.
-- - Names sort by lower(name), the index expression below: the shared SQL
--   writes "ORDER BY lower(name), id" and "(lower(name), id) > ($3, $4)"
--   where SQLite's wrote "name COLLATE NOCASE", with the cursor's name key
--   lowered (ASCII only) by the store: lower($3) would follow the database's
--   locale on PostgreSQL and lower non-ASCII letters too.
-- - Ids are BIGINT identities, assigned by the database and never reused (as
--   AUTOINCREMENT): inserts leave id out and read it back with RETURNING.
-- - Every integer is BIGINT, as SQLite's INTEGER is 64 bits.
-- - aliases and sources stay TEXT holding JSON, so what is read back is
--   exactly the text written (jsonb would reorder keys and respace).
-- - Full-text search lives in a generated tsvector column per table
--   (search), so it follows every write by itself: the store has nothing to
--   keep in step on PostgreSQL, unlike SQLite's FTS5 tables.

-- In public, where fold() names it, whatever the owner's search_path.
CREATE EXTENSION IF NOT EXISTS unaccent SCHEMA public;

-- fold(text): lower case and no diacritics, as the store's C model_fold does
-- for Latin letters and SQLite's fold() through it, so that
-- "fold(name) LIKE fold($1) ESCAPE '\'" works on both. The dictionary is named
-- and the body bound at creation (RETURN), so the result does not depend on
-- search_path and the function may be IMMUTABLE, as indexes and generated
-- columns require. COLLATE "C" keeps lower() to ASCII whatever the database's
-- locale. unaccent folds more than model_fold (Greek, Latin Extended-B and
-- Additional), hence fold() on the pattern too.
CREATE FUNCTION fold(text) RETURNS text
	LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
	RETURN lower(public.unaccent('public.unaccent'::regdictionary, $1) COLLATE "C");

-- json_each(text): the strings of a JSON array, in order, as column value:
-- the part of SQLite's json_each that the store uses, so that
-- "SELECT value FROM json_each(aliases)" is shared SQL. Values are text: ids
-- from a JSON array need "CAST(value AS BIGINT)" on both. It overloads
-- pg_catalog.json_each(json), which a text argument does not reach.
CREATE FUNCTION json_each(text) RETURNS TABLE (value text)
	LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
	RETURN json_array_elements_text($1::json);

-- The strings of a JSON array joined by '; ': the aliases as SQLite's FTS
-- table holds them.
CREATE FUNCTION json_strings(text) RETURNS text
	LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
	BEGIN ATOMIC
		SELECT string_agg(e, '; ') FROM json_array_elements_text($1::json) AS e;
	END;

-- For snippets: ts_headline(simple_unaccent, text, query) marks "Šefčovič"
-- in the stored text for a query built as the vectors are, from
-- fold()ed words ('sefcovic'): 'simple' with unaccent in front, word by word.
CREATE TEXT SEARCH CONFIGURATION simple_unaccent (COPY = pg_catalog.simple);
ALTER TEXT SEARCH CONFIGURATION simple_unaccent
	ALTER MAPPING FOR asciiword, asciihword, hword_asciipart, word, hword, hword_part
	WITH public.unaccent, pg_catalog.simple;

CREATE TABLE settings (
	key TEXT COLLATE "C" PRIMARY KEY,
	value BYTEA NOT NULL
);

CREATE TABLE participants (
	id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	slug TEXT COLLATE "C" NOT NULL UNIQUE,
	name TEXT COLLATE "C" NOT NULL,
	aliases TEXT COLLATE "C" NOT NULL DEFAULT '[]', -- a JSON array of strings
	title TEXT COLLATE "C",
	organization TEXT COLLATE "C",
	country TEXT COLLATE "C" CHECK (country IS NULL OR length(country) = 2),
	meeting_count BIGINT NOT NULL DEFAULT 0,
	first_meeting_date TEXT COLLATE "C",
	last_meeting_date TEXT COLLATE "C",
	created_at TEXT COLLATE "C" NOT NULL,
	updated_at TEXT COLLATE "C" NOT NULL,
	version BIGINT NOT NULL DEFAULT 1,
	search tsvector GENERATED ALWAYS AS (
		setweight(to_tsvector('simple', fold(name)), 'A') ||
		setweight(to_tsvector('simple', coalesce(fold(json_strings(aliases)), '')), 'B')
	) STORED
);
CREATE INDEX participants_name ON participants (lower(name), id);
CREATE INDEX participants_meeting_count ON participants (meeting_count, id);
CREATE INDEX participants_country_name ON participants (country, lower(name), id);
CREATE INDEX participants_search ON participants USING gin (search);

CREATE TABLE principles (
	id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	slug TEXT COLLATE "C" NOT NULL UNIQUE,
	name TEXT COLLATE "C" NOT NULL,
	framework TEXT COLLATE "C",
	description TEXT COLLATE "C",
	invocation_count BIGINT NOT NULL DEFAULT 0,
	first_invoked_date TEXT COLLATE "C",
	created_at TEXT COLLATE "C" NOT NULL,
	updated_at TEXT COLLATE "C" NOT NULL,
	version BIGINT NOT NULL DEFAULT 1,
	search tsvector GENERATED ALWAYS AS (
		setweight(to_tsvector('simple', fold(name)), 'A') ||
		setweight(to_tsvector('simple', coalesce(fold(framework), '')), 'B') ||
		setweight(to_tsvector('simple', coalesce(fold(description), '')), 'C')
	) STORED
);
CREATE INDEX principles_name ON principles (lower(name), id);
CREATE INDEX principles_invocation_count ON principles (invocation_count, id);
CREATE INDEX principles_first_invoked ON principles (first_invoked_date, id);
CREATE INDEX principles_framework_name ON principles (framework, lower(name), id);
CREATE INDEX principles_search ON principles USING gin (search);

CREATE TABLE meetings (
	id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	slug TEXT COLLATE "C" NOT NULL UNIQUE,
	title TEXT COLLATE "C" NOT NULL,
	date TEXT COLLATE "C" NOT NULL,
	kind TEXT COLLATE "C" NOT NULL DEFAULT 'meeting'
		CHECK (kind IN ('meeting', 'talks', 'phone_call', 'video_call', 'summit', 'visit', 'other')),
	location TEXT COLLATE "C",
	city TEXT COLLATE "C",
	country TEXT COLLATE "C" CHECK (country IS NULL OR length(country) = 2),
	summary TEXT COLLATE "C",
	readout TEXT COLLATE "C",
	sources TEXT COLLATE "C" NOT NULL DEFAULT '[]', -- a JSON array of source objects
	created_at TEXT COLLATE "C" NOT NULL,
	updated_at TEXT COLLATE "C" NOT NULL,
	version BIGINT NOT NULL DEFAULT 1,
	search tsvector GENERATED ALWAYS AS (
		setweight(to_tsvector('simple', fold(title)), 'A') ||
		setweight(to_tsvector('simple', coalesce(fold(summary), '')), 'B') ||
		setweight(to_tsvector('simple', coalesce(fold(readout), '')), 'C')
	) STORED
);
CREATE INDEX meetings_date ON meetings (date, id);
CREATE INDEX meetings_kind_date ON meetings (kind, date, id);
CREATE INDEX meetings_country_date ON meetings (country, date, id);
CREATE INDEX meetings_search ON meetings USING gin (search);

-- Who attended a meeting, in the order the client gave.
CREATE TABLE attendances (
	meeting_id BIGINT NOT NULL REFERENCES meetings (id) ON DELETE CASCADE,
	participant_id BIGINT NOT NULL REFERENCES participants (id) ON DELETE RESTRICT,
	role TEXT COLLATE "C" NOT NULL DEFAULT 'attendee' CHECK (role IN ('host', 'guest', 'attendee')),
	position BIGINT NOT NULL,
	PRIMARY KEY (meeting_id, participant_id)
);
CREATE INDEX attendances_participant ON attendances (participant_id, meeting_id);

-- Each invocation of a principle at a meeting; invoked_by attended it.
CREATE TABLE invocations (
	meeting_id BIGINT NOT NULL REFERENCES meetings (id) ON DELETE CASCADE,
	principle_id BIGINT NOT NULL REFERENCES principles (id) ON DELETE RESTRICT,
	stance TEXT COLLATE "C" NOT NULL DEFAULT 'cited' CHECK (stance IN ('proposed', 'reaffirmed', 'cited')),
	invoked_by BIGINT REFERENCES participants (id) ON DELETE RESTRICT,
	quote TEXT COLLATE "C",
	position BIGINT NOT NULL,
	PRIMARY KEY (meeting_id, principle_id)
);
CREATE INDEX invocations_principle ON invocations (principle_id, meeting_id);
CREATE INDEX invocations_invoked_by ON invocations (invoked_by) WHERE invoked_by IS NOT NULL;

-- Links from a meeting to the meetings it refers to or continues.
CREATE TABLE meeting_links (
	meeting_id BIGINT NOT NULL REFERENCES meetings (id) ON DELETE CASCADE,
	related_id BIGINT NOT NULL REFERENCES meetings (id) ON DELETE CASCADE,
	relation TEXT COLLATE "C" NOT NULL CHECK (relation IN ('references', 'follows_up')),
	position BIGINT NOT NULL,
	PRIMARY KEY (meeting_id, related_id),
	CHECK (meeting_id <> related_id)
);
CREATE INDEX meeting_links_related ON meeting_links (related_id);

-- Derived fields, kept incrementally as SQLite's migration 0003 keeps them:
-- an insert adds one and widens the date range; a delete subtracts one and
-- recomputes the dates only when the deleted meeting held one of them (or is
-- itself being deleted, when its date can no longer be read). Row triggers
-- here run at the end of their statement rather than after each row as in
-- SQLite; each sees the rows as the statement left them, and the results
-- agree (the test deletes and updates several rows in one statement).
-- least/greatest stand for SQLite's two-argument min/max; they differ only on
-- NULL, and a meeting's date is never NULL.

CREATE FUNCTION attendances_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	UPDATE participants SET
		meeting_count = meeting_count + 1,
		first_meeting_date = least(coalesce(first_meeting_date, '9999-12-31'),
			(SELECT date FROM meetings WHERE id = NEW.meeting_id)),
		last_meeting_date = greatest(coalesce(last_meeting_date, '0000-01-01'),
			(SELECT date FROM meetings WHERE id = NEW.meeting_id))
	WHERE id = NEW.participant_id;
	RETURN NULL;
END $$;
CREATE TRIGGER attendances_insert AFTER INSERT ON attendances
	FOR EACH ROW EXECUTE FUNCTION attendances_insert();

CREATE FUNCTION attendances_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	-- Who no longer attended can no longer be the one who invoked.
	UPDATE invocations SET invoked_by = NULL
	WHERE meeting_id = OLD.meeting_id AND invoked_by = OLD.participant_id;
	UPDATE participants SET meeting_count = meeting_count - 1 WHERE id = OLD.participant_id;
	UPDATE participants SET
		first_meeting_date = (SELECT min(m.date) FROM attendances a JOIN meetings m ON m.id = a.meeting_id
			WHERE a.participant_id = OLD.participant_id),
		last_meeting_date = (SELECT max(m.date) FROM attendances a JOIN meetings m ON m.id = a.meeting_id
			WHERE a.participant_id = OLD.participant_id)
	WHERE id = OLD.participant_id
		AND coalesce((SELECT date FROM meetings WHERE id = OLD.meeting_id), first_meeting_date)
			IN (first_meeting_date, last_meeting_date);
	RETURN NULL;
END $$;
CREATE TRIGGER attendances_delete AFTER DELETE ON attendances
	FOR EACH ROW EXECUTE FUNCTION attendances_delete();

CREATE FUNCTION invocations_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	UPDATE principles SET
		invocation_count = invocation_count + 1,
		first_invoked_date = least(coalesce(first_invoked_date, '9999-12-31'),
			(SELECT date FROM meetings WHERE id = NEW.meeting_id))
	WHERE id = NEW.principle_id;
	RETURN NULL;
END $$;
CREATE TRIGGER invocations_insert AFTER INSERT ON invocations
	FOR EACH ROW EXECUTE FUNCTION invocations_insert();

CREATE FUNCTION invocations_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	UPDATE principles SET invocation_count = invocation_count - 1 WHERE id = OLD.principle_id;
	UPDATE principles SET
		first_invoked_date = (SELECT min(m.date) FROM invocations i JOIN meetings m ON m.id = i.meeting_id
			WHERE i.principle_id = OLD.principle_id)
	WHERE id = OLD.principle_id
		AND coalesce((SELECT date FROM meetings WHERE id = OLD.meeting_id), first_invoked_date)
			= first_invoked_date;
	RETURN NULL;
END $$;
CREATE TRIGGER invocations_delete AFTER DELETE ON invocations
	FOR EACH ROW EXECUTE FUNCTION invocations_delete();

-- A meeting whose date changes moves its people's and principles' dates.
-- "UPDATE OF date" fires, as in SQLite, whenever date is assigned, changed or not.
CREATE FUNCTION meetings_date_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	UPDATE participants SET
		first_meeting_date = (SELECT min(m.date) FROM attendances a JOIN meetings m ON m.id = a.meeting_id
			WHERE a.participant_id = participants.id),
		last_meeting_date = (SELECT max(m.date) FROM attendances a JOIN meetings m ON m.id = a.meeting_id
			WHERE a.participant_id = participants.id)
	WHERE id IN (SELECT participant_id FROM attendances WHERE meeting_id = NEW.id);
	UPDATE principles SET
		first_invoked_date = (SELECT min(m.date) FROM invocations i JOIN meetings m ON m.id = i.meeting_id
			WHERE i.principle_id = principles.id)
	WHERE id IN (SELECT principle_id FROM invocations WHERE meeting_id = NEW.id);
	RETURN NULL;
END $$;
CREATE TRIGGER meetings_date_update AFTER UPDATE OF date ON meetings
	FOR EACH ROW EXECUTE FUNCTION meetings_date_update();
