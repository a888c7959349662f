/*
 * Opaque, signed pagination cursors. A cursor carries the last row's sort key
 * and id, bound to a scope (the list and its sort and filters) and signed
 * with a secret key, so a cursor the server did not issue, or one altered in
 * any way, or one used on another list, is rejected.
 */
#ifndef READOUT_MODEL_CURSOR_H
#define READOUT_MODEL_CURSOR_H

#include <stddef.h>
#include <stdint.h>

#define CURSOR_KEY_LEN 16
#define CURSOR_KEY_MAX \
	1024 /* longest sort key a cursor may carry (200 characters of 4 bytes fit) */
#define CURSOR_TEXT_MAX 2048 /* longest cursor text accepted */

/* The position after which the next page starts. */
struct cursor_pos {
	char key[CURSOR_KEY_MAX + 1]; /* the sort key as text ("" for none) */
	int64_t id;
};

/* SipHash-2-4 of data with a 16-byte key (libsodium's crypto_shorthash), as
 * the little-endian number of its 8 output bytes. */
uint64_t cursor_siphash(const uint8_t key[CURSOR_KEY_LEN], const void *data, size_t len);

/* Encodes pos for scope as URL-safe base64 (no padding): the payload then a
 * 64-bit MAC over scope and payload. Returns a new string (caller frees). */
char *cursor_encode(const uint8_t key[CURSOR_KEY_LEN], const char *scope,
                    const struct cursor_pos *pos);

/* Decodes and verifies text. Returns 0 and fills out, or -1 when the text is
 * not a cursor this key issued for this scope. */
int cursor_decode(const uint8_t key[CURSOR_KEY_LEN], const char *scope, const char *text,
                  struct cursor_pos *out);

#endif
