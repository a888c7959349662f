-- Each meeting's summary, the item a list of meetings gives, kept apart
-- from its body in meeting_list, keyed in a list's order: key is the
-- meeting's date as the number YYYYMMDD shifted past the 32 bits of its
-- id, plus the id. As migrations/sqlite/0017_meeting_list.sql, where the
-- table's b-tree holds a page's items on neighbouring pages; here a page
-- is one walk of the key's index, and the store reads both backends with
-- the same statements. Every meeting has its row, moved when its date (or
-- id) changes; summary is written with meeting_json's body and set to
-- NULL whenever the body is.
CREATE TABLE meeting_list (
	key BIGINT PRIMARY KEY, -- (date as YYYYMMDD << 32) + meeting_id
	meeting_id BIGINT NOT NULL,
	date TEXT COLLATE "C" NOT NULL,
	summary TEXT
);
ALTER TABLE meeting_list ALTER COLUMN summary SET STORAGE EXTERNAL; -- as 0011
INSERT INTO meeting_list (key, meeting_id, date, summary)
	SELECT (CAST(replace(m.date, '-', '') AS BIGINT) << 32) + m.id, m.id, m.date,
		CASE WHEN j.body IS NOT NULL THEN j.summary END
	FROM meetings m LEFT JOIN meeting_json j ON j.meeting_id = m.id
	ORDER BY 1;

CREATE FUNCTION meeting_list_row() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF TG_OP IN ('UPDATE', 'DELETE') THEN
		DELETE FROM meeting_list
		WHERE key = (CAST(replace(OLD.date, '-', '') AS BIGINT) << 32) + OLD.id;
	END IF;
	IF TG_OP IN ('INSERT', 'UPDATE') THEN
		INSERT INTO meeting_list (key, meeting_id, date)
		VALUES ((CAST(replace(NEW.date, '-', '') AS BIGINT) << 32) + NEW.id, NEW.id, NEW.date);
	END IF;
	RETURN NULL;
END $$;
CREATE TRIGGER meeting_list_row AFTER INSERT OR DELETE ON meetings
	FOR EACH ROW EXECUTE FUNCTION meeting_list_row();
CREATE TRIGGER meeting_list_move AFTER UPDATE OF id, date ON meetings
	FOR EACH ROW WHEN (OLD.id IS DISTINCT FROM NEW.id OR OLD.date IS DISTINCT FROM NEW.date)
	EXECUTE FUNCTION meeting_list_row();

CREATE FUNCTION meeting_list_stale() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	UPDATE meeting_list SET summary = NULL
	WHERE key = (SELECT (CAST(replace(date, '-', '') AS BIGINT) << 32) + id
		FROM meetings WHERE id = NEW.meeting_id)
		AND summary IS NOT NULL;
	RETURN NULL;
END $$;
CREATE TRIGGER meeting_list_stale AFTER UPDATE OF body ON meeting_json
	FOR EACH ROW WHEN (NEW.body IS NULL) EXECUTE FUNCTION meeting_list_stale();

-- meeting_json without its summary: the functions that set it to NULL with
-- the body, and the index of the stale, are made again without it.
CREATE OR REPLACE FUNCTION meeting_json_meeting() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF TG_OP = 'INSERT' THEN
		INSERT INTO meeting_json (meeting_id) VALUES (NEW.id);
		RETURN NULL;
	END IF;
	UPDATE meeting_json SET body = NULL WHERE meeting_id = NEW.id AND body IS NOT NULL;
	IF OLD.slug IS DISTINCT FROM NEW.slug OR OLD.title IS DISTINCT FROM NEW.title
		OR OLD.date IS DISTINCT FROM NEW.date THEN
		UPDATE meeting_json SET body = NULL
		WHERE meeting_id IN (SELECT meeting_id FROM meeting_links WHERE related_id = NEW.id)
			AND body IS NOT NULL;
	END IF;
	RETURN NULL;
END $$;
CREATE OR REPLACE FUNCTION meeting_json_nested() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF TG_OP IN ('UPDATE', 'DELETE') THEN
		UPDATE meeting_json SET body = NULL WHERE meeting_id = OLD.meeting_id AND body IS NOT NULL;
	END IF;
	IF TG_OP IN ('INSERT', 'UPDATE') THEN
		UPDATE meeting_json SET body = NULL WHERE meeting_id = NEW.meeting_id AND body IS NOT NULL;
	END IF;
	RETURN NULL;
END $$;
CREATE OR REPLACE FUNCTION meeting_json_participant() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	UPDATE meeting_json SET body = NULL
	WHERE meeting_id IN (SELECT meeting_id FROM attendances WHERE participant_id IN (OLD.id, NEW.id))
		AND body IS NOT NULL;
	RETURN NULL;
END $$;
CREATE OR REPLACE FUNCTION meeting_json_principle() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	UPDATE meeting_json SET body = NULL
	WHERE meeting_id IN (SELECT meeting_id FROM invocations WHERE principle_id IN (OLD.id, NEW.id))
		AND body IS NOT NULL;
	RETURN NULL;
END $$;
DROP INDEX meeting_json_stale;
ALTER TABLE meeting_json DROP COLUMN summary;
CREATE INDEX meeting_json_stale ON meeting_json (meeting_id) WHERE body IS NULL;
