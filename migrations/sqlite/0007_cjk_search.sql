-- Chinese, Japanese and Korean search (API.md section 12): the full-text
-- tables of 0002 again, tokenized by "readout", the tokenizer of
-- model/tokenize.h that the store registers on every connection before it
-- migrates: unicode61's words (remove_diacritics 2) outside CJK text, and
-- overlapping pairs of characters inside it. Each table is rebuilt from its
-- records.

DROP TABLE meetings_fts;
CREATE VIRTUAL TABLE meetings_fts USING fts5(
	title, summary, readout, readouts,
	tokenize = 'readout'
);
INSERT INTO meetings_fts (rowid, title, summary, readout, readouts)
	SELECT id, title, summary, readout,
		(SELECT group_concat(json_extract(value, '$.text'), char(10)) FROM json_each(meetings.readouts))
	FROM meetings;

DROP TABLE participants_fts;
CREATE VIRTUAL TABLE participants_fts USING fts5(
	name, aliases,
	tokenize = 'readout'
);
INSERT INTO participants_fts (rowid, name, aliases)
	SELECT id, name, (SELECT group_concat(value, '; ') FROM json_each(participants.aliases))
	FROM participants;

DROP TABLE principles_fts;
CREATE VIRTUAL TABLE principles_fts USING fts5(
	name, framework, description, aliases,
	tokenize = 'readout'
);
INSERT INTO principles_fts (rowid, name, framework, description, aliases)
	SELECT id, name, framework, description,
		(SELECT group_concat(value, '; ') FROM json_each(principles.aliases))
	FROM principles;
