/*
 * The data-access layer: the only code that knows SQL. A store is one SQLite
 * file; every thread that uses it gets its own connection (opened on first
 * use, with its prepared statements kept for the thread's life). Functions
 * return a store_status and fill out-parameters; they never print or exit.
 */
#ifndef READOUT_STORE_H
#define READOUT_STORE_H

#include <stdbool.h>
#include <stdint.h>

#include "model/cursor.h"

enum store_status {
	STORE_OK,
	STORE_NOT_FOUND,
	STORE_CONFLICT,    /* a unique slug taken, or a delete of something still referenced */
	STORE_BUSY,        /* locked past the busy timeout, disk full, read-only: try later */
	STORE_INVALID_REF, /* a nested reference names nothing; details in the problems list */
	STORE_ERROR,       /* anything else: a bug or a broken database */
};

struct store;

/* Opens (creating if needed) and migrates the database at path. Returns 0 and
 * sets *out, or -1 with a one-line message in err (for instance a database
 * newer than this binary). */
int store_open(const char *path, struct store **out, char *err, size_t errlen);

/* Closes every connection and frees the store. Call once no thread uses it. NULL ok. */
void store_close(struct store *s);

/* The schema version this binary migrates to. */
int store_schema_version(void);

/* STORE_OK when the database answers and is fully migrated. */
enum store_status store_ready(struct store *s);

/* The 16-byte key that signs pagination cursors, kept in the database so
 * cursors outlive a restart. Borrowed. */
const uint8_t *store_cursor_key(struct store *s);

/* Database errors seen so far (for /metrics). */
unsigned long store_error_count(const struct store *s);

/* True when no participant, principle or meeting exists. */
enum store_status store_is_empty(struct store *s, bool *empty);

/* Writes a consistent online snapshot of the database to path (which must not
 * exist), fsyncs it and checks it with PRAGMA integrity_check. err gets a
 * one-line reason on failure. */
enum store_status store_backup(struct store *s, const char *path, char *err, size_t errlen);

#endif
