/*
 * Token sets: see auth.h.
 */
#include "http/auth.h"

#include <sodium.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "model/xalloc.h"

struct auth_slot {
	struct auth_token token;
	unsigned char digest[crypto_generichash_BYTES];
};

struct auth_set {
	atomic_long refs;
	size_t count;
	struct auth_slot slots[]; /* count of them */
};

struct auth_set *auth_set_new(const struct auth_entry *entries, size_t n)
{
	struct auth_set *set = xcalloc(1, sizeof *set + n * sizeof set->slots[0]);
	atomic_init(&set->refs, 1);
	set->count = n;
	for (size_t i = 0; i < n; i++) {
		struct auth_slot *slot = &set->slots[i];
		slot->token.name = xstrdup(entries[i].name);
		slot->token.scopes = entries[i].scopes;
		if (slot->token.scopes & (AUTH_WRITE | AUTH_ADMIN))
			slot->token.scopes |= AUTH_READ;
		crypto_generichash(slot->digest, sizeof slot->digest,
		                   (const unsigned char *)entries[i].secret,
		                   strlen(entries[i].secret), NULL, 0);
	}
	return set;
}

struct auth_set *auth_set_ref(struct auth_set *set)
{
	if (set)
		atomic_fetch_add(&set->refs, 1);
	return set;
}

void auth_set_unref(struct auth_set *set)
{
	if (!set || atomic_fetch_sub(&set->refs, 1) != 1)
		return;
	for (size_t i = 0; i < set->count; i++)
		free((char *)set->slots[i].token.name);
	sodium_memzero(set, sizeof *set + set->count * sizeof set->slots[0]);
	free(set);
}

size_t auth_set_count(const struct auth_set *set)
{
	return set ? set->count : 0;
}

/* Every digest is compared, whatever matched before: the time depends on
 * the lengths and the count only, never on where a difference lies. */
const struct auth_token *auth_set_match(const struct auth_set *set, const char *presented,
                                        size_t len)
{
	if (!set)
		return NULL;
	unsigned char got[crypto_generichash_BYTES];
	crypto_generichash(got, sizeof got, (const unsigned char *)presented, len, NULL, 0);
	const struct auth_token *found = NULL;
	for (size_t i = 0; i < set->count; i++) {
		bool same = sodium_memcmp(got, set->slots[i].digest, sizeof got) == 0;
		if (same)
			found = &set->slots[i].token;
	}
	return found;
}

const char *auth_scope_name(unsigned scope)
{
	return scope & AUTH_ADMIN ? "admin" : scope & AUTH_WRITE ? "write" : "read";
}
