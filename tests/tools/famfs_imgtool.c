// SPDX-License-Identifier: Apache-2.0
/*
 * famfs_imgtool.c - precise corruption of a famfs image file, for the
 * corrupt-image and torn-append tests. It reads and writes the image with
 * pread/pwrite at the on-media offsets of named fields (the LP64 layout in
 * omf.h; the offsets are repeated here on purpose, as a second, independent
 * statement of the format).
 *
 *   famfs_imgtool IMG get FIELD            print a field (hex)
 *   famfs_imgtool IMG set FIELD VALUE [-c] store a value (-c: fix the CRC
 *                                           of the struct holding FIELD)
 *   famfs_imgtool IMG flip FIELD [BIT] [-c] flip one bit (default 0)
 *   famfs_imgtool IMG fixcrc sb|log|eN     recompute a stored CRC
 *   famfs_imgtool IMG crcok sb|log|eN      print "ok" if the stored CRC
 *                                           matches the bytes, else "bad"
 *   famfs_imgtool IMG copy-entry N M       copy slot N to slot M, seqnum M, CRC fixed
 *   famfs_imgtool IMG fields               list the field names
 *
 * FIELD: sb.magic sb.version sb.log_offset sb.log_len sb.alloc_unit
 *   sb.omf_major sb.omf_minor sb.uuid sb.dev_uuid sb.system_uuid sb.crc
 *   sb.flags sb.dev_size sb.dd_uuid sb.daxdev
 *   log.magic log.len log.last_index log.crc log.next_seqnum log.next_index
 *   eN.seqnum eN.type eN.time eN.crc eN.size eN.flags eN.uid eN.gid eN.mode eN.path
 *   eN.ext_type eN.nextents eN.seK.devindex eN.seK.offset eN.seK.len
 *   eN.nstrips eN.chunk eN.stripK.devindex eN.stripK.offset eN.stripK.len
 *   eN.mkdir.uid eN.mkdir.gid eN.mkdir.mode eN.mkdir.path
 *   eN.horizon (a FILE's reclaim horizon, rm) eN.del.target eN.del.type eN.del.path
 * A DELETE entry's CRC field holds 0x6d72 ("rm") above the crc32 (rm);
 * fixcrc and crcok follow that rule for entries of type 2.
 * set on a path field stores a string (NUL-padded to 80 bytes).
 * Exit: 0 done, 1 error, 2 usage.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "famfs/le.h"
#include "famfs/omf.h"

#define LOG_BASE	FAMFS_LOG_OFFSET
#define ENTRY_BASE(n)	(LOG_BASE + FAMFS_LOG_HDR_SIZE + (uint64_t)(n) * FAMFS_LOG_ENTRY_SIZE)

struct field {
	const char *name;
	uint32_t off;
	uint32_t size;		/* 1..8: an integer; else bytes */
	int is_str;
};

static const struct field sb_fields[] = {
	{ "magic", 0, 8, 0 }, { "version", 8, 8, 0 }, { "log_offset", 16, 8, 0 }, { "log_len", 24, 8, 0 },
	{ "alloc_unit", 32, 8, 0 }, { "omf_major", 40, 4, 0 }, { "omf_minor", 44, 4, 0 },
	{ "uuid", 48, 16, 0 }, { "dev_uuid", 64, 16, 0 }, { "system_uuid", 80, 16, 0 }, { "crc", 96, 8, 0 },
	{ "flags", 104, 4, 0 }, { "dev_size", 112, 8, 0 }, { "dd_uuid", 120, 16, 0 },
	{ "daxdev", 136, 64, 1 },
};

static const struct field log_fields[] = {
	{ "magic", 0, 8, 0 }, { "len", 8, 8, 0 }, { "last_index", 16, 8, 0 }, { "crc", 24, 8, 0 },
	{ "next_seqnum", 32, 8, 0 }, { "next_index", 40, 8, 0 },
};

static const struct field entry_fields[] = {
	{ "seqnum", 0, 8, 0 }, { "type", 8, 4, 0 }, { "time", 12, 4, 0 }, { "crc", 536, 8, 0 },
	{ "size", 16, 8, 0 },
	{ "flags", 24, 4, 0 }, { "uid", 28, 4, 0 }, { "gid", 32, 4, 0 }, { "mode", 36, 4, 0 },
	{ "path", 40, 80, 1 }, { "ext_type", 120, 4, 0 }, { "nextents", 128, 4, 0 },
	{ "nstrips", 136, 8, 0 }, { "chunk", 144, 8, 0 },
	{ "mkdir.uid", 16, 4, 0 }, { "mkdir.gid", 20, 4, 0 }, { "mkdir.mode", 24, 4, 0 },
	{ "mkdir.path", 28, 80, 1 },
	{ "horizon", 132, 4, 0 },
	{ "del.target", 16, 8, 0 }, { "del.type", 24, 4, 0 }, { "del.path", 32, 80, 1 },
};

static const char *const ext_fields[] = { "devindex", "offset", "len" };

static int img_fd = -1;

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

static void die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "famfs_imgtool: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static void rd(uint64_t off, void *buf, size_t len)
{
	if (pread(img_fd, buf, len, (off_t)off) != (ssize_t)len)
		die("read failed: %s", strerror(errno));
}

static void wr(uint64_t off, const void *buf, size_t len)
{
	if (pwrite(img_fd, buf, len, (off_t)off) != (ssize_t)len)
		die("write failed: %s", strerror(errno));
}

static uint64_t rd_le(uint64_t off, uint32_t size)
{
	uint8_t b[8] = { 0 };
	uint64_t v = 0;

	rd(off, b, size);
	for (int i = (int)size - 1; i >= 0; i--)
		v = (v << 8) | b[i];
	return v;
}

static void wr_le(uint64_t off, uint32_t size, uint64_t v)
{
	uint8_t b[8];

	for (uint32_t i = 0; i < size; i++)
		b[i] = (uint8_t)(v >> (8 * i));
	wr(off, b, size);
}

/* A resolved field: absolute offset, size, and the struct it lives in. */
struct loc {
	uint64_t off;
	uint32_t size;
	int is_str;
	char owner[32];		/* "sb", "log" or "eN" */
};

static int lookup(const struct field *t, size_t n, const char *name, uint64_t base,
		  struct loc *l)
{
	for (size_t i = 0; i < n; i++) {
		if (!strcmp(t[i].name, name)) {
			l->off = base + t[i].off;
			l->size = t[i].size;
			l->is_str = t[i].is_str;
			return 0;
		}
	}
	return -1;
}

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

static int resolve(const char *name, struct loc *l)
{
	unsigned long long n, k;
	char rest[64];
	int used = 0;

	memset(l, 0, sizeof(*l));
	if (!strncmp(name, "sb.", 3)) {
		snprintf(l->owner, sizeof(l->owner), "sb");
		return lookup(sb_fields, NELEM(sb_fields), name + 3, 0, l);
	}
	if (!strncmp(name, "log.", 4)) {
		snprintf(l->owner, sizeof(l->owner), "log");
		return lookup(log_fields, NELEM(log_fields), name + 4, LOG_BASE, l);
	}
	if (sscanf(name, "e%llu.%n", &n, &used) != 1 || !used)
		return -1;
	snprintf(l->owner, sizeof(l->owner), "e%llu", n);
	name += used;
	if (sscanf(name, "se%llu.%63s", &k, rest) == 2 && k < FAMFS_OMF_MAX_SIMPLE_EXTENTS) {
		for (size_t i = 0; i < NELEM(ext_fields); i++)
			if (!strcmp(rest, ext_fields[i])) {
				l->off = ENTRY_BASE(n) + 136 + k * 24 + i * 8;
				l->size = 8;
				return 0;
			}
		return -1;
	}
	if (sscanf(name, "strip%llu.%63s", &k, rest) == 2 && k < FAMFS_OMF_MAX_STRIPS) {
		for (size_t i = 0; i < NELEM(ext_fields); i++)
			if (!strcmp(rest, ext_fields[i])) {
				l->off = ENTRY_BASE(n) + 152 + k * 24 + i * 8;
				l->size = 8;
				return 0;
			}
		return -1;
	}
	return lookup(entry_fields, NELEM(entry_fields), name, ENTRY_BASE(n), l);
}

/*
 * Where the CRC of @owner ("sb", "log" or "eN") lives: the covered bytes
 * start at *@base and the 8-byte CRC field follows them at *@base + *@len.
 */
static void crc_span(const char *owner, uint64_t *base, uint32_t *len)
{
	unsigned long long n;

	if (!strcmp(owner, "sb")) {
		*base = 0;
		*len = 96;
	} else if (!strcmp(owner, "log")) {
		*base = LOG_BASE;
		*len = 24;
	} else if (sscanf(owner, "e%llu", &n) == 1) {
		*base = ENTRY_BASE(n);
		*len = 536;
	} else {
		die("unknown struct '%s' (sb, log or eN)", owner);
	}
}

/* The CRC of @owner computed over its bytes as they are now. */
static uint64_t calc_crc(const char *owner, uint64_t *crc_off)
{
	uint8_t buf[FAMFS_LOG_ENTRY_SIZE];
	uint64_t base;
	uint32_t len;

	crc_span(owner, &base, &len);
	rd(base, buf, len);
	*crc_off = base + len;
	if (owner[0] == 'e' && famfs_get_le32(buf + 8) == 2)
		return famfs_crc32(buf, len) | 0x6d72ULL << 32;	/* DELETE */
	return famfs_crc32(buf, len);
}

/* Recompute the CRC of @owner ("sb", "log" or "eN"). */
static void fixcrc(const char *owner)
{
	uint64_t off, crc = calc_crc(owner, &off);

	wr_le(off, 8, crc);
}

static int usage(void)
{
	fprintf(stderr, "usage: famfs_imgtool IMG get|set|flip|fixcrc|crcok|copy-entry|fields ...\n"
		"  get FIELD | set FIELD VALUE [-c] | flip FIELD [BIT] [-c] | fixcrc sb|log|eN\n"
		"  crcok sb|log|eN | copy-entry N M | fields\n");
	return 2;
}

static void list_fields(void)
{
	size_t i;

	for (i = 0; i < NELEM(sb_fields); i++)
		printf("sb.%s\n", sb_fields[i].name);
	for (i = 0; i < NELEM(log_fields); i++)
		printf("log.%s\n", log_fields[i].name);
	for (i = 0; i < NELEM(entry_fields); i++)
		printf("eN.%s\n", entry_fields[i].name);
	printf("eN.seK.{devindex,offset,len}\neN.stripK.{devindex,offset,len}\n");
}

int main(int argc, char **argv)
{
	const char *cmd;
	struct loc l;
	int fixc = 0;

	if (argc < 3)
		return usage();
	if (!strcmp(argv[argc - 1], "-c")) {
		fixc = 1;
		argc--;
	}
	cmd = argv[2];
	if (!strcmp(cmd, "fields")) {
		list_fields();
		return 0;
	}
	img_fd = open(argv[1], !strcmp(cmd, "get") || !strcmp(cmd, "crcok") ? O_RDONLY : O_RDWR);
	if (img_fd < 0)
		die("cannot open image: %s", strerror(errno));
	if (!strcmp(cmd, "fixcrc") && argc == 4) {
		fixcrc(argv[3]);
		return 0;
	}
	if (!strcmp(cmd, "crcok") && argc == 4) {
		uint64_t off, crc = calc_crc(argv[3], &off);

		printf("%s\n", rd_le(off, 8) == crc ? "ok" : "bad");
		return 0;
	}
	if (!strcmp(cmd, "copy-entry") && argc == 5) {
		uint8_t buf[FAMFS_LOG_ENTRY_SIZE];
		unsigned long long n = strtoull(argv[3], NULL, 0), m = strtoull(argv[4], NULL, 0);
		char owner[32];

		rd(ENTRY_BASE(n), buf, sizeof(buf));
		wr(ENTRY_BASE(m), buf, sizeof(buf));
		wr_le(ENTRY_BASE(m), 8, m);
		snprintf(owner, sizeof(owner), "e%llu", m);
		fixcrc(owner);
		return 0;
	}
	if (argc < 4)
		return usage();
	if (resolve(argv[3], &l))
		die("unknown field '%s' (try: famfs_imgtool IMG fields)", argv[3]);
	if (!strcmp(cmd, "get") && argc == 4) {
		if (l.is_str) {
			char s[81] = { 0 };

			rd(l.off, s, l.size);
			printf("%s\n", s);
		} else if (l.size <= 8) {
			printf("0x%" PRIx64 "\n", rd_le(l.off, l.size));
		} else {
			uint8_t b[16];

			rd(l.off, b, l.size);
			for (uint32_t i = 0; i < l.size; i++)
				printf("%02x", b[i]);
			printf("\n");
		}
		return 0;
	}
	if (!strcmp(cmd, "set") && argc == 5) {
		if (l.is_str) {
			char s[80] = { 0 };

			memcpy(s, argv[4], strnlen(argv[4], sizeof(s)));
			wr(l.off, s, l.size < sizeof(s) ? l.size : sizeof(s));
		} else if (l.size <= 8) {
			wr_le(l.off, l.size, strtoull(argv[4], NULL, 0));
		} else {
			die("set: '%s' is a byte array; use flip", argv[3]);
		}
	} else if (!strcmp(cmd, "flip") && (argc == 4 || argc == 5)) {
		unsigned long bit = argc == 5 ? strtoul(argv[4], NULL, 0) : 0;
		uint8_t b;

		if (bit >= l.size * 8UL)
			die("flip: bit past the end of '%s'", argv[3]);
		rd(l.off + bit / 8, &b, 1);
		b ^= (uint8_t)(1u << (bit % 8));
		wr(l.off + bit / 8, &b, 1);
	} else {
		return usage();
	}
	if (fixc)
		fixcrc(l.owner);
	return 0;
}
