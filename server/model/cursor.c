/*
 * Signed pagination cursors (see cursor.h). The raw cursor is
 *
 *     version (1 byte, 1) | id (8 bytes, big-endian) | sort key (0-512 bytes)
 *     | MAC (8 bytes, little-endian)
 *
 * where MAC = SipHash-2-4(secret, scope || 0x00 || everything before the MAC),
 * libsodium's crypto_shorthash.
 * The sort key's length is what remains between the fixed-size parts, and the
 * scope is a C string, so the MAC input is unambiguous. The text form is
 * base64url without padding; decoding accepts only the canonical text, so
 * every cursor has exactly one spelling (libsodium's URL-safe variant).
 */
#include "model/cursor.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "model/xalloc.h"

#define CURSOR_VERSION 1
#define CURSOR_ID_LEN 8
#define CURSOR_MAC_LEN 8
#define CURSOR_HEAD_LEN (1 + CURSOR_ID_LEN)
#define CURSOR_RAW_MAX (CURSOR_HEAD_LEN + CURSOR_KEY_MAX + CURSOR_MAC_LEN)

_Static_assert(CURSOR_KEY_LEN == crypto_shorthash_KEYBYTES, "a cursor key is a SipHash key");
_Static_assert(CURSOR_MAC_LEN == crypto_shorthash_BYTES, "a cursor MAC is one SipHash output");

static uint64_t load_be64(const uint8_t *p)
{
	uint64_t v = 0;
	for (int i = 0; i < 8; i++)
		v = (v << 8) | p[i];
	return v;
}

static void store_be64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (56 - 8 * i));
}

uint64_t cursor_siphash(const uint8_t key[CURSOR_KEY_LEN], const void *data, size_t len)
{
	uint8_t out[crypto_shorthash_BYTES];
	crypto_shorthash(out, data, len, key);
	uint64_t v = 0;
	for (int i = 7; i >= 0; i--)
		v = (v << 8) | out[i];
	return v;
}

/* The MAC of payload for scope (SipHash-2-4's 8 bytes, little-endian) in mac. */
static void cursor_mac(const uint8_t key[CURSOR_KEY_LEN], const char *scope, const uint8_t *payload,
                       size_t len, uint8_t mac[CURSOR_MAC_LEN])
{
	size_t slen = scope ? strlen(scope) : 0;
	uint8_t *buf = xmalloc(slen + 1 + len);
	if (slen)
		memcpy(buf, scope, slen);
	buf[slen] = 0;
	memcpy(buf + slen + 1, payload, len);
	crypto_shorthash(mac, buf, slen + 1 + len, key);
	free(buf);
}

/* Cursors */

char *cursor_encode(const uint8_t key[CURSOR_KEY_LEN], const char *scope,
                    const struct cursor_pos *pos)
{
	uint8_t raw[CURSOR_RAW_MAX];
	size_t klen = strnlen(pos->key, CURSOR_KEY_MAX);
	raw[0] = CURSOR_VERSION;
	store_be64(raw + 1, (uint64_t)pos->id);
	memcpy(raw + CURSOR_HEAD_LEN, pos->key, klen);
	size_t plen = CURSOR_HEAD_LEN + klen;
	cursor_mac(key, scope, raw, plen, raw + plen);
	size_t n = plen + CURSOR_MAC_LEN;
	size_t cap = sodium_base64_ENCODED_LEN(n, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	char *text = xmalloc(cap);
	sodium_bin2base64(text, cap, raw, n, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	return text;
}

int cursor_decode(const uint8_t key[CURSOR_KEY_LEN], const char *scope, const char *text,
                  struct cursor_pos *out)
{
	if (!text)
		return -1;
	size_t tlen = strnlen(text, CURSOR_TEXT_MAX + 1);
	if (tlen == 0 || tlen > CURSOR_TEXT_MAX)
		return -1;
	/* libsodium refuses a character outside the alphabet, padding and
	 * non-zero unused bits, so only the canonical spelling decodes; but
	 * 1.0.18 reads a byte above 0x7f as the character 0x80 below it (0xDF
	 * as '_'), so those are refused here. */
	for (size_t i = 0; i < tlen; i++)
		if ((unsigned char)text[i] > 0x7f)
			return -1;
	uint8_t raw[CURSOR_TEXT_MAX / 4 * 3 + 3];
	size_t rlen;
	if (sodium_base642bin(raw, sizeof raw, text, tlen, NULL, &rlen, NULL,
	                      sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0)
		return -1;
	if (rlen < CURSOR_HEAD_LEN + CURSOR_MAC_LEN || rlen > CURSOR_RAW_MAX ||
	    raw[0] != CURSOR_VERSION)
		return -1;
	size_t plen = rlen - CURSOR_MAC_LEN;
	uint8_t mac[CURSOR_MAC_LEN];
	cursor_mac(key, scope, raw, plen, mac);
	if (sodium_memcmp(mac, raw + plen, CURSOR_MAC_LEN) != 0)
		return -1;
	uint64_t id = load_be64(raw + 1);
	size_t klen = plen - CURSOR_HEAD_LEN;
	if (id == 0 || id > INT64_MAX || memchr(raw + CURSOR_HEAD_LEN, 0, klen))
		return -1;
	memcpy(out->key, raw + CURSOR_HEAD_LEN, klen);
	out->key[klen] = '\0';
	out->id = (int64_t)id;
	return 0;
}
