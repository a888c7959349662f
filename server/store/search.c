/*
 * The SQLite full-text search (the search hooks of store/sqlite.c): keeping
 * the FTS5 tables in step with the records, and ranked search across
 * meetings, participants and principles. Scores are
 * bm25 with the title or name weighted above the rest, computed by an FTS5
 * auxiliary function of our own (readout_rank) with collection statistics
 * frozen when a walk begins and carried in its cursor, so that rows added,
 * changed or removed during the walk cannot move the rows around them
 * across the cursor. Snippets are made in a second query for the page's
 * rows only, by model/search.h from the records' text.
 */
#include <sqlite3.h>

#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/rank.h"
#include "model/search.h"
#include "model/tokenize.h"
#include "model/xalloc.h"
#include "store/sqlite.h"

#define SNIPPET_WORDS 24

/* The full-text index of each kind of record: one row per enum store_kind,
 * from which every statement of this file is written. */
static const struct fts_kind {
	const char *fts;     /* its FTS5 table */
	const char *columns; /* the indexed columns, in the index's order */
	const char *source;  /* what they hold, read from a row of `from` */
	const char *from;    /* the records' table, or a query over it */
	const char *length;  /* the length scores are computed against (readout_rank) */
	const char *weights; /* the columns' weights in the score (readout_rank) */
	const char *title;   /* the column a hit's title comes from */
	const char *date;    /* the column its date comes from, or NULL */
	int stats_param;     /* the $N of its statistics in a search */
} fts_kinds[STORE_KINDS] = {
    [STORE_MEETINGS] = {"meetings_fts", "title, summary, readout, readouts, tiers",
                        "title, summary, readout, texts, "
                        "readout_tiers(title, summary, readout, texts)",
                        "(SELECT id, title, summary, readout, readout_texts(readouts, "
                        "char(10)) AS texts FROM meetings)",
                        MEETING_LENGTH, MEETING_WEIGHTS, "title", "date", 6},
    [STORE_PARTICIPANTS] = {"participants_fts", "name, aliases",
                            "name, (SELECT group_concat(value, '; ') FROM "
                            "json_each(participants.aliases))",
                            "participants", "0", PARTICIPANT_WEIGHTS, "name", NULL, 7},
    [STORE_PRINCIPLES] = {"principles_fts", "name, framework, description, aliases",
                          "name, framework, description, (SELECT group_concat(value, '; ') "
                          "FROM json_each(principles.aliases))",
                          "principles", "0", PRINCIPLE_WEIGHTS, "name", NULL, 8},
};

/* The indexes keep no copy of the text (content=''): one forgets a row when
 * told the text it was given, read from the record before it changes, if
 * it holds the row at all (its docsize table has a row for each entry). */
enum store_status store_sqlite_fts_remove(struct store_conn *c, enum store_kind kind, int64_t id)
{
	const struct fts_kind *f = &fts_kinds[kind];
	char sql[768];
	snprintf(sql, sizeof sql,
	         "INSERT INTO %s (%s, rowid, %s) SELECT 'delete', id, %s FROM %s WHERE id = $1 "
	         "AND EXISTS (SELECT 1 FROM %s_docsize WHERE id = $1)",
	         f->fts, f->fts, f->columns, f->source, f->from, f->fts);
	return store_exec_ids(c, sql, 1, id, 0, 0);
}

enum store_status store_sqlite_fts_add(struct store_conn *c, enum store_kind kind,
                                       const int64_t *ids, size_t n)
{
	const struct fts_kind *f = &fts_kinds[kind];
	char sql[512];
	snprintf(sql, sizeof sql,
	         "INSERT INTO %s (rowid, %s) SELECT id, %s FROM %s "
	         "WHERE id IN (SELECT value FROM json_each($1))",
	         f->fts, f->columns, f->source, f->from);
	struct store_stmt *st;
	enum store_status r = store_prepare(c, sql, &st);
	if (r != STORE_OK)
		return r;
	char *list = store_id_list(ids, n, sizeof *ids, 0, NULL, NULL);
	store_bind_text(st, 1, list);
	bool row;
	r = store_step(st, &row);
	store_done(st);
	free(list);
	return r;
}

enum store_status store_sqlite_fts_optimize(struct store_conn *c)
{
	enum store_status r = STORE_OK;
	for (int k = 0; k < STORE_KINDS && r == STORE_OK; k++) {
		char sql[128];
		snprintf(sql, sizeof sql, "INSERT INTO %s (%s) VALUES ('optimize')",
		         fts_kinds[k].fts, fts_kinds[k].fts);
		r = store_exec_ids(c, sql, 0, 0, 0, 0);
	}
	return r;
}

/* ---- what a connection keeps for a data version ----
 * Counting the documents that hold a phrase walks its list of them (up to
 * half the index: rank_hits_enough), at a million meetings most of a
 * search's instructions; a score needs its row's length, a lookup in the
 * index's table of lengths for each row ranked (at 10k meetings an eighth
 * of a search's instructions). A connection keeps the counts and lengths
 * it read outside a write transaction, a count for an index and a phrase
 * as the expression writes it (model_search_phrases), a length for an
 * index and a row, as long as its database's data version stays the one
 * they were read at (SQLITE_FCNTL_DATA_VERSION: every commit moves it,
 * this connection's or another's, read inside the calling statement's
 * snapshot; an uncommitted write or its rollback does not, hence nothing
 * is kept or used inside a write transaction): what is kept is what a
 * read would give. */
#define PHRASE_COUNTS_MAX 16384 /* kept at most; then all are forgotten */
#define PHRASE_COUNT_SLOTS (2 * PHRASE_COUNTS_MAX)
#define PHRASE_KEY_MAX 256      /* a longer phrase is counted each time */
#define LENGTH_ROWIDS (1 << 22) /* lengths are kept for rowids below this */
#define LENGTH_BITS 24          /* a longer row's length is read each time */

/* The lengths of an index's rows, by rowid: each slot holds the
 * generation it was kept in (its top bits) and the length. A slot of
 * another generation than the array's is free, so that forgetting them
 * all is one step. The array grows to the highest rowid kept (4 bytes a
 * row: 4 MB at a million meetings, where the lengths a search reads are
 * spread over the whole index, so that a table of some of them would
 * forget them before they are read again). */
struct kept_lengths {
	uint32_t *slot;
	size_t cap, n; /* slots (a power of two), and those of the generation */
	uint32_t gen;  /* 1 to 255: a zeroed slot (0) holds no length */
};

/* The meetings of a search of one phrase, collected by the walk that
 * counts them when the connection keeps no count of it: counting walks
 * every meeting that holds the phrase, as ranking every one does, so the
 * search ranks them from these (store_sqlite_search) instead of walking
 * them again. Each row's weighted frequency and length, as readout_rank
 * reads them. */
struct phrase_rows {
	struct phrase_row {
		int64_t rowid;
		double freq;
		int len;
	} * row;
	size_t n, cap;
	bool whole; /* every meeting of the phrase is among them */
};
#define PHRASE_ROWS_MAX 65536 /* a phrase in more meetings collects none */

struct search_kept {
	struct phrase_rows *collect; /* while not NULL, a count of meetings' one phrase fills it */
	unsigned version;            /* the data version what is kept was read at */
	size_t n;
	struct phrase_count {
		char *key; /* phrase_lookup's kind, then the phrase; NULL: free */
		int64_t hits;
	} slot[PHRASE_COUNT_SLOTS];
	uint32_t used[PHRASE_COUNTS_MAX]; /* the slots in use, n of them */
	struct kept_lengths lengths[STORE_KINDS];
};

/* Forgets every count: a write moves the data version often, and clearing
 * costs as many steps as there are counts. */
static void phrase_counts_clear(struct search_kept *p)
{
	for (size_t i = 0; i < p->n; i++) {
		free(p->slot[p->used[i]].key);
		p->slot[p->used[i]].key = NULL;
	}
	p->n = 0;
}

static void lengths_forget(struct kept_lengths *l)
{
	l->n = 0;
	if (++l->gen >> (32 - LENGTH_BITS)) { /* every generation used: free each slot */
		if (l->slot)
			memset(l->slot, 0, l->cap * sizeof *l->slot);
		l->gen = 1;
	}
}

/* Whether l keeps rowid's length, then in *len. */
static bool length_kept(const struct kept_lengths *l, int64_t rowid, int *len)
{
	if (rowid < 0 || (uint64_t)rowid >= l->cap || l->slot[rowid] >> LENGTH_BITS != l->gen)
		return false;
	*len = (int)(l->slot[rowid] & ((1u << LENGTH_BITS) - 1));
	return true;
}

static void length_keep(struct kept_lengths *l, int64_t rowid, int len)
{
	if (rowid < 0 || rowid >= LENGTH_ROWIDS || len < 0 || len >> LENGTH_BITS)
		return;
	if ((uint64_t)rowid >= l->cap) { /* grow to the next power of two past rowid */
		size_t cap = l->cap ? l->cap : 256;
		while (cap <= (uint64_t)rowid)
			cap *= 2;
		l->slot = xrealloc(l->slot, cap * sizeof *l->slot);
		memset(l->slot + l->cap, 0, (cap - l->cap) * sizeof *l->slot);
		l->cap = cap;
	}
	l->n += l->slot[rowid] >> LENGTH_BITS != l->gen;
	l->slot[rowid] = l->gen << LENGTH_BITS | (uint32_t)len;
}

/* Whether what k keeps can be used by a statement of db now (outside a
 * write transaction), forgetting it all first when the data version the
 * statement reads has moved. */
static bool kept_current(struct search_kept *k, sqlite3 *db)
{
	unsigned version;
	if (sqlite3_txn_state(db, "main") == SQLITE_TXN_WRITE ||
	    sqlite3_file_control(db, "main", SQLITE_FCNTL_DATA_VERSION, &version) != SQLITE_OK)
		return false;
	if (k->version != version) {
		phrase_counts_clear(k);
		for (int i = 0; i < STORE_KINDS; i++)
			lengths_forget(&k->lengths[i]);
		k->version = version;
	}
	return true;
}

/* ---- ranking with frozen statistics ---- */

/* The weighted frequency of phrase `phrase` in the current row: its hits
 * in the first `weights` columns, each counted with its column's weight.
 * Only that phrase's hits are read: xInst would load every phrase's, the
 * tier phrases of a search's filter among them. */
static int row_freq(const Fts5ExtensionApi *api, Fts5Context *fts, int phrase, const double *weight,
                    int weights, double *freq)
{
	Fts5PhraseIter it;
	int col, off;
	*freq = 0;
	int rc = api->xPhraseFirst(fts, phrase, &it, &col, &off);
	for (; rc == SQLITE_OK && col >= 0; api->xPhraseNext(fts, &it, &col, &off))
		if (col < weights)
			*freq += weight[col];
	return rc;
}

/* The current row's length in tokens, of its first `weights` columns:
 * kept in lengths (NULL: none kept), or read and then kept there. */
static int row_length(const Fts5ExtensionApi *api, Fts5Context *fts, struct kept_lengths *lengths,
                      int weights, int *ntok)
{
	sqlite3_int64 rowid = lengths ? api->xRowid(fts) : 0;
	if (lengths && length_kept(lengths, rowid, ntok))
		return SQLITE_OK;
	int rc = SQLITE_OK;
	*ntok = 0;
	for (int col = 0; rc == SQLITE_OK && col < weights; col++) {
		int size = 0;
		rc = api->xColumnSize(fts, col, &size);
		*ntok += size;
	}
	if (rc == SQLITE_OK && lengths)
		length_keep(lengths, rowid, *ntok);
	return rc;
}

/* The index's kept lengths for a statement of db, when kind is one of
 * the store's (an enum store_kind) and they can be used now; else NULL. */
static struct kept_lengths *lengths_of(struct search_kept *kept, sqlite3 *db, int kind)
{
	return kept && kind >= 0 && kind < STORE_KINDS && kept_current(kept, db)
	           ? &kept->lengths[kind]
	           : NULL;
}

/* What readout_rank derives from the statistics once per query. */
struct rank_query {
	int phrases, weights;
	double avgdl;
	struct kept_lengths *lengths; /* the index's kept, or NULL */
	double *freq;                 /* the current row's weighted frequency of each phrase */
	double *weight;               /* each column's weight */
	double idf[];                 /* each phrase's, then freq's and weight's room */
};

_Static_assert(STORE_MEETINGS == 0, "MEETING_RANK gives meetings' kind as 0");

/* readout_rank(fts, stats, kind, length, weight...): the bm25 score of the
 * current row under the bound statistics, each column's hits counted with
 * its weight, like bm25(fts, weight...), against the document length
 * `length` (the collection's average when 0). Only the weighted columns
 * make the row's length (a meeting's tiers do not), and only the phrases
 * the statistics count score (the tier phrases a search adds do not). The
 * rows' lengths are kept for the index of `kind` (an enum store_kind; any
 * other number keeps none). */
static void fts_rank(const Fts5ExtensionApi *api, Fts5Context *fts, sqlite3_context *ctx, int nval,
                     sqlite3_value **val)
{
	struct rank_query *q = api->xGetAuxdata(fts, 0);
	if (!q) {
		const struct rank_stats *s =
		    nval > 0 ? sqlite3_value_pointer(val[0], STORE_RANK_POINTER) : NULL;
		if (!s) {
			sqlite3_result_error(ctx, "readout_rank: no statistics bound", -1);
			return;
		}
		int n = api->xPhraseCount(fts), weights = nval > 3 ? nval - 3 : 0;
		if (s->phrases > 0 && s->phrases < n)
			n = s->phrases;
		double length = nval > 2 ? sqlite3_value_double(val[2]) : 0;
		q = xmalloc(sizeof *q + (2 * (size_t)n + (size_t)weights) * sizeof(double));
		q->phrases = n;
		q->weights = weights;
		q->avgdl = length > 0 ? length : rank_avgdl(s);
		q->lengths = lengths_of(api->xUserData(fts), sqlite3_context_db_handle(ctx),
		                        nval > 1 ? sqlite3_value_int(val[1]) : -1);
		q->freq = q->idf + n;
		q->weight = q->freq + n;
		for (int i = 0; i < n; i++)
			q->idf[i] = rank_idf(s, i);
		for (int col = 0; col < weights; col++)
			q->weight[col] = sqlite3_value_double(val[3 + col]);
		int rc = api->xSetAuxdata(fts, q, free); /* frees q when it fails */
		if (rc != SQLITE_OK) {
			sqlite3_result_error_code(ctx, rc);
			return;
		}
	}
	int ntok = 0, rc = SQLITE_OK;
	for (int phrase = 0; rc == SQLITE_OK && phrase < q->phrases; phrase++)
		rc = row_freq(api, fts, phrase, q->weight, q->weights, &q->freq[phrase]);
	if (rc == SQLITE_OK)
		rc = row_length(api, fts, q->lengths, q->weights, &ntok);
	if (rc != SQLITE_OK) {
		sqlite3_result_error_code(ctx, rc);
		return;
	}
	sqlite3_result_double(ctx, rank_bm25(q->idf, q->freq, q->phrases, ntok, q->avgdl));
}

size_t store_sqlite_phrase_counts_kept(struct store_conn *c)
{
	return store_sqlite_search_kept(c)->n;
}

size_t store_sqlite_lengths_kept(struct store_conn *c, enum store_kind kind)
{
	return store_sqlite_search_kept(c)->lengths[kind].n;
}

void store_sqlite_search_kept_free(struct search_kept *k)
{
	phrase_counts_clear(k);
	for (int i = 0; i < STORE_KINDS; i++)
		free(k->lengths[i].slot);
	free(k);
}

/* The slot holding key, or the free one where it goes (open addressing). */
static struct phrase_count *phrase_slot(struct search_kept *p, const char *key)
{
	uint64_t h = 14695981039346656037u; /* FNV-1a */
	for (const char *k = key; *k; k++)
		h = (h ^ (unsigned char)*k) * 1099511628211u;
	size_t i = h % PHRASE_COUNT_SLOTS;
	while (p->slot[i].key && strcmp(p->slot[i].key, key) != 0)
		i = (i + 1) % PHRASE_COUNT_SLOTS;
	return &p->slot[i];
}

/* Whether p keeps a count under key, then in *hits. */
static bool count_kept(struct search_kept *p, const char *key, int64_t *hits)
{
	const struct phrase_count *kept = phrase_slot(p, key);
	if (kept->key)
		*hits = kept->hits;
	return kept->key != NULL;
}

/* Keeps hits under key, which p does not hold; when p is full, every
 * count is forgotten first. */
static void count_keep(struct search_kept *p, const char *key, int64_t hits)
{
	if (p->n == PHRASE_COUNTS_MAX)
		phrase_counts_clear(p);
	struct phrase_count *kept = phrase_slot(p, key);
	kept->key = xstrdup(key);
	kept->hits = hits;
	p->used[p->n++] = (uint32_t)(kept - p->slot);
}

struct search_kept *store_sqlite_search_kept_new(void)
{
	struct search_kept *k = xcalloc(1, sizeof *k);
	for (int i = 0; i < STORE_KINDS; i++)
		k->lengths[i].gen = 1;
	return k;
}

/* What readout_rank_stats looks counts up by (bound at its third
 * argument) among the connection's (the functions' user data): the
 * phrases of the match. */
struct phrase_lookup {
	char kind; /* the index's kind as a digit, or 't' for its tier tokens */
	char *const *phrases;
	int n; /* -1: the match has too many to read */
};
#define PHRASE_LOOKUP_POINTER "readout_phrase_lookup"
#define TIER_WORDS_MAX 8 /* the words of a search whose tiers it reads, at most */
/* A lookup's phrases, at most: a match's (RANK_PHRASES_MAX) or tier tokens. */
#define LOOKUP_PHRASES_MAX (RANK_TIERS * TIER_WORDS_MAX)

/* The lookup bound at val, or NULL (none, not for a query of `phrases`
 * phrases, as the expression was not read as FTS5 reads it, no counts kept
 * on the connection, or inside a write transaction); the counts the
 * connection keeps are made to hold for the data version of the calling
 * statement's snapshot. */
static struct phrase_lookup *phrase_lookup(const Fts5ExtensionApi *api, Fts5Context *fts,
                                           sqlite3_context *ctx, sqlite3_value *val, int phrases)
{
	struct phrase_lookup *look = val ? sqlite3_value_pointer(val, PHRASE_LOOKUP_POINTER) : NULL;
	struct search_kept *counts = api->xUserData(fts);
	if (!look || look->n != phrases || !counts)
		return NULL;
	return kept_current(counts, sqlite3_context_db_handle(ctx)) ? look : NULL;
}

/* An xQueryPhrase walk of the documents holding a phrase: it counts them
 * up to `enough` (then it stops) and, given rows, collects them (struct
 * phrase_rows; a meetings' index: its weights and lengths). */
struct phrase_walk {
	sqlite3_int64 n, enough;
	struct phrase_rows *rows;
	struct kept_lengths *lengths;
};

static int walk_row(const Fts5ExtensionApi *api, Fts5Context *fts, void *arg)
{
	struct phrase_walk *w = arg;
	struct phrase_rows *p = w->rows;
	if (p && p->n == p->cap && p->cap < PHRASE_ROWS_MAX) {
		p->cap = p->cap ? 2 * p->cap : 1024;
		p->row = xrealloc(p->row, p->cap * sizeof *p->row);
	}
	if (p && p->n < p->cap) {
		struct phrase_row *r = &p->row[p->n];
		r->rowid = api->xRowid(fts);
		int rc =
		    row_freq(api, fts, 0, rank_meeting_weights, RANK_MEETING_COLUMNS, &r->freq);
		if (rc == SQLITE_OK)
			rc = row_length(api, fts, w->lengths, RANK_MEETING_COLUMNS, &r->len);
		if (rc != SQLITE_OK)
			return rc;
		p->n++;
	}
	return ++w->n < w->enough ? SQLITE_OK : SQLITE_DONE;
}

/* The documents holding phrase i of the query, counted up to `enough`
 * into *hits: the count the connection keeps under look (look may be
 * NULL: none kept or used), or a walk's, then kept. The walk of the one
 * phrase of several tokens of a meetings' query collects its rows while
 * the connection asks for them (search_kept's collect). */
static int phrase_hits(const Fts5ExtensionApi *api, Fts5Context *fts, struct phrase_lookup *look,
                       int i, int64_t enough, int64_t *hits)
{
	char key[PHRASE_KEY_MAX];
	struct search_kept *counts = api->xUserData(fts);
	bool keep = look && snprintf(key, sizeof key, "%c%s", look->kind, look->phrases[i]) <
	                        (int)sizeof key;
	if (keep && count_kept(counts, key, hits))
		return SQLITE_OK;
	struct phrase_walk walk = {.enough = enough};
	if (look && look->kind == '0' && look->n == 1 && api->xPhraseSize(fts, i) > 1) {
		walk.rows = counts->collect;
		walk.lengths = &counts->lengths[STORE_MEETINGS]; /* current, as look is given */
	}
	int rc = api->xQueryPhrase(fts, i, &walk, walk_row);
	if (walk.rows)
		walk.rows->whole =
		    rc == SQLITE_OK && walk.n < enough && walk.rows->n == (size_t)walk.n;
	*hits = walk.n;
	if (keep && rc == SQLITE_OK)
		count_keep(counts, key, walk.n);
	return rc;
}

/* readout_rank_stats(fts, stats[, lookup]): fills the bound statistics with
 * the index's now (one call per query is enough), with the counts of its
 * phrases kept in lookup's where they are, and returns 1. */
static void fts_rank_stats(const Fts5ExtensionApi *api, Fts5Context *fts, sqlite3_context *ctx,
                           int nval, sqlite3_value **val)
{
	struct rank_stats *s = nval > 0 ? sqlite3_value_pointer(val[0], STORE_RANK_POINTER) : NULL;
	if (!s) {
		sqlite3_result_error(ctx, "readout_rank_stats: no statistics bound", -1);
		return;
	}
	memset(s, 0, sizeof *s);
	sqlite3_int64 rows = 0, tokens = 0;
	int rc = api->xRowCount(fts, &rows);
	if (rc == SQLITE_OK)
		rc = api->xColumnTotalSize(fts, -1, &tokens);
	s->rows = rows;
	s->tokens = tokens;
	int n = api->xPhraseCount(fts);
	struct phrase_lookup *look = phrase_lookup(api, fts, ctx, nval > 1 ? val[1] : NULL, n);
	/* A query of more phrases ranks them alike: their counts would not
	 * fit in a cursor (and reading them would cost a pass each). A count
	 * stops where the idf stops changing: a common word's walk halfway. */
	for (int i = 0; rc == SQLITE_OK && n <= RANK_PHRASES_MAX && i < n; i++) {
		rc = phrase_hits(api, fts, look, i, rank_hits_enough(rows), &s->hits[i]);
		s->phrases = i + 1;
	}
	if (rc != SQLITE_OK)
		sqlite3_result_error_code(ctx, rc);
	else
		sqlite3_result_int(ctx, 1);
}

/* What readout_tier_counts counts into (bound at its second argument). */
struct tier_counts {
	int words;                /* the tier tokens of a tier: one per word read */
	int counted;              /* the tiers counted so far: 0 to counted - 1 */
	int64_t cap;              /* counting stops at the tier where upto reaches it */
	int64_t upto[RANK_TIERS]; /* the meetings of tiers 0 to t, counted for each word */
};
#define TIER_COUNTS_POINTER "readout_tier_counts"

/* readout_tier_counts(fts, counts[, lookup]): for a match of the tier tokens of the
 * tiers from counts->counted on (model_search_tier_filter with no
 * expression: `words` to a tier, tier by tier), counts each tier's
 * meetings into counts->upto, up to the tier where they reach
 * counts->cap; returns 1. */
static void fts_tier_counts(const Fts5ExtensionApi *api, Fts5Context *fts, sqlite3_context *ctx,
                            int nval, sqlite3_value **val)
{
	struct tier_counts *k =
	    nval > 0 ? sqlite3_value_pointer(val[0], TIER_COUNTS_POINTER) : NULL;
	if (!k || k->words < 1) {
		sqlite3_result_error(ctx, "readout_tier_counts: no counts bound", -1);
		return;
	}
	int rc = SQLITE_OK, n = api->xPhraseCount(fts);
	struct phrase_lookup *look = phrase_lookup(api, fts, ctx, nval > 1 ? val[1] : NULL, n);
	for (int i = 0; rc == SQLITE_OK && i < n && k->counted < RANK_TIERS; i++) {
		int t = k->counted;
		if (i % k->words == 0)
			k->upto[t] = t ? k->upto[t - 1] : 0;
		int64_t hits;
		rc = phrase_hits(api, fts, look, i, INT64_MAX, &hits);
		k->upto[t] += hits;
		if (i % k->words < k->words - 1)
			continue;
		k->counted = t + 1; /* the tier's last word */
		if (k->upto[t] >= k->cap)
			break;
	}
	if (rc != SQLITE_OK)
		sqlite3_result_error_code(ctx, rc);
	else
		sqlite3_result_int(ctx, 1);
}

/* ---- the tokenizer "readout": model/tokenize.h's, for FTS5 ---- */

static int tokenizer_create(void *ctx, const char **args, int nargs, Fts5Tokenizer **out)
{
	(void)ctx, (void)args;
	static char instance; /* no state: any non-NULL pointer */
	*out = nargs == 0 ? (Fts5Tokenizer *)&instance : NULL;
	return nargs == 0 ? SQLITE_OK : SQLITE_ERROR;
}

static void tokenizer_delete(Fts5Tokenizer *t)
{
	(void)t;
}

struct fts_tokens {
	void *ctx;
	int (*token)(void *ctx, int flags, const char *text, int len, int start, int end);
};

static int fts_token(void *ctx, const struct token *t)
{
	const struct fts_tokens *f = ctx;
	return f->token(f->ctx, 0, t->text, (int)t->len, (int)t->start, (int)t->end);
}

static int tokenizer_tokenize(Fts5Tokenizer *t, void *ctx, int flags, const char *text, int len,
                              int (*token)(void *ctx, int flags, const char *text, int len,
                                           int start, int end))
{
	(void)t, (void)flags;
	if (len > 0 && text[0] == RANK_TIER_MARK) { /* tier tokens, each whole */
		int rc = SQLITE_OK;
		for (int i = 0, end; rc == SQLITE_OK && i < len; i = end) {
			for (end = i + 1; end < len && text[end] != RANK_TIER_MARK; end++)
				;
			rc = token(ctx, 0, text + i, end - i, i, end);
		}
		return rc;
	}
	struct fts_tokens f = {ctx, token};
	return len > 0 ? model_tokenize(text, (size_t)len, fts_token, &f) : SQLITE_OK;
}

/* readout_tiers(title, summary, readout, readouts): a meeting's tier text
 * (model/rank.h). */
static void sql_meeting_tiers(sqlite3_context *ctx, int n, sqlite3_value **val)
{
	const char *texts[RANK_MEETING_COLUMNS] = {0};
	for (int i = 0; i < n && i < RANK_MEETING_COLUMNS; i++)
		texts[i] = (const char *)sqlite3_value_text(val[i]);
	sqlite3_result_text(ctx, rank_meeting_tiers(texts), -1, free);
}

/* readout_texts(readouts, sep): the texts of a meeting's readouts joined
 * by sep (model_readout_texts), as PostgreSQL's readout_texts gives them;
 * malformed JSON is an error. */
static void sql_readout_texts(sqlite3_context *ctx, int n, sqlite3_value **val)
{
	(void)n;
	const char *json = (const char *)sqlite3_value_text(val[0]);
	const char *sep = (const char *)sqlite3_value_text(val[1]);
	if (!json || !sep)
		return; /* NULL */
	bool malformed;
	char *texts =
	    model_readout_texts(json, (size_t)sqlite3_value_bytes(val[0]), sep, &malformed);
	if (malformed)
		sqlite3_result_error(ctx, "readout_texts: malformed JSON", -1);
	else if (texts)
		sqlite3_result_text(ctx, texts, -1, free);
}

int store_search_register(sqlite3 *db, struct search_kept *kept)
{
	fts5_api *fts = NULL;
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(db, "SELECT fts5(?1)", -1, &st, NULL);
	if (rc != SQLITE_OK)
		return rc;
	sqlite3_bind_pointer(st, 1, &fts, "fts5_api_ptr", NULL);
	sqlite3_step(st);
	rc = sqlite3_finalize(st);
	if (rc == SQLITE_OK && !fts)
		rc = SQLITE_ERROR;
	static fts5_tokenizer tokenizer = {tokenizer_create, tokenizer_delete, tokenizer_tokenize};
	if (rc == SQLITE_OK)
		rc = fts->xCreateTokenizer(fts, "readout", NULL, &tokenizer, NULL);
	if (rc == SQLITE_OK)
		rc = fts->xCreateFunction(fts, "readout_rank", kept, fts_rank, NULL);
	if (rc == SQLITE_OK)
		rc = fts->xCreateFunction(fts, "readout_rank_stats", kept, fts_rank_stats, NULL);
	if (rc == SQLITE_OK)
		rc = fts->xCreateFunction(fts, "readout_tier_counts", kept, fts_tier_counts, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_create_function(db, "readout_tiers", RANK_MEETING_COLUMNS,
		                             SQLITE_UTF8 | SQLITE_DETERMINISTIC, NULL,
		                             sql_meeting_tiers, NULL, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_create_function(db, "readout_texts", 2,
		                             SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS,
		                             NULL, sql_readout_texts, NULL, NULL);
	return rc;
}

/* Calls the auxiliary function fn(fts, arg[, arg2]) once, on the first row
 * fts's MATCH of match finds (none: *row false), arg bound as a pointer of
 * `type`, which fn fills, and arg2, unless NULL, as one of type2. */
static enum store_status fts_call(struct store_conn *c, const char *fts, const char *fn,
                                  const char *match, void *arg, const char *type, void *arg2,
                                  const char *type2, bool *row)
{
	char sql[256];
	snprintf(sql, sizeof sql, "SELECT %s(%s, $2%s) FROM %s WHERE %s MATCH $1 LIMIT 1", fn, fts,
	         arg2 ? ", $3" : "", fts, fts);
	struct store_stmt *st;
	enum store_status r = store_prepare(c, sql, &st);
	if (r != STORE_OK)
		return r;
	store_bind_text(st, 1, match);
	sqlite3_bind_pointer((sqlite3_stmt *)st->handle, 2, arg, type, NULL);
	if (arg2)
		sqlite3_bind_pointer((sqlite3_stmt *)st->handle, 3, arg2, type2, NULL);
	r = store_step(st, row);
	store_done(st);
	return r;
}

/* fts_call of fn(fts, arg, lookup), which counts the documents holding
 * each phrase of match: the lookup of the connection's counts for the
 * index's `kind` (struct phrase_lookup) and match's phrases. */
static enum store_status fts_call_counting(struct store_conn *c, const char *fts, const char *fn,
                                           char kind, const char *match, void *arg,
                                           const char *type, bool *row)
{
	char *phrases[LOOKUP_PHRASES_MAX];
	int n = model_search_phrases(match, phrases, LOOKUP_PHRASES_MAX);
	struct phrase_lookup look = {kind, phrases, n};
	enum store_status r =
	    fts_call(c, fts, fn, match, arg, type, &look, PHRASE_LOOKUP_POINTER, row);
	for (int i = 0; i < n; i++)
		free(phrases[i]);
	return r;
}

enum store_status store_sqlite_rank_freeze(struct store_conn *c, const char *match, unsigned kinds,
                                           struct store_rank_walk *w)
{
	enum store_status r = STORE_OK;
	for (int k = 0; k < STORE_KINDS && r == STORE_OK; k++) {
		if (!(kinds & (1u << k)))
			continue;
		bool row;
		r = fts_call_counting(c, fts_kinds[k].fts, "readout_rank_stats", (char)('0' + k),
		                      match, &w->stats[k], STORE_RANK_POINTER, &row);
		if (r == STORE_OK && row)
			w->kinds |= 1u << k;
	}
	return r;
}

void store_sqlite_rank_bind(struct store_db_stmt *st, int i, const struct rank_stats *s)
{
	sqlite3_bind_pointer((sqlite3_stmt *)st, i, (void *)s, STORE_RANK_POINTER, NULL);
}

/* The hits of a page describe reads, of one kind: all, or those whose
 * text's start did not decide their snippet. */
struct hit_filter {
	int kind;
	bool undecided;
};

static bool hit_wanted(const void *item, const void *ctx)
{
	const struct search_hit *h = item;
	const struct hit_filter *f = ctx;
	return h->kind == f->kind && (!f->undecided || (h->slug && !h->snippet));
}

/* The text of each kind of record a snippet is cut from: its indexed
 * columns joined, as the PostgreSQL store joins them. */
#define MEETING_SNIPPET_START \
	"r.title || coalesce(' … ' || r.summary, '') || coalesce(' … ' || r.readout, '')"
static const char *const snippet_texts[STORE_KINDS] = {
    [STORE_MEETINGS] =
        MEETING_SNIPPET_START " || coalesce(' … ' || readout_texts(r.readouts, ' … '), '')",
    [STORE_PARTICIPANTS] = "r.name || coalesce(' … ' || (SELECT group_concat(value, '; ') "
                           "FROM json_each(r.aliases)), '')",
    [STORE_PRINCIPLES] = "r.name || coalesce(' … ' || r.framework, '') || "
                         "coalesce(' … ' || r.description, '') || coalesce(' … ' || (SELECT "
                         "group_concat(value, '; ') FROM json_each(r.aliases)), '')",
};

/* The start of a kind's text that most snippets of a search of ASCII words
 * are cut from, without reading the rest (the readouts' texts, out of
 * their JSON): NULL when the whole text is always read. */
static const char *const snippet_starts[STORE_KINDS] = {
    [STORE_MEETINGS] = MEETING_SNIPPET_START,
};

/* Fills slug, title and date of the hits f wants that have none, and
 * their snippets from `text`, a kind's start of their text (snippet_starts:
 * a snippet it does not decide stays NULL) or its whole (snippet_texts). */
static enum store_status describe_kind(struct store_conn *c, const char *match,
                                       struct search_hit *hits, size_t n,
                                       const struct hit_filter *f, const char *text, bool start)
{
	char *ids =
	    store_id_list(hits, n, sizeof *hits, offsetof(struct search_hit, id), hit_wanted, f);
	if (strcmp(ids, "[]") == 0) {
		free(ids);
		return STORE_OK;
	}
	const struct fts_kind *k = &fts_kinds[f->kind];
	char sql[768];
	snprintf(sql, sizeof sql,
	         "SELECT r.id, r.slug, r.%s, %s%s, %s FROM %s r "
	         "WHERE r.id IN (SELECT value FROM json_each($1))",
	         k->title, k->date ? "r." : "", k->date ? k->date : "NULL", text,
	         store_kinds[f->kind].table);
	struct store_stmt *st;
	enum store_status r = store_prepare(c, sql, &st);
	if (r != STORE_OK) {
		free(ids);
		return r;
	}
	store_bind_text(st, 1, ids);
	bool row;
	while ((r = store_step(st, &row)) == STORE_OK && row) {
		int64_t id = store_col_int64(st, 0);
		for (size_t i = 0; i < n; i++) {
			struct search_hit *h = &hits[i];
			if (h->id != id || !hit_wanted(h, f))
				continue;
			if (!h->slug) {
				h->slug = store_column_text(st, 1);
				h->title = store_column_text(st, 2);
				if (!store_col_is_null(st, 3))
					store_column_copy(st, 3, h->date, sizeof h->date);
			}
			const char *t = store_col_text(st, 4);
			if (!t)
				t = "";
			h->snippet = start ? model_search_snippet_of_start(t, match, SNIPPET_WORDS)
			                   : model_search_snippet(t, match, SNIPPET_WORDS);
		}
	}
	store_done(st);
	free(ids);
	return r;
}

/* Fills slug, title, date and snippet of the page's hits, one query per
 * kind. Snippets are model/search.h's, from the records' text: FTS5's own
 * snippet() would cut one column, and mark overlapping CJK pairs apart. */
static enum store_status describe(struct store_conn *c, const char *match, struct search_hit *hits,
                                  size_t n)
{
	/* A search of ASCII words cuts its snippets from the texts' starts
	 * where it can: Chinese, Japanese or Korean words are mostly in the
	 * readouts. */
	bool ascii = true;
	for (const char *m = match; *m && ascii; m++)
		ascii = (unsigned char)*m < 0x80;
	enum store_status r = STORE_OK;
	for (int kind = 0; kind < STORE_KINDS && r == STORE_OK; kind++) {
		struct hit_filter f = {kind, false};
		if (!ascii || !snippet_starts[kind]) {
			r = describe_kind(c, match, hits, n, &f, snippet_texts[kind], false);
			continue;
		}
		r = describe_kind(c, match, hits, n, &f, snippet_starts[kind], true);
		/* Those whose start did not decide them: from the whole text. */
		f.undecided = true;
		if (r == STORE_OK)
			r = describe_kind(c, match, hits, n, &f, snippet_texts[kind], false);
	}
	return r;
}

static void search_hit_clear_any(void *e)
{
	search_hit_clear(e);
}

static void search_hit_row_read(struct store_stmt *st, void *out)
{
	struct search_hit *h = out;
	h->kind = (int)store_col_int64(st, 0);
	h->id = store_col_int64(st, 1);
	h->score = store_col_double(st, 2);
}

/* Searches whose phrases match fewer meetings than this rank them all:
 * that costs less than reading the tiers first. */
#define TIERS_FROM 512

/* The meetings a search reads: those of its match holding the word of a
 * phrase in the tiers read (model/rank.h), a pass of more tiers at a time,
 * or every one. A phrase whose idf is too small to matter (a word in most
 * meetings, beside a rarer one) is not looked up: its impact is then
 * bounded by the most any can be. Which tier to read to is chosen from how
 * many meetings the tiers hold, counted from the top as far as needed
 * (counting a meeting costs far less than ranking it). */
struct tier_walk {
	int words; /* the phrases' words among the tiers, or 0: read every meeting */
	char *word[TIER_WORDS_MAX];
	double idf[TIER_WORDS_MAX]; /* its phrase's, under the walk's statistics */
	bool read[TIER_WORDS_MAX];  /* whether its tiers are read */
	struct tier_counts counts;  /* of the words read */
	int limit;                  /* the page's size */
	int tier;                   /* the last tier read: tiers 0 to it are */
	char *match;                /* the meetings' match of the tiers read next */
	struct search_hit *kept;    /* the best rows of the tiers read before (or of the
	                             * meetings a count collected: phrase_rows_rank) */
	size_t kept_n;
};

/* A search: the match, the cursor (parsed) and the walk's statistics. */
struct search_ctx {
	struct store_conn *conn;
	const char *match;
	unsigned kinds; /* those ranked: asked for and in the walk */
	const struct cursor_pos *after;
	int after_kind;
	double after_score;
	struct store_rank_walk walk;
	struct tier_walk *tiers;
};

/* Counts the meetings of the tiers of words (those read, n of them) from
 * the first k has not counted, up to the tier where they reach cap (or the
 * last). STORE_ERROR, counting nothing, when the words have no tier tokens
 * (none read, or one too long: model_search_tier_filter), as well as when
 * the database fails. */
static enum store_status tier_count(struct store_conn *c, char *const word[], const bool read[],
                                    int n, struct tier_counts *k, int64_t cap)
{
	char *match = model_search_tier_filter(NULL, word, read, n, k->counted, RANK_TIERS - 1);
	k->cap = cap;
	/* Tier tokens' counts are kept apart from phrases' (kind 't'): they
	 * are not cut at half the index. */
	bool row;
	enum store_status r = match ? fts_call_counting(c, "meetings_fts", "readout_tier_counts",
	                                                't', match, k, TIER_COUNTS_POINTER, &row)
	                            : STORE_ERROR;
	/* No row: no meeting holds any of the tokens, every tier is empty. */
	for (; r == STORE_OK && !row && k->counted < RANK_TIERS; k->counted++)
		k->upto[k->counted] = k->counted ? k->upto[k->counted - 1] : 0;
	free(match);
	return r;
}

/* The first tier t whose tiers 0 to t hold `cap` of word's meetings, or
 * RANK_TIERS when they all hold fewer; -1 when word has no tier tokens
 * (it is too long) or the database fails. The connection keeps it beside
 * its counts of phrases (under 'T', cap and word). Kept outside a read
 * transaction, it may be a write behind: it only chooses which tiers a
 * search reads, never what the search finds. */
static int tier_reach(struct store_conn *c, char *word, int64_t cap)
{
	struct search_kept *kept = store_sqlite_search_kept(c);
	sqlite3 *db = store_sqlite_handle(c);
	char key[PHRASE_KEY_MAX];
	bool keep = snprintf(key, sizeof key, "T%lld:%s", (long long)cap, word) < (int)sizeof key;
	int64_t t;
	if (keep && kept_current(kept, db) && count_kept(kept, key, &t))
		return (int)t;
	bool read = true;
	struct tier_counts k = {.words = 1};
	if (tier_count(c, &word, &read, 1, &k, cap) != STORE_OK)
		return -1;
	t = k.upto[k.counted - 1] >= cap ? k.counted - 1 : RANK_TIERS;
	if (keep && kept_current(kept, db)) /* the count may have forgotten all */
		count_keep(kept, key, t);
	return (int)t;
}

/* Chooses the word of a phrase whose tiers a search reads (*word, all its
 * tokens separated by spaces: model_search_tier_words) and checks it:
 * the token whose tiers reach `cap` meetings the deepest (a phrase is
 * rarer than its tokens, and the rarest bounds it the closest: in a
 * Chinese name of five pairs, a pair found almost only inside the name).
 * Returns whether its tiers reach cap at all. When they do not, most of
 * the phrase's meetings lie below every tier: a search of it, alone or
 * with others (an AND's rows hold it weakly), reads the tiers and then
 * ranks every match anyway, so it ranks them at once. */
static bool tier_word_choose(struct store_conn *c, char **word, int64_t cap)
{
	char *best = NULL;
	int deepest = -1;
	char *rest;
	for (char *t = strtok_r(*word, " ", &rest); t; t = strtok_r(NULL, " ", &rest)) {
		int reach = tier_reach(c, t, cap);
		if (reach > deepest) {
			best = t;
			deepest = reach;
		}
	}
	best = best ? xstrdup(best) : NULL;
	free(*word);
	*word = best;
	return best && deepest < RANK_TIERS;
}

/* Reads the tiers for a search, when that can cost less than ranking
 * every meeting its match finds, down to the first tier that holds a
 * page of `limit` (and one more row) of the words' meetings, four times
 * that for an AND of two words and 16 times for more (a meeting outscores
 * the rest with all its words, so an AND's page reaches further down). */
static void tier_walk_begin(struct search_ctx *q, int limit)
{
	const struct rank_stats *s = &q->walk.stats[STORE_MEETINGS];
	struct tier_walk *w = q->tiers;
	int64_t hits = INT64_MAX; /* the fewest of a phrase: at most the AND's */
	for (int i = 0; i < s->phrases; i++)
		if (s->hits[i] < hits)
			hits = s->hits[i];
	if (!(q->kinds & (1u << STORE_MEETINGS)) || s->phrases == 0 || hits < TIERS_FROM)
		return;
	int n = model_search_tier_words(q->match, w->word, TIER_WORDS_MAX);
	if (n != s->phrases) {
		for (int i = 0; i < n; i++)
			free(w->word[i]);
		return;
	}
	w->words = n;
	double top = 0;
	for (int i = 0; i < n; i++)
		top = fmax(top, w->idf[i] = rank_idf(s, i));
	for (int i = 0; i < n; i++)
		if ((w->read[i] = w->idf[i] * RANK_IMPACT_MAX >=
		                  0.01 * top * rank_tier_floor(RANK_TIERS - 1)))
			w->counts.words++;
	w->limit = limit;
	/* Each word read, when there are several or it is a phrase of several
	 * tokens, is to fill a page from its tiers, or every match is ranked
	 * (tier_word_choose); a single word is counted below, tier by tier. */
	for (int i = 0; i < n; i++)
		if (w->read[i] && (w->counts.words > 1 || strchr(w->word[i], ' ')) &&
		    !tier_word_choose(q->conn, &w->word[i], limit + 1))
			return;
	int64_t want = (int64_t)(limit + 1) << 2 * (w->counts.words > 2 ? 2 : w->counts.words - 1);
	/* Not even the whole tiers would fill a page: rank every match. */
	if (tier_count(q->conn, w->word, w->read, w->words, &w->counts, want) != STORE_OK ||
	    w->counts.upto[w->counts.counted - 1] < limit + 1)
		return;
	while (w->tier < w->counts.counted - 1 && w->counts.upto[w->tier] < want)
		w->tier++;
	w->match = model_search_tier_filter(q->match, w->word, w->read, n, 0, w->tier);
}

static void tier_walk_end(struct tier_walk *w)
{
	for (int i = 0; i < w->words; i++)
		free(w->word[i]);
	free(w->match);
	free(w->kept);
}

/* Whether hit a comes before b in a search's order (ORDER BY score, kind,
 * id). */
static bool hit_before(const struct search_hit *a, const struct search_hit *b)
{
	if (a->score != b->score)
		return a->score < b->score;
	return a->kind != b->kind ? a->kind < b->kind : a->id < b->id;
}

/* Folds the rows kept from the tiers read before into the *n rows just
 * read (of the tiers after them, and of the other kinds again): the best
 * cap of both, in order, each once. A meeting with one word in a tier read
 * before and another in a tier read now comes in both, and a participant
 * or principle in every pass, each time with the same score to the bit
 * (readout_rank adds up the query's own phrases alone, in their order),
 * so the two copies are neighbours here. */
static void tier_merge(const struct tier_walk *w, struct search_hit *h, size_t *n, size_t cap)
{
	if (!w->kept_n)
		return;
	struct search_hit *m = xmalloc((w->kept_n + *n) * sizeof *m);
	size_t a = 0, b = 0, k = 0;
	while (k < cap && (a < w->kept_n || b < *n)) {
		const struct search_hit *next =
		    b == *n || (a < w->kept_n && hit_before(&w->kept[a], &h[b])) ? &w->kept[a++]
		                                                                 : &h[b++];
		if (k == 0 || m[k - 1].kind != next->kind || m[k - 1].id != next->id)
			m[k++] = *next;
	}
	memcpy(h, m, k * sizeof *h);
	*n = k;
	free(m);
}

/* Whether a row of this score outscores every meeting outside tiers 0 to
 * t: each read phrase's impact is below the tier's floor there, a phrase's
 * impact being at most its word's; each other's below RANK_IMPACT_MAX. */
static bool outscores(const struct tier_walk *w, int t, double score)
{
	double bound = 0;
	for (int i = 0; i < w->words; i++)
		bound += w->idf[i] * (w->read[i] ? rank_tier_floor(t) : RANK_IMPACT_MAX);
	return -score >= bound * (1 + 1e-9);
}

/* Whether the page read from tiers 0 to w->tier (the rows just read, with
 * those kept from the tiers before) is the page: it is full, and its last
 * row outscores every meeting outside those tiers. If not, the best rows
 * are kept and the tiers after are read: as many more meetings as the rows
 * read fell short of a page (limit + 1 rows), or four times as many when
 * the page was full but could be outscored, or fewer, up to the first tier
 * whose meetings its last row outscores already; past the last, every
 * match is ranked. */
static bool tier_settled(void *items, size_t *n, size_t cap, const void *ctx)
{
	const struct search_ctx *q = ctx;
	struct tier_walk *w = q->tiers;
	struct search_hit *h = items;
	tier_merge(w, h, n, cap);
	if (!w->match)
		return true;
	bool more = *n == cap;
	size_t page = more ? *n - 1 : *n;
	/* The last row of a full page: it can settle the page. */
	const struct search_hit *last = more && page ? &h[page - 1] : NULL;
	if (last && outscores(w, w->tier, last->score))
		return true;
	struct tier_counts *k = &w->counts;
	int64_t read = k->upto[w->tier];
	int64_t want = more ? 4 * read : read * (w->limit + 1) / (int64_t)(page ? page : 1);
	/* A full page whose last row even the last tier's meetings could
	 * outscore (a phrase well below its word's tiers, an AND whose rows
	 * hold a word weakly) is settled by more tiers only when they improve
	 * it that far: rarely, and then reading them on would have read most
	 * of them. Every match is ranked next instead, as when the tiers
	 * cannot be counted further. */
	if ((last && !outscores(w, RANK_TIERS - 1, last->score)) ||
	    (k->counted < RANK_TIERS && k->upto[k->counted - 1] < want &&
	     tier_count(q->conn, w->word, w->read, w->words, &w->counts, want) != STORE_OK))
		k->counted = w->tier + 1;
	/* A full page's last row stays or improves as tiers are added: at the
	 * first tier whose meetings it outscores already, the next page read
	 * is settled, though it holds fewer than `want`. */
	int from = w->tier + 1;
	do
		w->tier++;
	while (w->tier < k->counted && k->upto[w->tier] < want &&
	       !(last && outscores(w, w->tier, last->score)));
	free(w->match);
	w->match = w->tier < k->counted ? model_search_tier_filter(q->match, w->word, w->read,
	                                                           w->words, from, w->tier)
	                                : NULL;
	/* Ranking every match reads the rows kept again. */
	w->kept_n = w->match ? *n : 0;
	if (w->kept_n) {
		if (!w->kept)
			w->kept = xmalloc(cap * sizeof *w->kept);
		memcpy(w->kept, h, *n * sizeof *h);
	}
	return false;
}

/* Keeps the best rows of a phrase's meetings its count collected (after
 * the cursor's, when there is one) as the walk's rows kept, at most cap:
 * scored as readout_rank scores them, with the walk's statistics. */
static void phrase_rows_rank(struct search_ctx *q, const struct phrase_rows *p, size_t cap)
{
	struct tier_walk *w = q->tiers;
	const struct search_hit after = {
	    .kind = q->after_kind, .id = q->after ? q->after->id : 0, .score = q->after_score};
	double idf = rank_idf(&q->walk.stats[STORE_MEETINGS], 0);
	w->kept = xmalloc(cap * sizeof *w->kept);
	for (size_t i = 0; i < p->n; i++) {
		const struct phrase_row *r = &p->row[i];
		struct search_hit hit = {
		    .kind = STORE_MEETINGS,
		    .id = r->rowid,
		    .score = rank_bm25(&idf, &r->freq, 1, r->len, RANK_MEETING_LENGTH)};
		if ((q->after && !hit_before(&after, &hit)) ||
		    (w->kept_n == cap && !hit_before(&hit, &w->kept[cap - 1])))
			continue;
		size_t j = w->kept_n < cap ? w->kept_n++ : cap - 1;
		for (; j > 0 && hit_before(&hit, &w->kept[j - 1]); j--)
			w->kept[j] = w->kept[j - 1];
		w->kept[j] = hit;
	}
}

static void search_bind(struct store_stmt *st, const void *ctx, bool page)
{
	const struct search_ctx *q = ctx;
	store_bind_text(st, 1, q->match);
	if (!page)
		return;
	if (q->kinds & (1u << STORE_MEETINGS))
		store_bind_text(st, 9, q->tiers->match ? q->tiers->match : q->match);
	if (q->after) {
		store_bind_double(st, 2, q->after_score);
		store_bind_int64(st, 3, q->after_kind);
		store_bind_int64(st, 4, q->after->id);
	}
	for (int k = 0; k < STORE_KINDS; k++)
		if (q->kinds & (1u << k))
			store_rank_bind(st, fts_kinds[k].stats_param, &q->walk, k);
}

static char *search_key(const void *item, const void *ctx)
{
	const struct search_hit *h = item;
	return store_rank_key(&((const struct search_ctx *)ctx)->walk, h->kind, h->score);
}

static enum store_status search_finish(struct store_conn *c, void *items, size_t n, const void *ctx)
{
	return describe(c, ((const struct search_ctx *)ctx)->match, items, n);
}

/* The page of a search whose statistics q->walk holds (its walk of the
 * tiers in q->tiers), with the meetings of its one phrase that their
 * count collected (rows), if any. */
static enum store_status search_page(struct search_ctx *q, unsigned kinds,
                                     const struct phrase_rows *rows, int limit,
                                     struct search_hit **items, size_t *count, char **next_key,
                                     int64_t *total)
{
	struct store_conn *c = q->conn;
	q->kinds = kinds & q->walk.kinds;
	/* Ranked here, the meetings are not ranked again by the statement. */
	if (rows->whole && (q->kinds & (1u << STORE_MEETINGS))) {
		phrase_rows_rank(q, rows, (size_t)limit + 1);
		q->kinds &= ~(1u << STORE_MEETINGS);
	}
	char hits[768], sql[1024], count_sql[1024];
	size_t used = 0;
	for (int k = 0; k < STORE_KINDS; k++) {
		const struct fts_kind *f = &fts_kinds[k];
		if (q->kinds & (1u << k))
			used += (size_t)snprintf(
			    hits + used, sizeof hits - used,
			    "%sSELECT %d AS kind, rowid AS id, readout_rank(%s, "
			    "$%d, %d, %s, %s) AS score FROM %s WHERE %s MATCH $%d",
			    used ? " UNION ALL " : "", k, f->fts, f->stats_param, k, f->length,
			    f->weights, f->fts, f->fts, k == STORE_MEETINGS ? 9 : 1);
	}
	if (used)
		snprintf(sql, sizeof sql,
		         "SELECT kind, id, score FROM (%s) AS hits%s ORDER BY score, kind, id "
		         "LIMIT $5",
		         hits, q->after ? " WHERE (score, kind, id) > ($2, $3, $4)" : "");
	else /* nothing matched when the walk began, or only meetings ranked here */
		snprintf(sql, sizeof sql, "SELECT 0, 0, 0.0 WHERE $1 IS NULL LIMIT $5");
	used = 0;
	for (int k = 0; k < STORE_KINDS; k++) {
		if (kinds & (1u << k))
			used += (size_t)snprintf(hits + used, sizeof hits - used,
			                         "%sSELECT rowid FROM %s WHERE %s MATCH $1",
			                         used ? " UNION ALL " : "", fts_kinds[k].fts,
			                         fts_kinds[k].fts);
	}
	snprintf(count_sql, sizeof count_sql, "SELECT count(*) FROM (%s) AS hits", hits);
	const struct store_page_query query = {
	    .sql = sql,
	    .count_sql = count_sql,
	    .limit_param = 5,
	    .bind = search_bind,
	    .ctx = q,
	    .item_size = sizeof(struct search_hit),
	    .row_read = search_hit_row_read,
	    .item_clear = search_hit_clear_any,
	    .finish = search_finish,
	    .key_of = search_key,
	    .settled = tier_settled,
	};
	tier_walk_begin(q, limit);
	void *out = NULL;
	enum store_status r = store_page(c, &query, limit, &out, count, next_key, total);
	if (r == STORE_OK)
		*items = out;
	return r;
}

enum store_status store_sqlite_search(struct store_conn *c, const char *match, unsigned kinds,
                                      const struct cursor_pos *after, int limit,
                                      struct search_hit **items, size_t *count, char **next_key,
                                      int64_t *total)
{
	*next_key = NULL;
	struct tier_walk tiers = {0};
	struct search_ctx q = {.conn = c, .match = match, .after = after, .tiers = &tiers};
	if (after && store_rank_key_parse(after->key, &q.after_kind, &q.after_score, &q.walk))
		return STORE_BAD_CURSOR;
	/* The first page (or one after a key without statistics) freezes them,
	 * inside the page's read transaction: the meetings that a count of the
	 * query's one phrase collects are then those the page would rank. */
	bool freeze = !q.walk.kinds, own = freeze && !c->snapshot;
	enum store_status r = own ? store_begin_read(c) : STORE_OK;
	if (r != STORE_OK)
		return r;
	c->snapshot |= own;
	struct phrase_rows rows = {0};
	if (freeze) {
		struct search_kept *kept = store_sqlite_search_kept(c);
		kept->collect = kinds & (1u << STORE_MEETINGS) ? &rows : NULL;
		r = store_rank_freeze(c, match, kinds, &q.walk);
		kept->collect = NULL;
	}
	if (r == STORE_OK)
		r = search_page(&q, kinds, &rows, limit, items, count, next_key, total);
	tier_walk_end(&tiers);
	free(rows.row);
	if (own) {
		c->snapshot = false;
		if (r == STORE_OK)
			store_commit(c);
		else
			store_rollback(c);
	}
	return r;
}
