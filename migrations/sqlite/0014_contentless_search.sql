-- The full-text tables without a copy of the text they index (content=''):
-- every text is in its record already, snippets are made from the records,
-- and no query reads an index's columns. A meeting's copy was 6 KB of the
-- database's each (60 of 415 MB at 10,000 meetings), written again with
-- every create and update. An index without content is told the old text
-- of a row it forgets ('delete' with the values once inserted); the store
-- reads them from the record before it changes (store_sqlite_fts_remove).
-- Each table is rebuilt from the records and merged into one piece.

DROP TABLE meetings_fts;
CREATE VIRTUAL TABLE meetings_fts USING fts5(
	title, summary, readout, readouts, tiers,
	content = '', tokenize = 'readout'
);
INSERT INTO meetings_fts (rowid, title, summary, readout, readouts, tiers)
	SELECT id, title, summary, readout, texts, readout_tiers(title, summary, readout, texts)
	FROM (SELECT id, title, summary, readout,
		(SELECT group_concat(json_extract(value, '$.text'), char(10)) FROM json_each(meetings.readouts)) AS texts
		FROM meetings);
INSERT INTO meetings_fts (meetings_fts) VALUES ('optimize');

DROP TABLE participants_fts;
CREATE VIRTUAL TABLE participants_fts USING fts5(
	name, aliases,
	content = '', tokenize = 'readout'
);
INSERT INTO participants_fts (rowid, name, aliases)
	SELECT id, name, (SELECT group_concat(value, '; ') FROM json_each(participants.aliases))
	FROM participants;
INSERT INTO participants_fts (participants_fts) VALUES ('optimize');

DROP TABLE principles_fts;
CREATE VIRTUAL TABLE principles_fts USING fts5(
	name, framework, description, aliases,
	content = '', tokenize = 'readout'
);
INSERT INTO principles_fts (rowid, name, framework, description, aliases)
	SELECT id, name, framework, description,
		(SELECT group_concat(value, '; ') FROM json_each(principles.aliases))
	FROM principles;
INSERT INTO principles_fts (principles_fts) VALUES ('optimize');
