-- Each attendance carries its meeting's date, so that a list of one
-- participant's meetings in date order walks attendances_participant_date
-- and reads only the page's meetings, instead of reading every meeting of
-- the participant to sort them. The date follows the meeting's, whoever
-- writes either: an attendance takes it when inserted (or moved to another
-- meeting), and a meeting's new date goes to its attendances. As
-- migrations/sqlite/0009_attendance_dates.sql.
ALTER TABLE attendances ADD COLUMN date TEXT COLLATE "C";

-- The date is derived from the meeting, whose own JSON its change already
-- clears: only the other columns clear it here.
DROP TRIGGER meeting_json_attendance ON attendances;
CREATE TRIGGER meeting_json_attendance
	AFTER INSERT OR UPDATE OF meeting_id, participant_id, role, position OR DELETE ON attendances
	FOR EACH ROW EXECUTE FUNCTION meeting_json_nested();

UPDATE attendances a SET date = m.date FROM meetings m WHERE m.id = a.meeting_id;
ALTER TABLE attendances ALTER COLUMN date SET NOT NULL;
CREATE INDEX attendances_participant_date ON attendances (participant_id, date, meeting_id);

CREATE FUNCTION attendances_date() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	NEW.date := (SELECT date FROM meetings WHERE id = NEW.meeting_id);
	RETURN NEW;
END $$;
CREATE TRIGGER attendances_date BEFORE INSERT OR UPDATE OF meeting_id, date ON attendances
	FOR EACH ROW EXECUTE FUNCTION attendances_date();

CREATE FUNCTION attendances_meeting_date() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	UPDATE attendances SET date = NEW.date WHERE meeting_id = NEW.id;
	RETURN NULL;
END $$;
CREATE TRIGGER attendances_meeting_date AFTER UPDATE OF date ON meetings
	FOR EACH ROW WHEN (OLD.date IS DISTINCT FROM NEW.date)
	EXECUTE FUNCTION attendances_meeting_date();
