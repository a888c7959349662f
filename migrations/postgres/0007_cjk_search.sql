-- Chinese, Japanese and Korean search (API.md section 12). The search
-- vectors hold the tokens of model/tokenize.h, the tokenizer SQLite's FTS5
-- tables use too: unicode61's words outside CJK text, overlapping pairs of
-- characters inside it. SQL cannot call it, so the vectors are no longer
-- generated: the store writes each one after every write of its record, in
-- the same transaction (store/postgres.c, pg_fts_add), and at each start
-- writes every vector that is missing (NULL), under the migrations' lock and
-- in their transaction: right after this migration, all of them. The
-- *_search_missing indexes find those rows without a scan. Queries are made
-- in C too (model_search_tsquery), so readout_tsquery goes.
ALTER TABLE participants DROP COLUMN search;
ALTER TABLE participants ADD COLUMN search tsvector;
CREATE INDEX participants_search ON participants USING gin (search);
CREATE INDEX participants_search_missing ON participants (id) WHERE search IS NULL;

ALTER TABLE principles DROP COLUMN search;
ALTER TABLE principles ADD COLUMN search tsvector;
CREATE INDEX principles_search ON principles USING gin (search);
CREATE INDEX principles_search_missing ON principles (id) WHERE search IS NULL;

ALTER TABLE meetings DROP COLUMN search;
ALTER TABLE meetings ADD COLUMN search tsvector;
CREATE INDEX meetings_search ON meetings USING gin (search);
CREATE INDEX meetings_search_missing ON meetings (id) WHERE search IS NULL;

DROP FUNCTION readout_tsquery(text);
