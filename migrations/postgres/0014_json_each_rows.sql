-- json_each(text) hands the store's JSON arrays of ids to a query as rows:
-- one id (a record read back after its write) to a page's 101. PostgreSQL
-- guesses 1,000 rows of a function it cannot see into, and so joined a
-- read of one meeting's participants as a hash of those "1,000" ids
-- against every attendance, a scan of the whole table (7 ms at 10,000
-- meetings, two such reads in every create), where looking each id up in
-- the index takes 0.1 ms. It stays STRICT, which keeps it out of line:
-- inlined, it would be guessed at json_array_elements_text's 100 rows,
-- still a scan.
ALTER FUNCTION json_each(text) ROWS 10;
