-- Readouts in several languages and principles' aliases (API.md section 12).
-- Both are JSON array text, as participants' aliases and meetings' sources:
-- what is read back is exactly the text written.
ALTER TABLE meetings ADD COLUMN readouts TEXT NOT NULL DEFAULT '[]'; -- a JSON array of readout objects
ALTER TABLE principles ADD COLUMN aliases TEXT NOT NULL DEFAULT '[]'; -- a JSON array of strings

-- Meetings are searched by the texts of their readouts too, weighted as the
-- readout. The index cannot read them from meetings as external content:
-- FTS5 reads its content with no virtual table allowed (json_each), and a
-- generated column may not call the JSON functions with trusted_schema=OFF.
-- So the index keeps its own copy of the text; the store writes it (the
-- readouts' texts joined by line feeds) in the transaction of every write.
DROP TABLE meetings_fts;
CREATE VIRTUAL TABLE meetings_fts USING fts5(
	title, summary, readout, readouts,
	tokenize = 'unicode61 remove_diacritics 2'
);
INSERT INTO meetings_fts (rowid, title, summary, readout, readouts)
	SELECT id, title, summary, readout,
		(SELECT group_concat(json_extract(value, '$.text'), char(10)) FROM json_each(meetings.readouts))
	FROM meetings;

-- Principles: name, framework, description, and the aliases as plain text
-- ("; " between them), as participants_fts holds participants' aliases.
DROP TABLE principles_fts;
CREATE VIRTUAL TABLE principles_fts USING fts5(
	name, framework, description, aliases,
	tokenize = 'unicode61 remove_diacritics 2'
);
INSERT INTO principles_fts (rowid, name, framework, description, aliases)
	SELECT id, name, framework, description,
		(SELECT group_concat(value, '; ') FROM json_each(principles.aliases))
	FROM principles;
