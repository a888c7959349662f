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
-- stale. body and summary are set together and NULL together.
CREATE TABLE meeting_json (
	meeting_id INTEGER PRIMARY KEY REFERENCES meetings (id) ON DELETE CASCADE,
	summary TEXT, -- first: a list reads it without walking the body's overflow pages
	body TEXT
);
CREATE INDEX meeting_json_stale ON meeting_json (meeting_id)
	WHERE body IS NULL OR summary IS NULL;
INSERT INTO meeting_json (meeting_id) SELECT id FROM meetings;

CREATE TRIGGER meeting_json_meeting_insert AFTER INSERT ON meetings BEGIN
	INSERT INTO meeting_json (meeting_id) VALUES (NEW.id);
END;
CREATE TRIGGER meeting_json_meeting_update AFTER UPDATE ON meetings BEGIN
	UPDATE meeting_json SET body = NULL, summary = NULL WHERE meeting_id = NEW.id AND body IS NOT NULL;
	UPDATE meeting_json SET body = NULL, summary = NULL
	WHERE meeting_id IN (SELECT meeting_id FROM meeting_links WHERE related_id = NEW.id)
		AND body IS NOT NULL
		AND (OLD.slug IS NOT NEW.slug OR OLD.title IS NOT NEW.title OR OLD.date IS NOT NEW.date);
END;

CREATE TRIGGER meeting_json_attendance_insert AFTER INSERT ON attendances BEGIN
	UPDATE meeting_json SET body = NULL, summary = NULL WHERE meeting_id = NEW.meeting_id AND body IS NOT NULL;
END;
CREATE TRIGGER meeting_json_attendance_update AFTER UPDATE ON attendances BEGIN
	UPDATE meeting_json SET body = NULL, summary = NULL
	WHERE meeting_id IN (OLD.meeting_id, NEW.meeting_id) AND body IS NOT NULL;
END;
CREATE TRIGGER meeting_json_attendance_delete AFTER DELETE ON attendances BEGIN
	UPDATE meeting_json SET body = NULL, summary = NULL WHERE meeting_id = OLD.meeting_id AND body IS NOT NULL;
END;
CREATE TRIGGER meeting_json_invocation_insert AFTER INSERT ON invocations BEGIN
	UPDATE meeting_json SET body = NULL, summary = NULL WHERE meeting_id = NEW.meeting_id AND body IS NOT NULL;
END;
CREATE TRIGGER meeting_json_invocation_update AFTER UPDATE ON invocations BEGIN
	UPDATE meeting_json SET body = NULL, summary = NULL
	WHERE meeting_id IN (OLD.meeting_id, NEW.meeting_id) AND body IS NOT NULL;
END;
CREATE TRIGGER meeting_json_invocation_delete AFTER DELETE ON invocations BEGIN
	UPDATE meeting_json SET body = NULL, summary = NULL WHERE meeting_id = OLD.meeting_id AND body IS NOT NULL;
END;
CREATE TRIGGER meeting_json_link_insert AFTER INSERT ON meeting_links BEGIN
	UPDATE meeting_json SET body = NULL, summary = NULL WHERE meeting_id = NEW.meeting_id AND body IS NOT NULL;
END;
CREATE TRIGGER meeting_json_link_update AFTER UPDATE ON meeting_links BEGIN
	UPDATE meeting_json SET body = NULL, summary = NULL
	WHERE meeting_id IN (OLD.meeting_id, NEW.meeting_id) AND body IS NOT NULL;
END;
CREATE TRIGGER meeting_json_link_delete AFTER DELETE ON meeting_links BEGIN
	UPDATE meeting_json SET body = NULL, summary = NULL WHERE meeting_id = OLD.meeting_id AND body IS NOT NULL;
END;

CREATE TRIGGER meeting_json_participant AFTER UPDATE ON participants
WHEN OLD.slug IS NOT NEW.slug OR OLD.name IS NOT NEW.name OR OLD.title IS NOT NEW.title
	OR OLD.country IS NOT NEW.country OR OLD.id IS NOT NEW.id BEGIN
	UPDATE meeting_json SET body = NULL, summary = NULL
	WHERE meeting_id IN (SELECT meeting_id FROM attendances WHERE participant_id IN (OLD.id, NEW.id))
		AND body IS NOT NULL;
END;
CREATE TRIGGER meeting_json_principle AFTER UPDATE ON principles
WHEN OLD.slug IS NOT NEW.slug OR OLD.name IS NOT NEW.name OR OLD.framework IS NOT NEW.framework
	OR OLD.id IS NOT NEW.id BEGIN
	UPDATE meeting_json SET body = NULL, summary = NULL
	WHERE meeting_id IN (SELECT meeting_id FROM invocations WHERE principle_id IN (OLD.id, NEW.id))
		AND body IS NOT NULL;
END;
