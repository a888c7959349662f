-- The tiers again (model/rank.h), with sixteen floors instead of six: five
-- above 1.9, where a store of short meetings puts a large share of a common
-- word's meetings (its title word alone is worth about 2.1), so that a
-- search of such a word ranks a few of its meetings, not a fifth of them.
-- Rebuilt from the records as 0010 did, then merged into one piece, which
-- makes each word's lookup cheaper (store_fts_optimize).

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
INSERT INTO meetings_fts (meetings_fts) VALUES ('optimize');
