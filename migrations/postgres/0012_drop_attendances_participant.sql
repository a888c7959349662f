-- As SQLite's 0013: attendances_participant_date (participant_id, date,
-- meeting_id) serves every read by participant that this index served,
-- and each index on the participant is one more random insert a write.
DROP INDEX attendances_participant;
