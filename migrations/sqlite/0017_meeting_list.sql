-- A list of meetings reads its items' summaries in its own order. They were
-- kept in meeting_json beside each meeting's body, one row per meeting in
-- the order of ids, with the body's first bytes on the same leaf page: a
-- page of 50 items read some 50 leaf pages scattered over the table (a
-- deep page of the 10k benchmark store, 65 reads of the file). meeting_list
-- keeps them apart, keyed in a list's order: key is the meeting's date as
-- the number YYYYMMDD shifted past the 32 bits of its id, plus the id, so
-- that a table b-tree holds the items by (date, id) and a page of 50 is
-- some 25 neighbouring leaf pages. Ids are below 2^32 (rowids given one at
-- a time). Every meeting has its row, moved when its date (or id) changes;
-- summary follows meeting_json's body: written with it (store_history_add,
-- store_meeting_json_fill) and set to NULL whenever the body is, by one
-- trigger on meeting_json that the triggers setting the body to NULL fire.
-- meeting_json keeps the body and its ETag.
CREATE TABLE meeting_list (
	key INTEGER PRIMARY KEY, -- (date as YYYYMMDD << 32) + meeting_id
	meeting_id INTEGER NOT NULL,
	date TEXT NOT NULL,
	summary TEXT
);
INSERT INTO meeting_list (key, meeting_id, date, summary)
	SELECT (CAST(replace(m.date, '-', '') AS BIGINT) << 32) + m.id, m.id, m.date,
		CASE WHEN j.body IS NOT NULL THEN j.summary END
	FROM meetings m LEFT JOIN meeting_json j ON j.meeting_id = m.id
	ORDER BY 1;

CREATE TRIGGER meeting_list_insert AFTER INSERT ON meetings BEGIN
	INSERT INTO meeting_list (key, meeting_id, date)
	VALUES ((CAST(replace(NEW.date, '-', '') AS BIGINT) << 32) + NEW.id, NEW.id, NEW.date);
END;
CREATE TRIGGER meeting_list_move AFTER UPDATE OF id, date ON meetings
WHEN OLD.id IS NOT NEW.id OR OLD.date IS NOT NEW.date BEGIN
	DELETE FROM meeting_list WHERE key = (CAST(replace(OLD.date, '-', '') AS BIGINT) << 32) + OLD.id;
	INSERT INTO meeting_list (key, meeting_id, date)
	VALUES ((CAST(replace(NEW.date, '-', '') AS BIGINT) << 32) + NEW.id, NEW.id, NEW.date);
END;
CREATE TRIGGER meeting_list_delete AFTER DELETE ON meetings BEGIN
	DELETE FROM meeting_list WHERE key = (CAST(replace(OLD.date, '-', '') AS BIGINT) << 32) + OLD.id;
END;
CREATE TRIGGER meeting_list_stale AFTER UPDATE OF body ON meeting_json
WHEN NEW.body IS NULL BEGIN
	UPDATE meeting_list SET summary = NULL
	WHERE key = (SELECT (CAST(replace(date, '-', '') AS BIGINT) << 32) + id
		FROM meetings WHERE id = NEW.meeting_id)
		AND summary IS NOT NULL;
END;

-- meeting_json without its summary: the triggers that set it to NULL with
-- the body, and the index of the stale, are made again without it.
DROP INDEX meeting_json_stale;
DROP TRIGGER meeting_json_meeting_update;
DROP TRIGGER meeting_json_attendance_insert;
DROP TRIGGER meeting_json_attendance_delete;
DROP TRIGGER meeting_json_invocation_insert;
DROP TRIGGER meeting_json_invocation_update;
DROP TRIGGER meeting_json_invocation_delete;
DROP TRIGGER meeting_json_link_insert;
DROP TRIGGER meeting_json_link_update;
DROP TRIGGER meeting_json_link_delete;
DROP TRIGGER meeting_json_participant;
DROP TRIGGER meeting_json_principle;
DROP TRIGGER meeting_json_attendance_update;
ALTER TABLE meeting_json DROP COLUMN summary;
CREATE INDEX meeting_json_stale ON meeting_json (meeting_id) WHERE body IS NULL;
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
CREATE TRIGGER meeting_json_attendance_update
AFTER UPDATE OF meeting_id, participant_id, role, position ON attendances BEGIN
	UPDATE meeting_json SET body = NULL
	WHERE meeting_id IN (OLD.meeting_id, NEW.meeting_id) AND body IS NOT NULL;
END;
