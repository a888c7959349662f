-- Each attendance carries its meeting's date, so that a list of one
-- participant's meetings in date order walks attendances_participant_date
-- and reads only the page's meetings, instead of reading every meeting of
-- the participant to sort them. The date follows the meeting's, whoever
-- writes either: an attendance takes it when inserted (or moved to another
-- meeting), and a meeting's new date goes to its attendances.
ALTER TABLE attendances ADD COLUMN date TEXT;

-- The date is derived from the meeting, whose own JSON its change already
-- clears: only the other columns clear it here.
DROP TRIGGER meeting_json_attendance_update;
CREATE TRIGGER meeting_json_attendance_update
AFTER UPDATE OF meeting_id, participant_id, role, position ON attendances BEGIN
	UPDATE meeting_json SET body = NULL, summary = NULL
	WHERE meeting_id IN (OLD.meeting_id, NEW.meeting_id) AND body IS NOT NULL;
END;

UPDATE attendances SET date = (SELECT date FROM meetings WHERE id = attendances.meeting_id);
CREATE INDEX attendances_participant_date ON attendances (participant_id, date, meeting_id);

CREATE TRIGGER attendances_date_insert AFTER INSERT ON attendances
WHEN NEW.date IS NOT (SELECT date FROM meetings WHERE id = NEW.meeting_id) BEGIN
	UPDATE attendances SET date = (SELECT date FROM meetings WHERE id = NEW.meeting_id)
	WHERE meeting_id = NEW.meeting_id AND participant_id = NEW.participant_id;
END;
CREATE TRIGGER attendances_date_update AFTER UPDATE OF meeting_id, date ON attendances
WHEN NEW.date IS NOT (SELECT date FROM meetings WHERE id = NEW.meeting_id) BEGIN
	UPDATE attendances SET date = (SELECT date FROM meetings WHERE id = NEW.meeting_id)
	WHERE meeting_id = NEW.meeting_id AND participant_id = NEW.participant_id;
END;
CREATE TRIGGER attendances_meeting_date AFTER UPDATE OF date ON meetings
WHEN OLD.date IS NOT NEW.date BEGIN
	UPDATE attendances SET date = NEW.date WHERE meeting_id = NEW.id;
END;
