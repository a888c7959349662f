-- Name order as lower(name), the spelling SQLite and PostgreSQL share (their
-- NOCASE and COLLATE "C" differ), so the store writes one ORDER BY for both;
-- the store lower-cases a cursor's name key itself. lower() folds ASCII only
-- here, as NOCASE did, so the order of every list stays as it was.

DROP INDEX participants_name;
DROP INDEX participants_country_name;
DROP INDEX principles_name;
DROP INDEX principles_framework_name;

CREATE INDEX participants_name ON participants (lower(name), id);
CREATE INDEX participants_country_name ON participants (country, lower(name), id);
CREATE INDEX principles_name ON principles (lower(name), id);
CREATE INDEX principles_framework_name ON principles (framework, lower(name), id);
