/* Freeing the record types. */
#include "model/entities.h"

#include <stdlib.h>
#include <string.h>

static void meta_clear(struct entity_meta *m)
{
	free(m->slug);
	free(m->body);
}

void participant_clear(struct participant *p)
{
	if (!p)
		return;
	meta_clear(&p->meta);
	free(p->name);
	free(p->aliases_json);
	free(p->title);
	free(p->organization);
	free(p->country);
	free(p->first_meeting_date);
	free(p->last_meeting_date);
	memset(p, 0, sizeof *p);
}

void principle_clear(struct principle *p)
{
	if (!p)
		return;
	meta_clear(&p->meta);
	free(p->name);
	free(p->framework);
	free(p->description);
	free(p->aliases_json);
	free(p->first_invoked_date);
	memset(p, 0, sizeof *p);
}

void meeting_clear(struct meeting *m)
{
	if (!m)
		return;
	meta_clear(&m->meta);
	free(m->title);
	free(m->location);
	free(m->city);
	free(m->country);
	free(m->summary);
	free(m->readout);
	free(m->sources_json);
	free(m->readouts_json);
	for (size_t i = 0; i < m->participant_count; i++) {
		free(m->participants[i].slug);
		free(m->participants[i].name);
		free(m->participants[i].title);
		free(m->participants[i].country);
	}
	free(m->participants);
	for (size_t i = 0; i < m->principle_count; i++) {
		free(m->principles[i].slug);
		free(m->principles[i].name);
		free(m->principles[i].framework);
		free(m->principles[i].quote);
		free(m->principles[i].invoked_by_slug);
	}
	free(m->principles);
	for (size_t i = 0; i < m->related_count; i++) {
		free(m->related[i].slug);
		free(m->related[i].title);
	}
	free(m->related);
	memset(m, 0, sizeof *m);
}

void timeline_entry_clear(struct timeline_entry *t)
{
	if (!t)
		return;
	free(t->meeting_slug);
	free(t->meeting_title);
	free(t->invoked_by_slug);
	free(t->invoked_by_name);
	free(t->quote);
	memset(t, 0, sizeof *t);
}

void search_hit_clear(struct search_hit *h)
{
	if (!h)
		return;
	free(h->slug);
	free(h->title);
	free(h->snippet);
	memset(h, 0, sizeof *h);
}

const char *const change_action_names[3] = {"create", "update", "delete"};

void change_clear(struct change *c)
{
	free(c->slug);
	free(c->actor);
	memset(c, 0, sizeof *c);
}

void mention_candidate_clear(struct mention_candidate *c)
{
	if (!c)
		return;
	free(c->slug);
	free(c->name);
	free(c->aliases_json);
	memset(c, 0, sizeof *c);
}
