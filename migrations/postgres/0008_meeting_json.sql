-- Each meeting's JSON kept beside the meeting: body, as GET
-- /v1/meetings/{id} answers it, and summary, the item a list of meetings
-- gives, so that a read by id is one primary-key read and a list page one
-- more per row, instead of nested queries and a render. A write of a
-- meeting stores both, rendered with the version it records
-- (store_history_add); whatever changes what a meeting embeds (its own row
-- and nested rows, a participant's or a principle's name, slug, title,
-- country or framework, a related meeting's slug, title or date), whoever
-- writes it, sets them to NULL: NULL is rendered on read and filled again by
-- the server in the background (store_meeting_json_fill), never served
-- stale. body and summary are set together and NULL together. The same
-- triggers as migrations/sqlite/0008_meeting_json.sql.
-- meeting_json moves no data generation (0003): filling it changes no
-- answer.
CREATE TABLE meeting_json (
	meeting_id BIGINT PRIMARY KEY REFERENCES meetings (id) ON DELETE CASCADE,
	summary TEXT, -- first: a list reads it without walking the body's overflow pages
	body TEXT
);
CREATE INDEX meeting_json_stale ON meeting_json (meeting_id)
	WHERE body IS NULL OR summary IS NULL;
INSERT INTO meeting_json (meeting_id) SELECT id FROM meetings;

CREATE FUNCTION meeting_json_meeting() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF TG_OP = 'INSERT' THEN
		INSERT INTO meeting_json (meeting_id) VALUES (NEW.id);
		RETURN NULL;
	END IF;
	UPDATE meeting_json SET body = NULL, summary = NULL WHERE meeting_id = NEW.id AND body IS NOT NULL;
	IF OLD.slug IS DISTINCT FROM NEW.slug OR OLD.title IS DISTINCT FROM NEW.title
		OR OLD.date IS DISTINCT FROM NEW.date THEN
		UPDATE meeting_json SET body = NULL, summary = NULL
		WHERE meeting_id IN (SELECT meeting_id FROM meeting_links WHERE related_id = NEW.id)
			AND body IS NOT NULL;
	END IF;
	RETURN NULL;
END $$;
CREATE TRIGGER meeting_json_meeting AFTER INSERT OR UPDATE ON meetings
	FOR EACH ROW EXECUTE FUNCTION meeting_json_meeting();

-- A nested row (attendances, invocations, meeting_links) of a meeting.
CREATE FUNCTION meeting_json_nested() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF TG_OP IN ('UPDATE', 'DELETE') THEN
		UPDATE meeting_json SET body = NULL, summary = NULL WHERE meeting_id = OLD.meeting_id AND body IS NOT NULL;
	END IF;
	IF TG_OP IN ('INSERT', 'UPDATE') THEN
		UPDATE meeting_json SET body = NULL, summary = NULL WHERE meeting_id = NEW.meeting_id AND body IS NOT NULL;
	END IF;
	RETURN NULL;
END $$;
CREATE TRIGGER meeting_json_attendance AFTER INSERT OR UPDATE OR DELETE ON attendances
	FOR EACH ROW EXECUTE FUNCTION meeting_json_nested();
CREATE TRIGGER meeting_json_invocation AFTER INSERT OR UPDATE OR DELETE ON invocations
	FOR EACH ROW EXECUTE FUNCTION meeting_json_nested();
CREATE TRIGGER meeting_json_link AFTER INSERT OR UPDATE OR DELETE ON meeting_links
	FOR EACH ROW EXECUTE FUNCTION meeting_json_nested();

CREATE FUNCTION meeting_json_participant() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	UPDATE meeting_json SET body = NULL, summary = NULL
	WHERE meeting_id IN (SELECT meeting_id FROM attendances WHERE participant_id IN (OLD.id, NEW.id))
		AND body IS NOT NULL;
	RETURN NULL;
END $$;
CREATE TRIGGER meeting_json_participant AFTER UPDATE ON participants
	FOR EACH ROW WHEN (OLD.slug IS DISTINCT FROM NEW.slug OR OLD.name IS DISTINCT FROM NEW.name
		OR OLD.title IS DISTINCT FROM NEW.title OR OLD.country IS DISTINCT FROM NEW.country
		OR OLD.id IS DISTINCT FROM NEW.id)
	EXECUTE FUNCTION meeting_json_participant();

CREATE FUNCTION meeting_json_principle() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	UPDATE meeting_json SET body = NULL, summary = NULL
	WHERE meeting_id IN (SELECT meeting_id FROM invocations WHERE principle_id IN (OLD.id, NEW.id))
		AND body IS NOT NULL;
	RETURN NULL;
END $$;
CREATE TRIGGER meeting_json_principle AFTER UPDATE ON principles
	FOR EACH ROW WHEN (OLD.slug IS DISTINCT FROM NEW.slug OR OLD.name IS DISTINCT FROM NEW.name
		OR OLD.framework IS DISTINCT FROM NEW.framework OR OLD.id IS DISTINCT FROM NEW.id)
	EXECUTE FUNCTION meeting_json_principle();

