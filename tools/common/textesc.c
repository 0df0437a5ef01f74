/* Names escaped for terminals (see textesc.h). */
#include "textesc.h"

#include <stdlib.h>
#include <string.h>

#include "jsonstr.h"

/* The escape of the byte or sequence s starts with, into out (at least 7
 * bytes); returns the bytes of s consumed and sets *olen. */
static size_t esc_one(const char *s, char *out, size_t *olen)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char c = (unsigned char)*s;
	size_t n;

	if (c == '\\' || c == '\n' || c == '\r' || c == '\t') {
		out[0] = '\\';
		out[1] = c == '\\' ? '\\' : c == '\n' ? 'n' : c == '\r' ? 'r' : 't';
		*olen = 2;
		return 1;
	}
	if (c >= 0x20 && c < 0x7f) {
		out[0] = (char)c;
		*olen = 1;
		return 1;
	}
	n = c < 0x80 ? 0 : tj_utf8_seq(s);
	if (n == 2 && c == 0xc2 && (unsigned char)s[1] <= 0x9f) {
		/* U+0080-U+009F: C1 controls (0x9b is a CSI). */
		memcpy(out, "\\u00", 4);
		out[4] = hex[(unsigned char)s[1] >> 4];
		out[5] = hex[(unsigned char)s[1] & 15];
		*olen = 6;
		return 2;
	}
	if (n) {
		memcpy(out, s, n);
		*olen = n;
		return n;
	}
	out[0] = '\\';
	out[1] = 'x';
	out[2] = hex[c >> 4];
	out[3] = hex[c & 15];
	*olen = 4;
	return 1;
}

void tx_fputs(FILE *f, const char *s)
{
	char e[8];
	size_t el;

	while (s && *s) {
		s += esc_one(s, e, &el);
		fwrite(e, 1, el, f);
	}
}

size_t tx_escape(char *dst, size_t len, const char *s)
{
	size_t o = 0, el;
	char e[8];

	while (s && *s) {
		size_t used = esc_one(s, e, &el);

		/* Room for this escape, and "..." if more follows. */
		if (o + el + (s[used] ? 3 : 0) >= len) {
			if (o + 3 < len) {
				memcpy(dst + o, "...", 3);
				o += 3;
			}
			break;
		}
		memcpy(dst + o, e, el);
		o += el;
		s += used;
	}
	dst[o] = '\0';
	return o;
}

static struct {
	char *buf;
	size_t cap;
} ring[TX_RING];
static unsigned ring_next;

const char *tx_esc(const char *s)
{
	unsigned i = ring_next++ % TX_RING;
	/* An escape is at most 4 bytes per byte of s (\xHH). */
	size_t need = (s ? strlen(s) : 0) * 4 + 1;

	if (need > ring[i].cap) {
		char *nb = realloc(ring[i].buf, need);

		if (!nb)
			return "(name too long)";
		ring[i].buf = nb;
		ring[i].cap = need;
	}
	tx_escape(ring[i].buf, ring[i].cap, s);
	return ring[i].buf;
}

