-- json_each(text) again, with a string body. PostgreSQL 15's pg_dump writes
-- the SQL-standard body of 0001 (an unnamed parameter in RETURN) as
-- json_array_elements_text(("")::json), which does not parse, so pg_restore
-- left the function out. A string body is dumped as it is written.
CREATE OR REPLACE FUNCTION json_each(text) RETURNS TABLE (value text)
	LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
	AS $$ SELECT json_array_elements_text($1::json) $$;
