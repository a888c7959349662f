-- The data generation: one row, one number, bumped by every write
-- transaction (the PostgreSQL driver's begin_write, under the writers' lock),
-- so that the response cache of every readoutd serving this database can
-- tell in one primary-key read whether anything was committed since it
-- cached an answer (store_generation), as PRAGMA data_version tells on
-- SQLite.
CREATE TABLE data_generation (
	id BIGINT PRIMARY KEY CHECK (id = 1),
	n BIGINT NOT NULL
);
INSERT INTO data_generation (id, n) VALUES (1, 0);
