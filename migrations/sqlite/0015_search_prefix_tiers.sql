-- The tiers again (model/rank.h), now with a tier word for each prefix of
-- RANK_TIER_PREFIX characters a meeting's words begin with (their
-- frequencies added up), so that a prefix search (peace*) reads the best
-- meetings of its prefix first instead of ranking every meeting it matches:
-- at 1,000,000 meetings those were the slowest searches (70 ms on average,
-- up to half a second). Rebuilt from the records as 0014 did: an index
-- without content forgets a row only when told the very tier text it was
-- given, so every row is written again with the new one.

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
