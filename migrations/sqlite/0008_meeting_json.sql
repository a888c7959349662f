-- Each meeting's JSON, as GET /v1/meetings/{id} answers it, kept beside the
-- meeting so that a read by id is one primary-key read instead of four
-- queries and a render. A write stores the body it renders for the
-- version it records (the trigger on changes); whatever changes what a
-- meeting embeds (its own row and nested rows, a participant's or a
-- principle's name, slug, title, country or framework, a related meeting's
-- slug, title or date, whoever writes it) sets the body to NULL: a NULL body
-- is rendered on read and filled again by the server in the background
-- (store_meeting_json_fill), never served stale.
CREATE TABLE meeting_json (
	meeting_id INTEGER PRIMARY KEY REFERENCES meetings (id) ON DELETE CASCADE,
	body TEXT
);
CREATE INDEX meeting_json_stale ON meeting_json (meeting_id) WHERE body IS NULL;
INSERT INTO meeting_json (meeting_id) SELECT id FROM meetings;

CREATE TRIGGER meeting_json_version AFTER INSERT ON changes
WHEN NEW.type = 'meeting' AND NEW.body IS NOT NULL BEGIN
	UPDATE meeting_json SET body = NEW.body WHERE meeting_id = NEW.entity_id;
END;

CREATE TRIGGER meeting_json_meeting_insert AFTER INSERT ON meetings BEGIN
	INSERT INTO meeting_json (meeting_id) VALUES (NEW.id);
END;
CREATE TRIGGER meeting_json_meeting_update AFTER UPDATE ON meetings BEGIN
	UPDATE meeting_json SET body = NULL WHERE meeting_id = NEW.id AND body IS NOT NULL;
	UPDATE meeting_json SET body = NULL
	WHERE meeting_id IN (SELECT meeting_id FROM meeting_links WHERE related_id = NEW.id)
		AND body IS NOT NULL
		AND (OLD.slug IS NOT NEW.slug OR OLD.title IS NOT NEW.title OR OLD.date IS NOT NEW.date);
END;

CREATE TRIGGER meeting_json_attendance_insert AFTER INSERT ON attendances BEGIN
	UPDATE meeting_json SET body = NULL WHERE meeting_id = NEW.meeting_id AND body IS NOT NULL;
END;
CREATE TRIGGER meeting_json_attendance_update AFTER UPDATE ON attendances BEGIN
	UPDATE meeting_json SET body = NULL
	WHERE meeting_id IN (OLD.meeting_id, NEW.meeting_id) AND body IS NOT NULL;
END;
CREATE TRIGGER meeting_json_attendance_delete AFTER DELETE ON attendances BEGIN
	UPDATE meeting_json SET body = NULL WHERE meeting_id = OLD.meeting_id AND body IS NOT NULL;
END;
CREATE TRIGGER meeting_json_invocation_insert AFTER INSERT ON invocations BEGIN
	UPDATE meeting_json SET body = NULL WHERE meeting_id = NEW.meeting_id AND body IS NOT NULL;
END;
CREATE TRIGGER meeting_json_invocation_update AFTER UPDATE ON invocations BEGIN
	UPDATE meeting_json SET body = NULL
	WHERE meeting_id IN (OLD.meeting_id, NEW.meeting_id) AND body IS NOT NULL;
END;
CREATE TRIGGER meeting_json_invocation_delete AFTER DELETE ON invocations BEGIN
	UPDATE meeting_json SET body = NULL WHERE meeting_id = OLD.meeting_id AND body IS NOT NULL;
END;
CREATE TRIGGER meeting_json_link_insert AFTER INSERT ON meeting_links BEGIN
	UPDATE meeting_json SET body = NULL WHERE meeting_id = NEW.meeting_id AND body IS NOT NULL;
END;
CREATE TRIGGER meeting_json_link_update AFTER UPDATE ON meeting_links BEGIN
	UPDATE meeting_json SET body = NULL
	WHERE meeting_id IN (OLD.meeting_id, NEW.meeting_id) AND body IS NOT NULL;
END;
CREATE TRIGGER meeting_json_link_delete AFTER DELETE ON meeting_links BEGIN
	UPDATE meeting_json SET body = NULL WHERE meeting_id = OLD.meeting_id AND body IS NOT NULL;
END;

CREATE TRIGGER meeting_json_participant AFTER UPDATE ON participants
WHEN OLD.slug IS NOT NEW.slug OR OLD.name IS NOT NEW.name OR OLD.title IS NOT NEW.title
	OR OLD.country IS NOT NEW.country OR OLD.id IS NOT NEW.id BEGIN
	UPDATE meeting_json SET body = NULL
	WHERE meeting_id IN (SELECT meeting_id FROM attendances WHERE participant_id IN (OLD.id, NEW.id))
		AND body IS NOT NULL;
END;
CREATE TRIGGER meeting_json_principle AFTER UPDATE ON principles
WHEN OLD.slug IS NOT NEW.slug OR OLD.name IS NOT NEW.name OR OLD.framework IS NOT NEW.framework
	OR OLD.id IS NOT NEW.id BEGIN
	UPDATE meeting_json SET body = NULL
	WHERE meeting_id IN (SELECT meeting_id FROM invocations WHERE principle_id IN (OLD.id, NEW.id))
		AND body IS NOT NULL;
END;
