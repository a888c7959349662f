-- The stored JSON of meetings is kept uncompressed (EXTERNAL: out of line
-- when the row is large, as a body always is, but never compressed), since
-- every read sends it whole: a read by id decompressed its 6 KB body, and
-- a list page the summaries compression had reached (pglz_decompress was
-- a tenth of the CPU of a first page of fifty, PostgreSQL's included). It
-- costs the TOAST table about twice the space of compressed bodies. Values
-- stored before keep their compression until their meeting is written
-- again; reading either kind is the same to the store.
ALTER TABLE meeting_json ALTER COLUMN summary SET STORAGE EXTERNAL;
ALTER TABLE meeting_json ALTER COLUMN body SET STORAGE EXTERNAL;
