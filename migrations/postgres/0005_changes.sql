-- The change feed and the version history (API.md section 11): one row per
-- write of one record, inserted in the transaction of the write itself, so
-- a write that rolls back leaves none. A row is both the change (seq, at,
-- action, type, id, slug, version, actor) and the version it made (body:
-- the JSON the write answered; NULL for a delete).
--
-- seq comes from change_log.last_seq, updated inside the write transaction,
-- not from a sequence: the row lock (and readoutd's write lock before it)
-- orders writers, so seq grows with commit order and has no gaps, and a
-- reader's snapshot always holds a prefix of the feed. pruned_seq is the
-- highest seq retention has removed: a follower whose since is below it has
-- missed changes (410).
CREATE TABLE changes (
	seq BIGINT PRIMARY KEY,
	at TEXT COLLATE "C" NOT NULL,
	action TEXT COLLATE "C" NOT NULL CHECK (action IN ('create', 'update', 'delete')),
	type TEXT COLLATE "C" NOT NULL CHECK (type IN ('meeting', 'participant', 'principle')),
	entity_id BIGINT NOT NULL,
	slug TEXT COLLATE "C" NOT NULL,
	version BIGINT NOT NULL,
	actor TEXT COLLATE "C",
	body TEXT COLLATE "C"
);
CREATE UNIQUE INDEX changes_entity ON changes (type, entity_id, version);
CREATE INDEX changes_type ON changes (type, seq);
CREATE INDEX changes_slug ON changes (type, slug, seq);

CREATE TABLE change_log (
	id BIGINT PRIMARY KEY CHECK (id = 1),
	last_seq BIGINT NOT NULL,
	pruned_seq BIGINT NOT NULL
);
INSERT INTO change_log (id, last_seq, pruned_seq) VALUES (1, 0, 0);

-- Followers waiting on GET /v1/changes?wait= in any readoutd LISTEN on
-- readout_changes; a write's notification is delivered at its commit (one
-- per transaction: equal notifications fold).
CREATE FUNCTION changes_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	PERFORM pg_notify('readout_changes', '');
	RETURN NULL;
END $$;
CREATE TRIGGER changes_notify AFTER INSERT ON changes
	FOR EACH STATEMENT EXECUTE FUNCTION changes_notify();
