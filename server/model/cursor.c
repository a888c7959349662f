/*
 * Signed pagination cursors (see cursor.h). The raw cursor is
 *
 *     version (1 byte, 1) | id (8 bytes, big-endian) | sort key (0-512 bytes)
 *     | MAC (8 bytes, little-endian)
 *
 * where MAC = SipHash-2-4(secret, scope || 0x00 || everything before the MAC).
 * The sort key's length is what remains between the fixed-size parts, and the
 * scope is a C string, so the MAC input is unambiguous. The text form is
 * base64url without padding; decoding accepts only the canonical text, so
 * every cursor has exactly one spelling.
 */
#include "model/cursor.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "model/xalloc.h"

#define CURSOR_VERSION 1
#define CURSOR_ID_LEN 8
#define CURSOR_MAC_LEN 8
#define CURSOR_HEAD_LEN (1 + CURSOR_ID_LEN)
#define CURSOR_RAW_MAX (CURSOR_HEAD_LEN + CURSOR_KEY_MAX + CURSOR_MAC_LEN)

/* SipHash-2-4 (Aumasson and Bernstein, 2012), from the reference algorithm. */

static uint64_t rotl64(uint64_t x, int b)
{
	return (x << b) | (x >> (64 - b));
}

static uint64_t load_le64(const uint8_t *p)
{
	uint64_t v = 0;
	for (int i = 7; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

static void store_le64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

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

static void sip_round(uint64_t v[4])
{
	v[0] += v[1];
	v[1] = rotl64(v[1], 13);
	v[1] ^= v[0];
	v[0] = rotl64(v[0], 32);
	v[2] += v[3];
	v[3] = rotl64(v[3], 16);
	v[3] ^= v[2];
	v[0] += v[3];
	v[3] = rotl64(v[3], 21);
	v[3] ^= v[0];
	v[2] += v[1];
	v[1] = rotl64(v[1], 17);
	v[1] ^= v[2];
	v[2] = rotl64(v[2], 32);
}

/* Mixes one 64-bit message word into the state with two compression rounds. */
static void sip_compress(uint64_t v[4], uint64_t m)
{
	v[3] ^= m;
	sip_round(v);
	sip_round(v);
	v[0] ^= m;
}

uint64_t cursor_siphash(const uint8_t key[CURSOR_KEY_LEN], const void *data, size_t len)
{
	const uint8_t *in = data;
	uint64_t k0 = load_le64(key);
	uint64_t k1 = load_le64(key + 8);
	uint64_t v[4] = {
	    k0 ^ UINT64_C(0x736f6d6570736575),
	    k1 ^ UINT64_C(0x646f72616e646f6d),
	    k0 ^ UINT64_C(0x6c7967656e657261),
	    k1 ^ UINT64_C(0x7465646279746573),
	};
	size_t full = len - len % 8;
	for (size_t i = 0; i < full; i += 8)
		sip_compress(v, load_le64(in + i));
	uint64_t last = (uint64_t)len << 56;
	for (size_t i = 0; i < len % 8; i++)
		last |= (uint64_t)in[full + i] << (8 * i);
	sip_compress(v, last);
	v[2] ^= 0xff;
	for (int i = 0; i < 4; i++)
		sip_round(v);
	return v[0] ^ v[1] ^ v[2] ^ v[3];
}

/* The MAC of payload for scope, as 8 little-endian bytes in mac. */
static void cursor_mac(const uint8_t key[CURSOR_KEY_LEN], const char *scope, const uint8_t *payload,
                       size_t len, uint8_t mac[CURSOR_MAC_LEN])
{
	size_t slen = scope ? strlen(scope) : 0;
	uint8_t *buf = xmalloc(slen + 1 + len);
	if (slen)
		memcpy(buf, scope, slen);
	buf[slen] = 0;
	memcpy(buf + slen + 1, payload, len);
	store_le64(mac, cursor_siphash(key, buf, slen + 1 + len));
	free(buf);
}

/* Compares n bytes in time independent of where they differ. */
static bool equal_ct(const uint8_t *a, const uint8_t *b, size_t n)
{
	uint8_t diff = 0;
	for (size_t i = 0; i < n; i++)
		diff |= a[i] ^ b[i];
	return diff == 0;
}

/* base64url without padding (RFC 4648 section 5). */

static const char b64url_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/* Returns new text for the n bytes at in. */
static char *b64url_encode(const uint8_t *in, size_t n)
{
	char *out = xmalloc((n + 2) / 3 * 4 + 1);
	size_t o = 0;
	uint32_t acc = 0;
	int bits = 0;
	for (size_t i = 0; i < n; i++) {
		acc = (acc << 8) | in[i];
		bits += 8;
		while (bits >= 6) {
			bits -= 6;
			out[o++] = b64url_alphabet[(acc >> bits) & 0x3F];
		}
		acc &= (1u << bits) - 1;
	}
	if (bits > 0)
		out[o++] = b64url_alphabet[(acc << (6 - bits)) & 0x3F];
	out[o] = '\0';
	return out;
}

static int b64url_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '-')
		return 62;
	if (c == '_')
		return 63;
	return -1;
}

/* Decodes the n characters at s into out (room for cap bytes), setting
 * *len. Fails on a character outside the alphabet, padding, an impossible
 * length, a result longer than cap, or non-zero unused trailing bits (so
 * only the canonical spelling decodes). Returns 0 or -1. */
static int b64url_decode(const char *s, size_t n, uint8_t *out, size_t cap, size_t *len /* OUT */)
{
	if (n % 4 == 1)
		return -1;
	size_t need = n / 4 * 3 + (n % 4 ? n % 4 - 1 : 0);
	if (need > cap)
		return -1;
	size_t o = 0;
	uint32_t acc = 0;
	int bits = 0;
	for (size_t i = 0; i < n; i++) {
		int v = b64url_value((unsigned char)s[i]);
		if (v < 0)
			return -1;
		acc = (acc << 6) | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (uint8_t)(acc >> bits);
			acc &= (1u << bits) - 1;
		}
	}
	if (acc != 0)
		return -1;
	*len = o;
	return 0;
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
	return b64url_encode(raw, plen + CURSOR_MAC_LEN);
}

int cursor_decode(const uint8_t key[CURSOR_KEY_LEN], const char *scope, const char *text,
                  struct cursor_pos *out)
{
	if (!text)
		return -1;
	size_t tlen = strnlen(text, CURSOR_TEXT_MAX + 1);
	if (tlen == 0 || tlen > CURSOR_TEXT_MAX)
		return -1;
	uint8_t raw[CURSOR_TEXT_MAX / 4 * 3 + 3];
	size_t rlen;
	if (b64url_decode(text, tlen, raw, sizeof raw, &rlen) != 0)
		return -1;
	if (rlen < CURSOR_HEAD_LEN + CURSOR_MAC_LEN || rlen > CURSOR_RAW_MAX ||
	    raw[0] != CURSOR_VERSION)
		return -1;
	size_t plen = rlen - CURSOR_MAC_LEN;
	uint8_t mac[CURSOR_MAC_LEN];
	cursor_mac(key, scope, raw, plen, mac);
	if (!equal_ct(mac, raw + plen, CURSOR_MAC_LEN))
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
