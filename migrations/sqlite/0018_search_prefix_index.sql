-- A prefix index of four characters (FTS5's prefix option): a search of
-- a prefix of four characters (peac*) reads one list of the meetings
-- holding a word that begins so, which the tiers' filter can seek in,
-- instead of merging, whole, the lists of every word it begins (at
-- 1,000,000 meetings, a prefix of a common word, will*, took 60 ms that
-- way, the tiers it read holding 1,839 meetings). Four characters: a
-- stem short enough to be typed for the forms of a word (nego*, sanc*),
-- long enough that its list is not most of the index's. Other lengths
-- merge as before: each length indexed adds about three fifths of the
-- index's size. Rebuilt from the records as 0015 did.

DROP TABLE meetings_fts;
CREATE VIRTUAL TABLE meetings_fts USING fts5(
	title, summary, readout, readouts, tiers,
	content = '', tokenize = 'readout', prefix = '4'
);
INSERT INTO meetings_fts (rowid, title, summary, readout, readouts, tiers)
	SELECT id, title, summary, readout, texts, readout_tiers(title, summary, readout, texts)
	FROM (SELECT id, title, summary, readout,
		(SELECT group_concat(json_extract(value, '$.text'), char(10)) FROM json_each(meetings.readouts)) AS texts
		FROM meetings);
INSERT INTO meetings_fts (meetings_fts) VALUES ('optimize');
