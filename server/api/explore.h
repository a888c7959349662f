/*
 * The explorer's files (web/), built into the binary by scripts/embed.py
 * --web. Each asset's name carries a hash of its content, so it never
 * changes under that name; the index (name "") is /explore/ itself.
 */
#ifndef READOUT_API_EXPLORE_H
#define READOUT_API_EXPLORE_H

#include <stdbool.h>
#include <stddef.h>

struct explore_file {
	const char *name;         /* "app.1f2e3d4c5b6a.js"; "" for index.html */
	const char *content_type; /* "text/javascript", ... */
	const char *data;         /* NUL-terminated */
	size_t len;
	const char *etag; /* quoted: a hash of data */
	bool immutable;   /* named by its hash: cacheable for good */
};

extern const struct explore_file explore_files[];
extern const size_t explore_file_count;

#endif
