-- Search as the store runs it: the words of a text as FTS5's unicode61
-- tokenizer finds them, and the query language of model/search.c.
--
-- search_words(text): the text as the search vectors and queries tokenize it:
-- fold()ed, with < > & as spaces. PostgreSQL's parser reads "<b>" as a tag
-- and drops it, and everything between <script> and </script>, where FTS5
-- finds words ("<script>alert" holds 'script' and 'alert'); as spaces they
-- only separate words, as FTS5 reads them.
CREATE FUNCTION search_words(text) RETURNS text
	LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
	RETURN translate(fold($1), '<>&', '   ');

-- The search vectors of 0001 again, over search_words(). Dropping a column
-- drops its index.
ALTER TABLE participants DROP COLUMN search;
ALTER TABLE participants ADD COLUMN search tsvector GENERATED ALWAYS AS (
	setweight(to_tsvector('simple', search_words(name)), 'A') ||
	setweight(to_tsvector('simple', coalesce(search_words(json_strings(aliases)), '')), 'B')
) STORED;
CREATE INDEX participants_search ON participants USING gin (search);

ALTER TABLE principles DROP COLUMN search;
ALTER TABLE principles ADD COLUMN search tsvector GENERATED ALWAYS AS (
	setweight(to_tsvector('simple', search_words(name)), 'A') ||
	setweight(to_tsvector('simple', coalesce(search_words(framework), '')), 'B') ||
	setweight(to_tsvector('simple', coalesce(search_words(description), '')), 'C')
) STORED;
CREATE INDEX principles_search ON principles USING gin (search);

ALTER TABLE meetings DROP COLUMN search;
ALTER TABLE meetings ADD COLUMN search tsvector GENERATED ALWAYS AS (
	setweight(to_tsvector('simple', search_words(title)), 'A') ||
	setweight(to_tsvector('simple', coalesce(search_words(summary), '')), 'B') ||
	setweight(to_tsvector('simple', coalesce(search_words(readout), '')), 'C')
) STORED;
CREATE INDEX meetings_search ON meetings USING gin (search);

-- readout_tsquery(expr): the tsquery of a search expression as model/search.c
-- writes it for FTS5, so both backends read one query language: terms are
-- "double quoted" strings (a quote inside doubled), a * right after one makes
-- it a prefix, chains of OR are parenthesized, and everything is joined with
-- AND. Each term is tokenized as the search vectors are (the 'simple'
-- configuration over search_words()), so "Šefčovič" finds 'sefcovic'; a term of
-- several words is a phrase (<->), a prefix marks its last word (:*). A term
-- that holds no word drops out of its AND or OR (the tsquery operators skip
-- an empty operand), as FTS5 drops a string with no token. Nothing in expr
-- reaches the tsquery parser as syntax: only phraseto_tsquery's own output,
-- with :* appended, is parsed.
CREATE FUNCTION readout_tsquery(expr text) RETURNS tsquery
	LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
DECLARE
	i int := 1;
	n int := length(expr);
	c text;
	term text;
	t tsquery;
	result tsquery := '';
	chain tsquery := '';
	in_chain boolean := false;
BEGIN
	WHILE i <= n LOOP
		c := substr(expr, i, 1);
		IF c = '"' THEN
			term := '';
			i := i + 1;
			WHILE i <= n LOOP
				c := substr(expr, i, 1);
				i := i + 1;
				IF c = '"' THEN
					EXIT WHEN substr(expr, i, 1) <> '"';
					i := i + 1;
				END IF;
				term := term || c;
			END LOOP;
			t := phraseto_tsquery('simple', search_words(term));
			IF substr(expr, i, 1) = '*' THEN
				i := i + 1;
				IF numnode(t) > 0 THEN
					t := CAST(CAST(t AS text) || ':*' AS tsquery);
				END IF;
			END IF;
			IF in_chain THEN
				chain := chain || t;
			ELSE
				result := result && t;
			END IF;
		ELSIF c = '(' THEN
			in_chain := true;
			chain := '';
			i := i + 1;
		ELSIF c = ')' THEN
			in_chain := false;
			result := result && chain;
			i := i + 1;
		ELSE
			i := i + 1; -- spaces and the operators AND and OR
		END IF;
	END LOOP;
	RETURN result;
END $$;
