/*
 * Copyright (c) 2025-2026 The popd authors
 *
 * Permission to use, copy, modify, and distribute this software for any
 * purpose with or without fee is hereby granted, provided that the above
 * copyright notice and this permission notice appear in all copies.
 *
 * THE SOFTWARE IS PROVIDED "AS IS" AND THE AUTHOR DISCLAIMS ALL WARRANTIES
 * WITH REGARD TO THIS SOFTWARE INCLUDING ALL IMPLIED WARRANTIES OF
 * MERCHANTABILITY AND FITNESS. IN NO EVENT SHALL THE AUTHOR BE LIABLE FOR
 * ANY SPECIAL, DIRECT, INDIRECT, OR CONSEQUENTIAL DAMAGES OR ANY DAMAGES
 * WHATSOEVER RESULTING FROM LOSS OF USE, DATA OR PROFITS, WHETHER IN AN
 * ACTION OF CONTRACT, NEGLIGENCE OR OTHER TORTIOUS ACTION, ARISING OUT OF
 * OR IN CONNECTION WITH THE USE OR PERFORMANCE OF THIS SOFTWARE.
 */

/*
 * fuzz_tapi -- libFuzzer target for the table API's frames and answers
 * (tablepop/tapi.c): any bytes, read as the stream a table program writes
 * and as lookup.c reads it (a buffer of TAPI_MAXLEN that always starts
 * at a frame): the first frame answers the open, the others alternate
 * credentials and userinfo lookups of "alice".  Every frame lies within
 * the input and the buffer (a frame the buffer cannot hold would stall
 * the stream), every reason is a string, a found value is what the
 * program sent (for credentials the hash alone, one authpop can check),
 * and a refused value leaves nothing of itself in the value buffer or
 * in the reason.
 *
 *	make fuzz && regress/fuzz/fuzz_tapi -max_total_time=60
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "compat.h"
#include "pwscheme.h"
#include "table.h"
#include "../../tablepop/tablepop.h"

#define KEY	"alice"
#define FILL	0xa5	/* in the value buffer before each answer */

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
check_why(const char *why, size_t len)
{
	if (memchr(why, '\0', len) == NULL || why[0] == '\0')
		abort();
}

/* A frame made of the input reads back as it was made. */
static void
check_request(const uint8_t *data, size_t size)
{
	static unsigned char	 frame[TAPI_MAXLEN];
	uint32_t		 type = 0;
	size_t			 plen = 0, n;
	char			 why[128];

	n = tapi_request(frame, sizeof(frame), TAPI_LOOKUP, data, size);
	if ((n == 0) != (size > TAPI_MAXLEN - TAPI_HDRLEN))
		abort();
	if (n == 0)
		return;
	if (tapi_frame(frame, n, &type, &plen, why, sizeof(why)) !=
	    (ssize_t)n || type != TAPI_LOOKUP || plen != size ||
	    memcmp(frame + TAPI_HDRLEN, data, size) != 0)
		abort();
}

/*
 * One answer to a lookup of KEY for service, with a value buffer of
 * vlen bytes; p holds exactly plen bytes, so that the sanitizers see a
 * read past the payload.
 */
static void
check_answer(uint32_t type, const unsigned char *p, size_t plen, int service,
    size_t vlen)
{
	static char	 value[TAPI_MAXLEN];
	const char	*sent, *secret;
	char		 why[128];
	size_t		 i;
	int32_t		 res = 0;
	int		 r;

	memset(value, FILL, sizeof(value));
	memset(why, FILL, sizeof(why));
	r = tapi_answer(type, p, plen, service, KEY, value, vlen, why,
	    sizeof(why));
	if (plen >= sizeof(res))
		memcpy(&res, p, sizeof(res));
	sent = (const char *)p + sizeof(res);

	switch (r) {
	case TAPI_NONE:
		/* 0, or credentials of the key in another case (LDAP). */
		if (type == TAPI_OK && plen == sizeof(res) && res == 0)
			break;
		if (type != TAPI_OK || res != 1 ||
		    service != TAPI_CREDENTIALS || plen <= sizeof(res) ||
		    strncasecmp(sent, KEY ":", strlen(KEY ":")) != 0 ||
		    strncmp(sent, KEY ":", strlen(KEY ":")) == 0)
			abort();
		/* Nothing of it left. */
		for (i = 0; i < plen - sizeof(res); i++)
			if (value[i] != '\0')
				abort();
		break;
	case TAPI_ERROR:
		if (type != TAPI_OK || plen != sizeof(res) || res != -1)
			abort();
		break;
	case TAPI_FOUND:
		/* One string that ends the frame. */
		if (type != TAPI_OK || res != 1 || plen <= sizeof(res) ||
		    memchr(sent, '\0', plen - sizeof(res)) != p + plen - 1 ||
		    memchr(value, '\0', vlen) == NULL)
			abort();
		if (service != TAPI_CREDENTIALS) {
			if (strcmp(value, sent) != 0)
				abort();
			break;
		}
		if (strncmp(sent, KEY ":", strlen(KEY ":")) != 0 ||
		    strcmp(value, sent + strlen(KEY ":")) != 0 ||
		    strlen(value) > COMPAT_HASH_MAX ||
		    pwscheme_allowed(value, 1 | PWA_COSTLY, NULL, NULL, 0) ==
		    -1)
			abort();
		break;
	case TAPI_INVALID:
	case TAPI_BAD:
		check_why(why, sizeof(why));
		if (r == TAPI_INVALID && (type != TAPI_OK || res != 1))
			abort();
		/* Nothing of a refused value stays in the buffer... */
		for (i = 0; i < vlen; i++)
			if ((unsigned char)value[i] != FILL && value[i] != '\0')
				abort();
		/*
		 * ... or goes into the reason ('$' is in no reason: a value
		 * with one cannot be there by chance).
		 */
		if (type == TAPI_OK && res == 1 && plen > sizeof(res) &&
		    p[plen - 1] == '\0' && (secret = strchr(sent, '$')) !=
		    NULL && strstr(why, secret) != NULL)
			abort();
		break;
	default:
		abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned char	*payload;
	uint32_t	 type;
	uint16_t	 flen = 0;
	size_t		 off, window, plen, nframe;
	ssize_t		 n;
	char		 why[128];

	check_request(data, size);
	for (off = 0, nframe = 0; off < size; off += n, nframe++) {
		/* lookup.c reads into a buffer of TAPI_MAXLEN. */
		window = size - off;
		if (window > TAPI_MAXLEN)
			window = TAPI_MAXLEN;
		type = 0xffffffff;
		plen = (size_t)-1;
		memset(why, FILL, sizeof(why));
		n = tapi_frame(data + off, window, &type, &plen, why,
		    sizeof(why));
		if (n == -1) {
			check_why(why, sizeof(why));
			break;
		}
		if (n == 0) {
			/*
			 * A full buffer without a frame would never move,
			 * nor would one waiting for more than it holds.
			 */
			if (window >= TAPI_HDRLEN)
				memcpy(&flen, data + off + 4, sizeof(flen));
			if (window == TAPI_MAXLEN ||
			    (window >= TAPI_HDRLEN && flen > TAPI_MAXLEN))
				abort();
			break;
		}
		if (n < TAPI_HDRLEN || (size_t)n > window ||
		    plen != (size_t)n - TAPI_HDRLEN ||
		    memcmp(&type, data + off, sizeof(type)) != 0)
			abort();

		if ((payload = malloc(plen > 0 ? plen : 1)) == NULL)
			abort();
		memcpy(payload, data + off + TAPI_HDRLEN, plen);
		if (nframe == 0) {
			memset(why, FILL, sizeof(why));
			if (tapi_opened(type, plen, why, sizeof(why)) == 0) {
				if (type != TAPI_OK || plen != 0)
					abort();
			} else
				check_why(why, sizeof(why));
		} else
			/* A small buffer now and then: values too long. */
			check_answer(type, payload, plen, nframe % 2 ?
			    TAPI_CREDENTIALS : TAPI_USERINFO,
			    nframe % 4 < 2 ? TAPI_MAXLEN : 64);
		free(payload);
	}
	return 0;
}
