/*
 * Bearer tokens and what they may do. A token set is immutable once made
 * and reference-counted: a request takes a reference to the set in use when
 * its head arrives and drops it when it completes, so a SIGHUP that swaps
 * in a new set never frees one a request still reads (its token's name
 * above all, the request's actor). Only BLAKE2b digests of the secrets are
 * kept; a presented token is compared with every one of them in constant
 * time.
 */
#ifndef READOUT_HTTP_AUTH_H
#define READOUT_HTTP_AUTH_H

#include <stddef.h>

/* What a token may do. write and admin include read; admin does not
 * include write (a version 1 token has both). */
enum auth_scope {
	AUTH_READ = 1,  /* every read, in a private deployment */
	AUTH_WRITE = 2, /* every entity write */
	AUTH_ADMIN = 4, /* POST /v1/import */
};

/* One token as configured: borrowed strings, copied (the secret hashed) by
 * auth_set_new. */
struct auth_entry {
	const char *name;
	unsigned scopes; /* enum auth_scope bits */
	const char *secret;
};

/* One token of a set, as a request sees it. */
struct auth_token {
	const char *name; /* owned by the set */
	unsigned scopes;  /* with AUTH_READ added when write or admin is there */
};

struct auth_set;

/* A new set (one reference, the caller's) of n tokens. */
struct auth_set *auth_set_new(const struct auth_entry *entries, size_t n);

/* Takes one more reference to set (NULL ok); returns set. */
struct auth_set *auth_set_ref(struct auth_set *set);

/* Drops one reference; the last one frees the set. NULL ok. */
void auth_set_unref(struct auth_set *set);

/* The number of tokens in set (0 for NULL). */
size_t auth_set_count(const struct auth_set *set);

/* The token whose secret is the len bytes at presented, or NULL. The time
 * taken depends on len and the set's size only. Borrowed from set. */
const struct auth_token *auth_set_match(const struct auth_set *set, const char *presented,
                                        size_t len);

/* The name of a scope bit ("write"). */
const char *auth_scope_name(unsigned scope);

#endif
