-- readout_tsquery(expr): the tsquery of a search expression as model/search.c
-- writes it for FTS5, so both backends read one query language: terms are
-- "double quoted" strings (a quote inside doubled), a * right after one makes
-- it a prefix, chains of OR are parenthesized, and everything is joined with
-- AND. Each term is tokenized as the search vectors are (the 'simple'
-- configuration over fold()), so "Šefčovič" finds 'sefcovic'; a term of
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
			t := phraseto_tsquery('simple', fold(term));
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
