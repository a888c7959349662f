-- The change feed and the version history (API.md section 11): one row per
-- write of one record, inserted in the transaction of the write itself, so
-- a write that rolls back leaves none. A row is both the change (seq, at,
-- action, type, id, slug, version, actor) and the version it made (body:
-- the JSON the write answered; NULL for a delete).
--
-- seq comes from change_log.last_seq, moved inside the write transaction:
-- writers are serialized, so seq grows with commit order and has no gaps.
-- pruned_seq is the highest seq retention has removed: a follower whose
-- since is below it has missed changes (410).
CREATE TABLE changes (
	seq INTEGER PRIMARY KEY,
	at TEXT NOT NULL,
	action TEXT NOT NULL CHECK (action IN ('create', 'update', 'delete')),
	type TEXT NOT NULL CHECK (type IN ('meeting', 'participant', 'principle')),
	entity_id INTEGER NOT NULL,
	slug TEXT NOT NULL,
	version INTEGER NOT NULL,
	actor TEXT,
	body TEXT
);
CREATE UNIQUE INDEX changes_entity ON changes (type, entity_id, version);
CREATE INDEX changes_type ON changes (type, seq);
CREATE INDEX changes_slug ON changes (type, slug, seq);

CREATE TABLE change_log (
	id INTEGER PRIMARY KEY CHECK (id = 1),
	last_seq INTEGER NOT NULL,
	pruned_seq INTEGER NOT NULL
);
INSERT INTO change_log (id, last_seq, pruned_seq) VALUES (1, 0, 0);
