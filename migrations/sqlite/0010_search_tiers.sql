-- Tiers (model/rank.h): the meetings' full-text table again, with a fifth
-- column holding each meeting's tier tokens, written by readout_tiers (which
-- the store registers on every connection before it migrates) from the
-- texts the other four columns hold; rebuilt from the records. A search then
-- ranks first the meetings that hold its words with a high impact.

DROP TABLE meetings_fts;
CREATE VIRTUAL TABLE meetings_fts USING fts5(
	title, summary, readout, readouts, tiers,
	tokenize = 'readout'
);
INSERT INTO meetings_fts (rowid, title, summary, readout, readouts, tiers)
	SELECT id, title, summary, readout, texts, readout_tiers(title, summary, readout, texts)
	FROM (SELECT id, title, summary, readout,
		(SELECT group_concat(json_extract(value, '$.text'), char(10)) FROM json_each(meetings.readouts)) AS texts
		FROM meetings);
