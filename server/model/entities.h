/*
 * The records as plain C types, shared by store/ (which fills them) and api/
 * (which encodes them). Strings are owned by the struct and freed by its
 * *_clear function; a NULL string is an unset optional field. Lists of
 * strings or sources travel as the JSON array text they are stored as.
 */
#ifndef READOUT_MODEL_ENTITIES_H
#define READOUT_MODEL_ENTITIES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model/model.h"

/* What every entity carries. */
struct entity_meta {
	int64_t id;
	char *slug;
	char created_at[MODEL_TIMESTAMP_LEN + 1];
	char updated_at[MODEL_TIMESTAMP_LEN + 1];
	int64_t version;
	/* The representation the store rendered for the version a write of this
	 * record recorded (what the write answers), or NULL. While a list of
	 * stored summaries is read (meeting_filter.summaries), body is NULL
	 * and the item's summary, when it has one, is the body_len bytes at
	 * body_at in the list's text. */
	char *body;
	size_t body_len, body_at;
};

struct participant {
	struct entity_meta meta;
	char *name;
	char *aliases_json; /* a JSON array of strings, never NULL once read */
	char *title, *organization, *country;
	int64_t meeting_count;
	char *first_meeting_date, *last_meeting_date;
};

struct principle {
	struct entity_meta meta;
	char *name, *framework, *description;
	char *aliases_json; /* a JSON array of strings, never NULL once read */
	int64_t invocation_count;
	char *first_invoked_date;
};

/* A participant as a meeting lists it. */
struct attendance {
	int64_t participant_id;
	char *slug, *name, *title, *country;
	int role;             /* enum model_role */
	struct model_ref ref; /* on write: whom the client named */
};

/* A principle as a meeting lists it. */
struct invocation {
	int64_t principle_id;
	char *slug, *name, *framework;
	int stance;         /* enum model_stance */
	int64_t invoked_by; /* participant id, 0 for none */
	char *quote;
	struct model_ref ref;         /* on write: the principle */
	struct model_ref invoked_ref; /* on write: the participant (id 0 and slug NULL: none) */
	char *invoked_by_slug;        /* on read for export */
};

/* Another meeting this one refers to or follows up. */
struct link {
	int64_t meeting_id;
	char *slug, *title;
	char date[MODEL_DATE_LEN + 1];
	int relation;         /* enum model_relation */
	struct model_ref ref; /* on write */
};

struct meeting {
	struct entity_meta meta;
	char *title;
	char date[MODEL_DATE_LEN + 1];
	int kind; /* enum model_kind */
	char *location, *city, *country, *summary, *readout;
	char *sources_json; /* a JSON array of source objects, never NULL once read */
	/* The other official texts of the meeting: a JSON array of readout
	 * objects (language, publisher, url, published, text), never NULL once
	 * read. */
	char *readouts_json;
	struct attendance *participants;
	size_t participant_count;
	struct invocation *principles;
	size_t principle_count;
	struct link *related;
	size_t related_count;
	double rank; /* in a ranked search list: the bm25 score, lower is better */
};

/* One hit of a search across meetings, participants and principles. */
struct search_hit {
	int kind; /* enum store_kind order: 0 meeting, 1 participant, 2 principle */
	int64_t id;
	char *slug, *title;            /* title: the meeting title or the entity name */
	char date[MODEL_DATE_LEN + 1]; /* meetings; "" for the others */
	char *snippet;                 /* text with each match between \x01 and \x02 */
	double score;                  /* bm25: lower is better */
};

/* A participant or principle as the mentions of a meeting's texts are
 * looked for: who it is and every name it goes by. */
struct mention_candidate {
	int kind; /* enum store_kind: 1 participant, 2 principle */
	int64_t id;
	char *slug, *name;
	char *aliases_json; /* a JSON array of strings */
};

void mention_candidate_clear(struct mention_candidate *c);
void search_hit_clear(struct search_hit *h);
void participant_clear(struct participant *p);
void principle_clear(struct principle *p);
void meeting_clear(struct meeting *m);

/* One invocation of a principle as the principle's timeline lists it: the
 * meeting, the stance, who invoked it (if anyone) and the quote. */
struct timeline_entry {
	int64_t meeting_id;
	char *meeting_slug, *meeting_title;
	char meeting_date[MODEL_DATE_LEN + 1];
	int stance;                              /* enum model_stance */
	int64_t invoked_by;                      /* participant id, 0 for none */
	char *invoked_by_slug, *invoked_by_name; /* NULL for none */
	char *quote;
};

void timeline_entry_clear(struct timeline_entry *t);

/* What a change did to its record (API.md section 11). */
enum change_action { CHANGE_CREATE, CHANGE_UPDATE, CHANGE_DELETE };
extern const char *const change_action_names[3]; /* "create", "update", "delete" */

/* One change of the feed, which is also one version of its record. */
struct change {
	int64_t seq;
	char at[MODEL_TIMESTAMP_LEN + 1];
	enum change_action action;
	int kind; /* enum store_kind */
	int64_t id;
	char *slug;
	int64_t version;
	char *actor; /* the token's name; NULL for a write made without one */
};

void change_clear(struct change *c);

#endif
