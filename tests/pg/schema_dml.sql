-- Writes that tests/pg/test_schema.sh runs against both schemas, in SQL that
-- SQLite and PostgreSQL both accept. Ids are literal: both assign 1, 2, 3, ...
-- and the dump shows it. Several statements touch many rows at once, where
-- PostgreSQL's row triggers run at the end of the statement and SQLite's
-- after each row.

INSERT INTO participants (slug, name, aliases, title, organization, country, created_at, updated_at)
VALUES
	('maros-sefcovic', 'Maroš Šefčovič', '["Šefčovič","M. Sefcovic"]', 'Vice-President', 'European Commission', NULL,
		'2024-01-01T10:00:00Z', '2024-01-01T10:00:00Z'),
	('antony-blinken', 'antony Blinken', '["Tony Blínken"]', 'Secretary of State', NULL, 'US',
		'2024-01-01T10:00:01Z', '2024-01-01T10:00:01Z'),
	('wang-yi', 'Wang Yi', '["王毅"]', NULL, NULL, 'CN', '2024-01-01T10:00:02Z', '2024-01-01T10:00:02Z'),
	('under-score', '_Under Score', '[]', NULL, NULL, NULL, '2024-01-01T10:00:03Z', '2024-01-01T10:00:03Z'),
	('emile-zola', 'Émile Zola', '[]', NULL, NULL, 'FR', '2024-01-01T10:00:04Z', '2024-01-01T10:00:04Z'),
	('jose-albares', 'José Manuel Albares', '["Albares"]', 'Minister', NULL, 'ES',
		'2024-01-01T10:00:05Z', '2024-01-01T10:00:05Z'),
	('zed', 'Zed', '[]', NULL, NULL, NULL, '2024-01-01T10:00:06Z', '2024-01-01T10:00:06Z');

INSERT INTO principles (slug, name, framework, description, created_at, updated_at) VALUES
	('sovereignty', 'Sovereignty', 'UN Charter', 'Sovereign equality of all Members', '2024-01-02T00:00:00Z', '2024-01-02T00:00:00Z'),
	('non-intervention', 'non-intervention', 'UN Charter', NULL, '2024-01-02T00:00:01Z', '2024-01-02T00:00:01Z'),
	('self-determination', 'Self-determination', NULL, 'Le préambule des peuples', '2024-01-02T00:00:02Z', '2024-01-02T00:00:02Z');

INSERT INTO meetings (slug, title, date, kind, location, city, country, summary, readout, sources, created_at, updated_at)
VALUES
	('trade-talks', 'Trade talks with Šefčovič', '2024-03-01', 'talks', NULL, 'Brussels', 'BE',
		'Tariffs and steel', 'They spoke at length.', '[{"url":"https://example.org/1"}]',
		'2024-03-01T09:00:00Z', '2024-03-01T09:00:00Z'),
	('phone-call', 'Phone call', '2023-11-15', 'phone_call', NULL, NULL, NULL,
		NULL, 'Blinken and Šefčovič discussed sanctions.', '[]', '2023-11-15T09:00:00Z', '2023-11-15T09:00:00Z'),
	('summit', 'Summit', '2024-06-30', 'summit', 'Palace', 'Madrid', 'ES', 'Leaders met', NULL, '[]',
		'2024-06-30T09:00:00Z', '2024-06-30T09:00:00Z'),
	('early', 'Early meeting', '2022-01-10', 'meeting', NULL, NULL, NULL, NULL, NULL, '[]',
		'2022-01-10T09:00:00Z', '2022-01-10T09:00:00Z'),
	('late', 'Late visit', '2025-02-02', 'visit', NULL, NULL, 'CN', NULL, NULL, '[]',
		'2025-02-02T09:00:00Z', '2025-02-02T09:00:00Z'),
	('doomed', 'Doomed', '2021-05-05', 'other', NULL, NULL, NULL, NULL, NULL, '[]',
		'2021-05-05T09:00:00Z', '2021-05-05T09:00:00Z');

-- Many attendances in one statement.
INSERT INTO attendances (meeting_id, participant_id, role, position) VALUES
	(1, 1, 'host', 0), (1, 2, 'guest', 1),
	(2, 1, 'attendee', 0), (2, 2, 'attendee', 1),
	(3, 1, 'host', 0), (3, 3, 'guest', 1), (3, 6, 'attendee', 2),
	(4, 2, 'host', 0), (4, 3, 'guest', 1),
	(5, 3, 'host', 0), (5, 1, 'guest', 1),
	(6, 1, 'host', 0), (6, 5, 'guest', 1), (6, 7, 'guest', 2);

-- One more, as the store adds one (position after the last), then an upsert
-- that changes only the role (no insert trigger).
INSERT INTO attendances (meeting_id, participant_id, role, position)
VALUES (4, 6, 'attendee', (SELECT coalesce(max(position), -1) + 1 FROM attendances WHERE meeting_id = 4))
ON CONFLICT (meeting_id, participant_id) DO UPDATE SET role = excluded.role;
INSERT INTO attendances (meeting_id, participant_id, role, position)
VALUES (4, 6, 'guest', (SELECT coalesce(max(position), -1) + 1 FROM attendances WHERE meeting_id = 4))
ON CONFLICT (meeting_id, participant_id) DO UPDATE SET role = excluded.role;

INSERT INTO invocations (meeting_id, principle_id, stance, invoked_by, quote, position) VALUES
	(1, 1, 'reaffirmed', 2, 'We stand by it', 0), (1, 2, 'cited', 1, NULL, 1),
	(2, 1, 'proposed', 1, NULL, 0),
	(3, 3, 'cited', 6, 'Quote', 0), (3, 1, 'cited', 3, NULL, 1),
	(4, 2, 'reaffirmed', 3, NULL, 0),
	(5, 3, 'cited', NULL, NULL, 0),
	(6, 1, 'cited', 5, NULL, 0), (6, 3, 'proposed', 7, NULL, 1);
-- invoked_by is not checked against attendance by the schema (the store does).
INSERT INTO invocations (meeting_id, principle_id, stance, invoked_by, quote, position)
VALUES (2, 3, 'cited', 4, NULL, 2);
INSERT INTO invocations (meeting_id, principle_id, stance, invoked_by, quote, position)
VALUES (2, 2, 'cited', 2, 'x', 1)
ON CONFLICT (meeting_id, principle_id) DO UPDATE SET stance = excluded.stance, invoked_by = excluded.invoked_by;
INSERT INTO invocations (meeting_id, principle_id, stance, invoked_by, quote, position)
VALUES (2, 2, 'proposed', 1, 'y', 1)
ON CONFLICT (meeting_id, principle_id) DO UPDATE SET stance = excluded.stance, invoked_by = excluded.invoked_by,
	quote = excluded.quote;

INSERT INTO meeting_links (meeting_id, related_id, relation, position) VALUES
	(1, 2, 'follows_up', 0), (3, 1, 'references', 0), (3, 6, 'references', 1), (6, 4, 'follows_up', 0);

INSERT INTO settings (key, value) VALUES ('cursor_key', 'k3y');
INSERT INTO settings (key, value) VALUES ('cursor_key', 'n3w')
ON CONFLICT (key) DO UPDATE SET value = excluded.value;
INSERT INTO settings (key, value) VALUES ('other', 'v');

-- Dates move: several meetings in one statement, one to an earlier first
-- date, one past the last; one assigned its own date; one title only.
UPDATE meetings SET date = CASE id WHEN 2 THEN '2024-09-09' WHEN 4 THEN '2020-02-02' END,
	version = version + 1, updated_at = '2024-10-01T00:00:00Z'
WHERE id IN (2, 4);
UPDATE meetings SET date = date WHERE id = 3;
UPDATE meetings SET title = 'Summit of leaders' WHERE id = 3;
UPDATE meetings SET date = '2026-01-01' WHERE id = 5;

-- Attendances go: one holding a participant's first date, one in the
-- middle, one whose participant invoked principles there (invoked_by is
-- cleared), then a meeting's whole list in one statement.
DELETE FROM attendances WHERE meeting_id = 4 AND participant_id = 3;
DELETE FROM attendances WHERE meeting_id = 1 AND participant_id = 1;
DELETE FROM attendances WHERE meeting_id = 3 AND participant_id = 6;
DELETE FROM attendances WHERE meeting_id = 5;

-- Invocations go: the first date of a principle, then several at once.
DELETE FROM invocations WHERE meeting_id = 4 AND principle_id = 2;
DELETE FROM invocations WHERE meeting_id IN (1, 3) AND principle_id = 1;

-- A whole meeting goes: its attendances, invocations and links cascade.
DELETE FROM meetings WHERE id = 6;
-- A participant and a principle with nothing left go.
DELETE FROM participants WHERE id = 7;

-- The newest meeting goes, and its id is never given out again.
DELETE FROM meetings WHERE id = 5;
INSERT INTO meetings (slug, title, date, created_at, updated_at)
VALUES ('newest', 'Newest', '2024-12-12', '2024-12-12T00:00:00Z', '2024-12-12T00:00:00Z');
INSERT INTO attendances (meeting_id, participant_id, role, position) VALUES (7, 5, 'host', 0), (7, 3, 'guest', 1);
INSERT INTO invocations (meeting_id, principle_id, stance, invoked_by, quote, position) VALUES (7, 2, 'cited', 5, NULL, 0);
INSERT INTO participants (slug, name, created_at, updated_at) VALUES ('late-comer', 'Late Comer', '2024-12-13T00:00:00Z', '2024-12-13T00:00:00Z');
