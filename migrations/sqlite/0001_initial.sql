-- The v1 data model (API.md section 2). Ids come from AUTOINCREMENT so they
-- are never reused. Derived counts live in their rows, kept by triggers, so
-- lists can sort and paginate on them through an index.

CREATE TABLE settings (
	key TEXT PRIMARY KEY,
	value BLOB NOT NULL
) WITHOUT ROWID;

CREATE TABLE participants (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	slug TEXT NOT NULL UNIQUE,
	name TEXT NOT NULL,
	aliases TEXT NOT NULL DEFAULT '[]', -- a JSON array of strings
	title TEXT,
	organization TEXT,
	country TEXT CHECK (country IS NULL OR length(country) = 2),
	meeting_count INTEGER NOT NULL DEFAULT 0,
	first_meeting_date TEXT,
	last_meeting_date TEXT,
	created_at TEXT NOT NULL,
	updated_at TEXT NOT NULL,
	version INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX participants_name ON participants (name COLLATE NOCASE, id);
CREATE INDEX participants_meeting_count ON participants (meeting_count, id);
CREATE INDEX participants_country_name ON participants (country, name COLLATE NOCASE, id);

CREATE TABLE principles (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	slug TEXT NOT NULL UNIQUE,
	name TEXT NOT NULL,
	framework TEXT,
	description TEXT,
	invocation_count INTEGER NOT NULL DEFAULT 0,
	first_invoked_date TEXT,
	created_at TEXT NOT NULL,
	updated_at TEXT NOT NULL,
	version INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX principles_name ON principles (name COLLATE NOCASE, id);
CREATE INDEX principles_invocation_count ON principles (invocation_count, id);
CREATE INDEX principles_first_invoked ON principles (first_invoked_date, id);
CREATE INDEX principles_framework_name ON principles (framework, name COLLATE NOCASE, id);

CREATE TABLE meetings (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	slug TEXT NOT NULL UNIQUE,
	title TEXT NOT NULL,
	date TEXT NOT NULL,
	kind TEXT NOT NULL DEFAULT 'meeting'
		CHECK (kind IN ('meeting', 'talks', 'phone_call', 'video_call', 'summit', 'visit', 'other')),
	location TEXT,
	city TEXT,
	country TEXT CHECK (country IS NULL OR length(country) = 2),
	summary TEXT,
	readout TEXT,
	sources TEXT NOT NULL DEFAULT '[]', -- a JSON array of source objects
	created_at TEXT NOT NULL,
	updated_at TEXT NOT NULL,
	version INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX meetings_date ON meetings (date, id);
CREATE INDEX meetings_kind_date ON meetings (kind, date, id);
CREATE INDEX meetings_country_date ON meetings (country, date, id);

-- Who attended a meeting, in the order the client gave.
CREATE TABLE attendances (
	meeting_id INTEGER NOT NULL REFERENCES meetings (id) ON DELETE CASCADE,
	participant_id INTEGER NOT NULL REFERENCES participants (id) ON DELETE RESTRICT,
	role TEXT NOT NULL DEFAULT 'attendee' CHECK (role IN ('host', 'guest', 'attendee')),
	position INTEGER NOT NULL,
	PRIMARY KEY (meeting_id, participant_id)
) WITHOUT ROWID;
CREATE INDEX attendances_participant ON attendances (participant_id, meeting_id);

-- Each invocation of a principle at a meeting; invoked_by attended it.
CREATE TABLE invocations (
	meeting_id INTEGER NOT NULL REFERENCES meetings (id) ON DELETE CASCADE,
	principle_id INTEGER NOT NULL REFERENCES principles (id) ON DELETE RESTRICT,
	stance TEXT NOT NULL DEFAULT 'cited' CHECK (stance IN ('proposed', 'reaffirmed', 'cited')),
	invoked_by INTEGER REFERENCES participants (id) ON DELETE RESTRICT,
	quote TEXT,
	position INTEGER NOT NULL,
	PRIMARY KEY (meeting_id, principle_id)
) WITHOUT ROWID;
CREATE INDEX invocations_principle ON invocations (principle_id, meeting_id);
CREATE INDEX invocations_invoked_by ON invocations (invoked_by) WHERE invoked_by IS NOT NULL;

-- Links from a meeting to the meetings it refers to or continues.
CREATE TABLE meeting_links (
	meeting_id INTEGER NOT NULL REFERENCES meetings (id) ON DELETE CASCADE,
	related_id INTEGER NOT NULL REFERENCES meetings (id) ON DELETE CASCADE,
	relation TEXT NOT NULL CHECK (relation IN ('references', 'follows_up')),
	position INTEGER NOT NULL,
	PRIMARY KEY (meeting_id, related_id),
	CHECK (meeting_id <> related_id)
) WITHOUT ROWID;
CREATE INDEX meeting_links_related ON meeting_links (related_id);

-- Derived fields: recomputed for the rows a change touches.
CREATE TRIGGER attendances_insert AFTER INSERT ON attendances BEGIN
	UPDATE participants SET
		meeting_count = (SELECT count(*) FROM attendances WHERE participant_id = NEW.participant_id),
		first_meeting_date = (SELECT min(m.date) FROM attendances a JOIN meetings m ON m.id = a.meeting_id
			WHERE a.participant_id = NEW.participant_id),
		last_meeting_date = (SELECT max(m.date) FROM attendances a JOIN meetings m ON m.id = a.meeting_id
			WHERE a.participant_id = NEW.participant_id)
	WHERE id = NEW.participant_id;
END;

CREATE TRIGGER attendances_delete AFTER DELETE ON attendances BEGIN
	UPDATE invocations SET invoked_by = NULL
	WHERE meeting_id = OLD.meeting_id AND invoked_by = OLD.participant_id;
	UPDATE participants SET
		meeting_count = (SELECT count(*) FROM attendances WHERE participant_id = OLD.participant_id),
		first_meeting_date = (SELECT min(m.date) FROM attendances a JOIN meetings m ON m.id = a.meeting_id
			WHERE a.participant_id = OLD.participant_id),
		last_meeting_date = (SELECT max(m.date) FROM attendances a JOIN meetings m ON m.id = a.meeting_id
			WHERE a.participant_id = OLD.participant_id)
	WHERE id = OLD.participant_id;
END;

CREATE TRIGGER invocations_insert AFTER INSERT ON invocations BEGIN
	UPDATE principles SET
		invocation_count = (SELECT count(*) FROM invocations WHERE principle_id = NEW.principle_id),
		first_invoked_date = (SELECT min(m.date) FROM invocations i JOIN meetings m ON m.id = i.meeting_id
			WHERE i.principle_id = NEW.principle_id)
	WHERE id = NEW.principle_id;
END;

CREATE TRIGGER invocations_delete AFTER DELETE ON invocations BEGIN
	UPDATE principles SET
		invocation_count = (SELECT count(*) FROM invocations WHERE principle_id = OLD.principle_id),
		first_invoked_date = (SELECT min(m.date) FROM invocations i JOIN meetings m ON m.id = i.meeting_id
			WHERE i.principle_id = OLD.principle_id)
	WHERE id = OLD.principle_id;
END;

-- A meeting whose date changes moves its people's and principles' dates.
CREATE TRIGGER meetings_date_update AFTER UPDATE OF date ON meetings BEGIN
	UPDATE participants SET
		first_meeting_date = (SELECT min(m.date) FROM attendances a JOIN meetings m ON m.id = a.meeting_id
			WHERE a.participant_id = participants.id),
		last_meeting_date = (SELECT max(m.date) FROM attendances a JOIN meetings m ON m.id = a.meeting_id
			WHERE a.participant_id = participants.id)
	WHERE id IN (SELECT participant_id FROM attendances WHERE meeting_id = NEW.id);
	UPDATE principles SET
		first_invoked_date = (SELECT min(m.date) FROM invocations i JOIN meetings m ON m.id = i.meeting_id
			WHERE i.principle_id = principles.id)
	WHERE id IN (SELECT principle_id FROM invocations WHERE meeting_id = NEW.id);
END;
