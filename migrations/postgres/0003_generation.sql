-- The data generation: one row, one number, moved by every transaction that
-- writes a record, whoever writes it (any readoutd, an import, psql), so that
-- the response cache of every readoutd serving this database can tell in one
-- primary-key read whether anything was committed since it cached an answer
-- (store_generation), as PRAGMA data_version tells on SQLite.
CREATE TABLE data_generation (
	id BIGINT PRIMARY KEY CHECK (id = 1),
	n BIGINT NOT NULL
);
INSERT INTO data_generation (id, n) VALUES (1, 0);

-- Once per transaction (a transaction-local setting remembers it), whatever
-- the number of statements: the row is updated, and locked to the commit,
-- by the first write only. readoutd's writers hold their advisory lock by
-- then, so the row lock adds no wait.
CREATE FUNCTION data_generation_bump() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF current_setting('readout.generation_moved', true) IS DISTINCT FROM 'on' THEN
		UPDATE data_generation SET n = n + 1 WHERE id = 1;
		PERFORM set_config('readout.generation_moved', 'on', true);
	END IF;
	RETURN NULL;
END $$;

CREATE TRIGGER participants_generation AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
	ON participants FOR EACH STATEMENT EXECUTE FUNCTION data_generation_bump();
CREATE TRIGGER principles_generation AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
	ON principles FOR EACH STATEMENT EXECUTE FUNCTION data_generation_bump();
CREATE TRIGGER meetings_generation AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
	ON meetings FOR EACH STATEMENT EXECUTE FUNCTION data_generation_bump();
CREATE TRIGGER attendances_generation AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
	ON attendances FOR EACH STATEMENT EXECUTE FUNCTION data_generation_bump();
CREATE TRIGGER invocations_generation AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
	ON invocations FOR EACH STATEMENT EXECUTE FUNCTION data_generation_bump();
CREATE TRIGGER meeting_links_generation AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
	ON meeting_links FOR EACH STATEMENT EXECUTE FUNCTION data_generation_bump();
