-- Full-text search (API.md section 4). Case and diacritics never matter:
-- unicode61 with remove_diacritics 2. The store keeps these tables in step
-- with their records in the same transaction as every write (triggers cannot:
-- with trusted_schema=OFF a trigger may not write a virtual table).

-- Meetings: the index only; the text stays in meetings (external content).
CREATE VIRTUAL TABLE meetings_fts USING fts5(
	title, summary, readout,
	content = 'meetings', content_rowid = 'id',
	tokenize = 'unicode61 remove_diacritics 2'
);
INSERT INTO meetings_fts (meetings_fts) VALUES ('rebuild');

-- Participants: name and aliases (as plain text, "; " between aliases).
CREATE VIRTUAL TABLE participants_fts USING fts5(
	name, aliases,
	tokenize = 'unicode61 remove_diacritics 2'
);
INSERT INTO participants_fts (rowid, name, aliases)
	SELECT id, name, (SELECT group_concat(value, '; ') FROM json_each(participants.aliases))
	FROM participants;

-- Principles: name, framework and description.
CREATE VIRTUAL TABLE principles_fts USING fts5(
	name, framework, description,
	tokenize = 'unicode61 remove_diacritics 2'
);
INSERT INTO principles_fts (rowid, name, framework, description)
	SELECT id, name, framework, description FROM principles;
