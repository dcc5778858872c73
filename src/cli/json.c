// SPDX-License-Identifier: Apache-2.0
/*
 * json.c - the --json output of every verb (ls, getmap, fsck, stats), built
 * as jansson values and printed by jansson, so it is valid JSON whatever the
 * names hold.
 *
 * famfs names are bytes, JSON strings are Unicode. A string that is valid
 * UTF-8 is written as it is (control characters escaped as \uXXXX). One
 * that is not keeps every valid sequence, gets U+FFFD for each byte that is
 * not part of one, and its exact bytes go in a sibling member named after
 * it with "_hex" appended: lower-case hex, two digits per byte. A reader
 * that needs the bytes takes KEY_hex when it is there, else KEY.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* Length of the well-formed UTF-8 sequence at @p (RFC 3629), or 0. */
static size_t utf8_len(const unsigned char *p)
{
	unsigned char c = p[0], lo, hi;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		return (p[1] & 0xc0) == 0x80 ? 2 : 0;
	if (c >= 0xe0 && c <= 0xef) {
		lo = c == 0xe0 ? 0xa0 : 0x80;	/* no overlong forms */
		hi = c == 0xed ? 0x9f : 0xbf;	/* no surrogates */
		return p[1] >= lo && p[1] <= hi && (p[2] & 0xc0) == 0x80 ? 3 : 0;
	}
	if (c >= 0xf0 && c <= 0xf4) {
		lo = c == 0xf0 ? 0x90 : 0x80;
		hi = c == 0xf4 ? 0x8f : 0xbf;	/* nothing past U+10FFFF */
		return p[1] >= lo && p[1] <= hi && (p[2] & 0xc0) == 0x80 &&
		       (p[3] & 0xc0) == 0x80 ? 4 : 0;
	}
	return 0;
}

int cli_json_set_str(json_t *obj, const char *key, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t len = strlen(s), i = 0, o = 0, n;
	char *buf, *hex, hkey[64];
	bool bad = false;
	int rc;

	buf = malloc(len * 3 + 1);
	if (!buf)
		return -ENOMEM;
	while (i < len) {
		n = utf8_len(p + i);
		if (n) {
			memcpy(buf + o, p + i, n);
			o += n;
			i += n;
			continue;
		}
		memcpy(buf + o, "\xef\xbf\xbd", 3);	/* U+FFFD */
		o += 3;
		i++;
		bad = true;
	}
	buf[o] = '\0';
	rc = json_object_set_new(obj, key, json_string(buf)) ? -ENOMEM : 0;
	free(buf);
	if (rc || !bad)
		return rc;
	hex = malloc(len * 2 + 1);
	if (!hex)
		return -ENOMEM;
	for (i = 0; i < len; i++)
		snprintf(hex + 2 * i, 3, "%02x", p[i]);
	snprintf(hkey, sizeof(hkey), "%s_hex", key);
	rc = json_object_set_new(obj, hkey, json_string(hex)) ? -ENOMEM : 0;
	free(hex);
	return rc;
}

int cli_json_set_u64(json_t *obj, const char *key, uint64_t v)
{
	return json_object_set_new(obj, key, json_integer((json_int_t)v)) ? -ENOMEM : 0;
}

int cli_json_print(json_t *root)
{
	int rc = -ENOMEM;

	if (root) {
		rc = json_dumpf(root, stdout, JSON_INDENT(2) | JSON_REAL_PRECISION(12)) ?
			-EIO : 0;
		json_decref(root);
	}
	if (!rc && (putchar('\n') == EOF || fflush(stdout)))
		rc = -EIO;
	if (rc)
		return cli_failf("-", "JSON output: %s", rc == -ENOMEM ? "out of memory" :
				 "cannot write standard output");
	return CLI_OK;
}
