-- What tests/pg/test_schema.sh compares between the two databases: every
-- table (but settings, whose BLOB/BYTEA each backend prints its own way), in
-- SQL both accept, one labelled line per row.

SELECT 'participant', id, slug, name, aliases, title, organization, country, meeting_count,
	first_meeting_date, last_meeting_date, created_at, updated_at, version
FROM participants ORDER BY id;
SELECT 'principle', id, slug, name, framework, description, invocation_count, first_invoked_date,
	created_at, updated_at, version
FROM principles ORDER BY id;
SELECT 'meeting', id, slug, title, date, kind, location, city, country, summary, readout, sources,
	created_at, updated_at, version
FROM meetings ORDER BY id;
SELECT 'attendance', meeting_id, participant_id, role, position, date FROM attendances
ORDER BY meeting_id, participant_id;
SELECT 'invocation', meeting_id, principle_id, stance, invoked_by, quote, position
FROM invocations ORDER BY meeting_id, principle_id;
SELECT 'link', meeting_id, related_id, relation, position FROM meeting_links ORDER BY meeting_id, related_id;

-- The orders lists use, written as the shared SQL will write them.
SELECT 'by_name', id, name FROM participants ORDER BY lower(name), id;
SELECT 'by_name_desc', id FROM participants ORDER BY lower(name) DESC, id DESC;
-- The cursor's key comes lowered (ASCII only) from the store.
SELECT 'after_name', id FROM participants WHERE (lower(name), id) > ('josé manuel albares', 6)
	ORDER BY lower(name), id;
SELECT 'by_count', id, meeting_count FROM participants ORDER BY meeting_count DESC, id DESC;
SELECT 'by_first_invoked', id FROM principles ORDER BY first_invoked_date, id;
SELECT 'by_date', id, date FROM meetings ORDER BY date, id;
SELECT 'by_date_after', id FROM meetings WHERE (date, id) > ('2024-03-01', 1) ORDER BY date, id;
SELECT 'alias', p.id, value FROM participants p, json_each(p.aliases) ORDER BY p.id, value;

-- Derived fields against a recount from scratch: no line may come out.
SELECT 'stale participant', p.id FROM participants p
WHERE p.meeting_count <> (SELECT count(*) FROM attendances a WHERE a.participant_id = p.id)
	OR coalesce(p.first_meeting_date, '-') <> coalesce((SELECT min(m.date) FROM attendances a
		JOIN meetings m ON m.id = a.meeting_id WHERE a.participant_id = p.id), '-')
	OR coalesce(p.last_meeting_date, '-') <> coalesce((SELECT max(m.date) FROM attendances a
		JOIN meetings m ON m.id = a.meeting_id WHERE a.participant_id = p.id), '-');
SELECT 'stale principle', r.id FROM principles r
WHERE r.invocation_count <> (SELECT count(*) FROM invocations i WHERE i.principle_id = r.id)
	OR coalesce(r.first_invoked_date, '-') <> coalesce((SELECT min(m.date) FROM invocations i
		JOIN meetings m ON m.id = i.meeting_id WHERE i.principle_id = r.id), '-');
