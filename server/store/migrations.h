/* The migrations compiled into the binary by scripts/embed.py: SQLite's
 * (migrations/sqlite/). */
#ifndef READOUT_STORE_MIGRATIONS_H
#define READOUT_STORE_MIGRATIONS_H

struct store_migration {
	int version;
	const char *name;
	const char *sql;
};

extern const struct store_migration store_migrations[];
extern const int store_migration_count;

/* PostgreSQL's (migrations/postgres/). */
extern const struct store_migration store_pg_migrations[];
extern const int store_pg_migration_count;

#endif
