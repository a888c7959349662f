-- Derived counts kept incrementally. The triggers of 0001 recounted a
-- participant's or principle's every row on each change, so adding one
-- attendance cost time in proportion to the person's meetings: an import of
-- many meetings grew quadratically. Now an insert adds one and widens the
-- date range; a delete subtracts one and recomputes the dates only when the
-- deleted meeting held one of them (or is itself being deleted, when its
-- date can no longer be read).

DROP TRIGGER attendances_insert;
DROP TRIGGER attendances_delete;
DROP TRIGGER invocations_insert;
DROP TRIGGER invocations_delete;

CREATE TRIGGER attendances_insert AFTER INSERT ON attendances BEGIN
	UPDATE participants SET
		meeting_count = meeting_count + 1,
		first_meeting_date = min(coalesce(first_meeting_date, '9999-12-31'),
			(SELECT date FROM meetings WHERE id = NEW.meeting_id)),
		last_meeting_date = max(coalesce(last_meeting_date, '0000-01-01'),
			(SELECT date FROM meetings WHERE id = NEW.meeting_id))
	WHERE id = NEW.participant_id;
END;

CREATE TRIGGER attendances_delete AFTER DELETE ON attendances BEGIN
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
END;

CREATE TRIGGER invocations_insert AFTER INSERT ON invocations BEGIN
	UPDATE principles SET
		invocation_count = invocation_count + 1,
		first_invoked_date = min(coalesce(first_invoked_date, '9999-12-31'),
			(SELECT date FROM meetings WHERE id = NEW.meeting_id))
	WHERE id = NEW.principle_id;
END;

CREATE TRIGGER invocations_delete AFTER DELETE ON invocations BEGIN
	UPDATE principles SET invocation_count = invocation_count - 1 WHERE id = OLD.principle_id;
	UPDATE principles SET
		first_invoked_date = (SELECT min(m.date) FROM invocations i JOIN meetings m ON m.id = i.meeting_id
			WHERE i.principle_id = OLD.principle_id)
	WHERE id = OLD.principle_id
		AND coalesce((SELECT date FROM meetings WHERE id = OLD.meeting_id), first_invoked_date)
			= first_invoked_date;
END;
