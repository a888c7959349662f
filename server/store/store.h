/*
 * The data-access layer: the only code that knows SQL, and the api layer's
 * only interface to it. A store is one database, whichever backend holds it
 * (store/driver.h); every thread that uses it gets its own connection
 * (opened on first use, with its prepared statements kept for the thread's
 * life). Functions return a store_status and fill out-parameters; they
 * never print or exit.
 */
#ifndef READOUT_STORE_H
#define READOUT_STORE_H

#include <stdbool.h>
#include <stdint.h>

#include "model/cursor.h"
#include "model/entities.h"
#include "model/xalloc.h"

enum store_status {
	STORE_OK,
	STORE_NOT_FOUND,
	STORE_CONFLICT,       /* a unique value (a slug) taken */
	STORE_REFERENCED,     /* a delete of something still referenced */
	STORE_BUSY,           /* locked past the busy timeout, disk full, read-only: try later */
	STORE_INVALID_REF,    /* a nested reference names nothing; details in the problems list */
	STORE_UNKNOWN_FILTER, /* a list filter names no stored record */
	STORE_BAD_CURSOR,     /* a cursor key this list cannot have issued */
	STORE_STALE,          /* the entity changed since the version the caller read */
	STORE_MOVED,          /* the database file was removed or replaced under the server */
	STORE_ERROR,          /* anything else: a bug or a broken database */
	STORE_UNSUPPORTED,    /* this backend has no such operation (backup on PostgreSQL) */
	STORE_GONE,           /* changes after the given seq were pruned */
};

struct store;

/* Opens (creating if needed) and migrates the database at path. Returns 0 and
 * sets *out, or -1 with a one-line message in err (for instance a database
 * newer than this binary). */
int store_open(const char *path, struct store **out, char *err, size_t errlen);

/* Closes every connection and frees the store. Call once no thread uses it. NULL ok. */
void store_close(struct store *s);

/* Sets how long one request's statements may run in all before they are
 * interrupted and it answers STORE_BUSY (default 5000 ms; an import has no
 * budget). Set it before the store is used from more than one thread. */
void store_set_budget(struct store *s, int ms);

/* Starts a request on the calling thread: every statement of every store
 * call it makes from now on, until the next store_request_start on this
 * thread, shares one deadline, the budget from now, and every write is
 * recorded as made by actor (a token's name, borrowed until the next
 * store_request_start; NULL: no token). Touches no database. */
void store_request_start(struct store *s, const char *actor);

/* Group commit: the writes the calling thread's store calls make from now
 * on share one write transaction, which the first of them opens (waiting
 * for the lock, or refusing, as any write does). Each transaction they
 * open in it, a write or a read, is a savepoint: its commit keeps its
 * work in the group, its rollback undoes only its own. None of it is
 * committed, nor seen by other connections, until store_group_end commits
 * the whole group with one sync. A transaction the group can no longer
 * hold (a failure ended it) is STORE_BUSY. Opens no transaction itself. */
void store_group_begin(struct store *s);

/* Commits the group store_group_begin opened on this thread: STORE_OK when
 * every write in it is durable (or there was none), else nothing of it was
 * kept. */
enum store_status store_group_end(struct store *s);

/* The schema version this binary migrates SQLite databases to. */
int store_schema_version(void);

/* The backend of an open store ("sqlite", "postgres") and the schema version
 * this binary migrates its databases to. */
const char *store_backend(const struct store *s);
int store_schema(const struct store *s);

/* STORE_OK when the database answers and is fully migrated; STORE_MOVED
 * when the file at the store's path is no longer the one it opened. */
enum store_status store_ready(struct store *s);

/* The 16-byte key that signs pagination cursors, kept in the database so
 * cursors outlive a restart. Borrowed. */
const uint8_t *store_cursor_key(struct store *s);

/* The data generation: a number that changes whenever stored data may have
 * changed, by a write of this process or a commit of another. Answers
 * cached at one generation are stale at any other. */
unsigned long store_generation(struct store *s);

/* Database errors seen so far (for /metrics). */
unsigned long store_error_count(const struct store *s);

/* True when no participant, principle or meeting exists. */
enum store_status store_is_empty(struct store *s, bool *empty);

/* Merges each full-text index into one piece after a bulk load (SQLite:
 * FTS5's 'optimize'; nothing on PostgreSQL): every search then looks each
 * word up once instead of once per piece that loads and later writes
 * left (9 at 10,000 imported meetings, 20 at 1,000,000). */
enum store_status store_fts_optimize(struct store *s);

/* Writes a consistent online snapshot of the database to path (which must not
 * exist), fsyncs it and checks it with PRAGMA integrity_check. err gets a
 * one-line reason on failure. */
enum store_status store_backup(struct store *s, const char *path, char *err, size_t errlen);

/* ---- lists ----
 * Every list is a keyset page: rows strictly after the cursor position
 * `after` (NULL for the first page) in the list's order, at most limit of
 * them. *next_key is the cursor key after the page's last row (a new
 * string; its id is the row's), NULL on the last page; *total (when total is not NULL)
 * counts every row the filters match. Items are new arrays the caller frees
 * with the entity's *_clear on each and free() on the array. */

enum participant_sort {
	PARTICIPANT_SORT_NAME,
	PARTICIPANT_SORT_NAME_DESC,
	PARTICIPANT_SORT_COUNT,
	PARTICIPANT_SORT_COUNT_DESC
};
struct participant_filter {
	const char *q;       /* name or alias substring, case-insensitive */
	const char *country; /* exact */
	enum participant_sort sort;
};

enum principle_sort {
	PRINCIPLE_SORT_NAME,
	PRINCIPLE_SORT_NAME_DESC,
	PRINCIPLE_SORT_COUNT,
	PRINCIPLE_SORT_COUNT_DESC,
	PRINCIPLE_SORT_FIRST_INVOKED
};
struct principle_filter {
	const char *q;         /* name substring, case-insensitive */
	const char *framework; /* exact */
	enum principle_sort sort;
};

/* MEETING_SORT_RANK: best match first (needs match). */
enum meeting_sort { MEETING_SORT_DATE_DESC, MEETING_SORT_DATE, MEETING_SORT_RANK };
#define MEETING_FILTER_PARTICIPANTS_MAX 16
struct meeting_filter {
	const char *from, *to; /* inclusive dates */
	int kind;              /* enum model_kind, -1 for any */
	const char *country;
	struct model_ref participants[MEETING_FILTER_PARTICIPANTS_MAX]; /* attended by all */
	size_t participant_count;
	struct model_ref principle; /* invoked; id 0 and slug NULL for any */
	const char *match;          /* a search expression (model_search_translate), or NULL */
	enum meeting_sort sort;
	/* When set (a list by date, on a store with a renderer:
	 * store_set_render), the list reads its items' stored summaries (the
	 * list item's JSON) and appends them to summaries, joined by commas
	 * as in a JSON array, rendering those a write made stale; the items
	 * are then for their ids and dates (the cursor), not their JSON. */
	struct xbuf *summaries;
};

/* ---- participants (store/participants.c) ----
 * Writes take the record in `p` (owned by the caller; a NULL slug is derived
 * from the name) and, on STORE_OK, clear it and fill it with the stored
 * record. expected_version 0 skips the version check; otherwise
 * a different stored version is STORE_STALE. */
enum store_status store_participant_get(struct store *s, const struct model_ref *ref,
                                        struct participant *out);
enum store_status store_participant_create(struct store *s, struct participant *p);
enum store_status store_participant_replace(struct store *s, int64_t id, int64_t expected_version,
                                            struct participant *p);
/* STORE_REFERENCED while the participant attended any meeting. */
enum store_status store_participant_delete(struct store *s, int64_t id, int64_t expected_version);
enum store_status store_participant_list(struct store *s, const struct participant_filter *f,
                                         const struct cursor_pos *after, int limit,
                                         struct participant **items, size_t *count, char **next_key,
                                         int64_t *total);

/* The cursor key of a participant in the order sort (new string). */
char *store_participant_sort_key(const struct participant *p, enum participant_sort sort);

/* ---- principles (store/principles.c) ----
 * Writes take the record in `p` (owned by the caller; a NULL slug is derived
 * from the name) and, on STORE_OK, clear it and fill it with the stored
 * record. expected_version 0 skips the version check; otherwise
 * a different stored version is STORE_STALE. */
enum store_status store_principle_get(struct store *s, const struct model_ref *ref,
                                      struct principle *out);
enum store_status store_principle_create(struct store *s, struct principle *p);
enum store_status store_principle_replace(struct store *s, int64_t id, int64_t expected_version,
                                          struct principle *p);
/* STORE_REFERENCED while the principle is invoked at any meeting. */
enum store_status store_principle_delete(struct store *s, int64_t id, int64_t expected_version);
/* PRINCIPLE_SORT_FIRST_INVOKED puts never-invoked principles last. */
enum store_status store_principle_list(struct store *s, const struct principle_filter *f,
                                       const struct cursor_pos *after, int limit,
                                       struct principle **items, size_t *count, char **next_key,
                                       int64_t *total);

/* The cursor key of a principle in the order sort (new string). */
char *store_principle_sort_key(const struct principle *p, enum principle_sort sort);

/* Every invocation of principle id, oldest meeting first (meeting date, then
 * meeting id), as a list page (see lists above). The cursor key is the
 * meeting date, its id the meeting id. STORE_NOT_FOUND when there is no
 * such principle. */
enum store_status store_principle_timeline(struct store *s, int64_t id,
                                           const struct cursor_pos *after, int limit,
                                           struct timeline_entry **items, size_t *count,
                                           char **next_key, int64_t *total);

/* ---- meetings (store/meetings.c) ----
 * Writes take the meeting in m (owned by the caller; a NULL slug is derived
 * from the date and title) with its nested participants, principles and
 * related meetings named by ref. References that name nothing, an
 * invoked_by who is not among the participants, duplicates and links to
 * the meeting itself are each added to p with their JSON pointer, and the
 * write answers STORE_INVALID_REF without changing anything. On STORE_OK m
 * is cleared and filled with the stored meeting. */
enum store_status store_meeting_get(struct store *s, const struct model_ref *ref,
                                    struct meeting *out);
enum store_status store_meeting_create(struct store *s, struct meeting *m,
                                       struct model_problems *p);
enum store_status store_meeting_replace(struct store *s, int64_t id, int64_t expected_version,
                                        struct meeting *m, struct model_problems *p);
enum store_status store_meeting_delete(struct store *s, int64_t id, int64_t expected_version);
/* Only checks the nested references of m (for meeting id, 0 for a new one),
 * adding a problem for each the write would refuse; writes nothing. */
enum store_status store_meeting_check_refs(struct store *s, int64_t id, struct meeting *m,
                                           struct model_problems *p);

/* Adds or changes one attendance (a->ref names the participant, a->role)
 * or one invocation (i->ref, stance, invoked_ref, quote) of meeting id,
 * and reads the meeting back into out. STORE_NOT_FOUND when the
 * participant or principle does not exist; an invoked_by who did not
 * attend goes to p (STORE_INVALID_REF). */
enum store_status store_meeting_put_attendance(struct store *s, int64_t id,
                                               int64_t expected_version, const struct attendance *a,
                                               struct meeting *out);
enum store_status store_meeting_put_invocation(struct store *s, int64_t id,
                                               int64_t expected_version, const struct invocation *i,
                                               struct meeting *out, struct model_problems *p);
/* Removes one attendance or invocation; STORE_NOT_FOUND when there is none. */
enum store_status store_meeting_remove_attendance(struct store *s, int64_t id,
                                                  int64_t expected_version,
                                                  const struct model_ref *participant);
enum store_status store_meeting_remove_invocation(struct store *s, int64_t id,
                                                  int64_t expected_version,
                                                  const struct model_ref *principle);

/* The participants and principles whose names the texts of meeting id may
 * mention: the meeting's participants, in attendance order, then every
 * principle, by id (principles are few; a readout may name one the meeting
 * did not invoke). *items is a new array of *count (mention_candidate_clear
 * each, then free). */
enum store_status store_meeting_mention_candidates(struct store *s, int64_t id,
                                                   struct mention_candidate **items, size_t *count);

/* A page of meeting summaries (no readout, sources, readouts or related) with their
 * participants and principles, in a fixed number of queries. A participant
 * or principle filter that names nothing is STORE_UNKNOWN_FILTER. *next_key
 * is the cursor key after the page's last row (a new string), NULL on the
 * last page; best-match-first pages rank with the statistics of the walk's
 * first page, as store_search does. */
enum store_status store_meeting_list(struct store *s, const struct meeting_filter *f,
                                     const struct cursor_pos *after, int limit,
                                     struct meeting **items, size_t *count,
                                     char **next_key /* OUT */, int64_t *total);

/* ---- search (store/search.c) ---- */

enum store_kind { STORE_MEETINGS, STORE_PARTICIPANTS, STORE_PRINCIPLES, STORE_KINDS };

/* The one table of record kinds, a row per enum store_kind. */
struct store_kind_info {
	const char *singular; /* "participant": a search hit's type, problem details, slugs */
	const char *plural;   /* "participants": its list in an import or export document */
	const char *table;    /* its table */
};
extern const struct store_kind_info store_kinds[STORE_KINDS];

/* A page of search hits for the search expression match over the kinds in
 * kinds (a bit per enum store_kind), best first; snippets are made for the
 * page's rows only. Scores are computed with the collection statistics of
 * the walk's first page, carried in the cursor key, so rows added, changed
 * or removed meanwhile cannot move the others across the cursor (a kind
 * with no hit at the first page stays out of the walk). *next_key is the
 * cursor key after the page's last hit (a new string), NULL on the last
 * page. *total, when total is not NULL, counts every hit now. */
enum store_status store_search(struct store *s, const char *match, unsigned kinds,
                               const struct cursor_pos *after, int limit, struct search_hit **items,
                               size_t *count, char **next_key /* OUT */, int64_t *total);

/* ---- changes and versions (store/history.c) ----
 * Every write records, in its own transaction, one change per record it
 * wrote: the next seq of the feed and the version it made, holding the
 * representation of the record as render gives it (the JSON the write
 * answers). A delete records version + 1 with no representation. */

/* The representation of a record of kind (a struct participant, principle
 * or meeting) as a new string of *len bytes; with summary, the item a list
 * of meetings gives for a meeting. */
typedef char *(*store_render)(enum store_kind kind, const void *record, bool summary, size_t *len);

/* Sets the renderer of every later write's version. Set it before the
 * store is used from more than one thread; without one, versions hold no
 * representation. */
void store_set_render(struct store *s, store_render render);

/* The representation of the record of kind ref names, as render gives it
 * (the body GET answers), a new string of *len bytes, and its ETag
 * (model_etag). A meeting's is read as stored with its ETag (meeting_json:
 * one primary-key read); a stale or missing one, and every participant's
 * and principle's, is rendered from the record and hashed. */
enum store_status store_get_json(struct store *s, enum store_kind kind, const struct model_ref *ref,
                                 char **body, size_t *len, char etag[MODEL_ETAG_LEN + 1]);

/* Renders up to batch stale stored meeting bodies and their list items
 * (see migrations/sqlite/0008_meeting_json.sql and 0017_meeting_list.sql)
 * in one write transaction, taken only when some are stale; *filled counts
 * them: fewer than batch when none is left. */
enum store_status store_meeting_json_fill(struct store *s, int batch, int64_t *filled);

/* The changes with seq > since of the kinds in kinds (a bit per enum
 * store_kind), oldest first, at most limit; *latest gets the newest seq
 * of the feed. STORE_GONE when retention removed changes after since. */
enum store_status store_changes_since(struct store *s, int64_t since, unsigned kinds, int limit,
                                      struct change **items, size_t *count, int64_t *latest);

/* Waits up to timeout_ms for the feed to move past *seen (a commit of this
 * process or of any other on the same database): STORE_OK with *seen set
 * to the newest seq, STORE_NOT_FOUND when the time ran out. Meant for one
 * notifier thread; PostgreSQL is told by LISTEN, a SQLite file is polled
 * every few milliseconds. */
enum store_status store_changes_wait(struct store *s, int64_t *seen, int timeout_ms);

/* Removes changes (and the versions they made) older than before (a
 * timestamp), oldest first, in transactions of at most batch rows, until
 * none is left; *removed counts them. */
enum store_status store_changes_prune(struct store *s, const char *before, int batch,
                                      int64_t *removed);

/* The id of the record of kind that ref names: a live one, or by id (or
 * the newest slug) one that only its versions remember. STORE_NOT_FOUND
 * when neither. */
enum store_status store_versions_resolve(struct store *s, enum store_kind kind,
                                         const struct model_ref *ref, int64_t *id);

/* A page of the versions of record id of kind, newest first (the list
 * rules above; the cursor key is the version number). */
enum store_status store_versions(struct store *s, enum store_kind kind, int64_t id,
                                 const struct cursor_pos *after, int limit, struct change **items,
                                 size_t *count, char **next_key, int64_t *total);

/* The representation version n of record id of kind holds (a new string of
 * *len bytes) and its change; *body NULL for a delete. STORE_NOT_FOUND when
 * there is no such version. */
enum store_status store_version_get(struct store *s, enum store_kind kind, int64_t id, int64_t n,
                                    struct change *meta, char **body, size_t *len);

/* ---- import and export (store/transfer.c) ---- */

/* An export: a read snapshot on a connection of its own, walked entity by
 * entity (each list by id) so memory does not grow with the store. */
struct store_export;
enum store_status store_export_open(struct store *s, struct store_export **out);
/* The next participant, principle or meeting (whole, with the slugs of
 * everything it references); STORE_NOT_FOUND after the last. */
enum store_status store_export_next_participant(struct store_export *x, struct participant *out);
enum store_status store_export_next_principle(struct store_export *x, struct principle *out);
enum store_status store_export_next_meeting(struct store_export *x, struct meeting *out);
/* A list walked on the export's snapshot: the pages of store_*_list (without
 * a total), so a stream of every row a list's filters match holds one page
 * at a time and sees one state of the store from its first page to its
 * last. */
enum store_status store_export_participants(struct store_export *x,
                                            const struct participant_filter *f,
                                            const struct cursor_pos *after, int limit,
                                            struct participant **items, size_t *count,
                                            char **next_key);
enum store_status store_export_principles(struct store_export *x, const struct principle_filter *f,
                                          const struct cursor_pos *after, int limit,
                                          struct principle **items, size_t *count, char **next_key);
enum store_status store_export_meetings(struct store_export *x, const struct meeting_filter *f,
                                        const struct cursor_pos *after, int limit,
                                        struct meeting **items, size_t *count, char **next_key);
void store_export_close(struct store_export *x); /* NULL ok */

/* A whole import document, decoded. Entities are matched by slug (each has
 * one): created when new (keeping created_at, updated_at and version when
 * the document gives them), replaced when present. Meetings are written in
 * two passes, rows then nested lists, so a meeting may refer to any meeting
 * of the document. */
struct store_import {
	struct participant *participants;
	size_t participant_count;
	struct principle *principles;
	size_t principle_count;
	struct meeting *meetings;
	size_t meeting_count;
};
struct store_import_counts {
	int64_t created, updated;
};

/* Applies doc in one transaction. References that name nothing go to p
 * with pointers into the document, and nothing is written
 * (STORE_INVALID_REF). counts[kind] tells what was created and updated. */
enum store_status store_import_apply(struct store *s, struct store_import *doc,
                                     struct model_problems *p,
                                     struct store_import_counts counts[STORE_KINDS]);

#endif
