// SPDX-License-Identifier: Apache-2.0
/*
 * vmpoke.c - the in-guest helper of make check-vm: touch famfs files
 * through mmap(2), so that under LD_PRELOAD=libfamfs-preload.so every load
 * and store goes straight to /dev/dax0.0 (or /dev/dax1.0), and report which file really
 * backs the mapping (from /proc/self/maps) so the guest scripts can assert
 * that the mapping is direct.
 *
 *   vmpoke mapcat FILE              write the whole file, read from a mapping, to stdout
 *   vmpoke read   FILE OFF LEN      write LEN bytes at OFF, read from a mapping, to stdout
 *   vmpoke write  FILE OFF TEXT     store TEXT at OFF through a shared writable mapping
 *   vmpoke wait   FILE OFF TEXT MS [AOFF ATEXT]
 *                                   poll the mapping until TEXT is at OFF (exit 3 on
 *                                   timeout, 4 as soon as ATEXT is at AOFF: the peer gave up)
 *   vmpoke visible DIR NAME WAIT_MS MS MBOX ROFF RTEXT SOFF STEXT COFF CTEXT AOFF ATEXT
 *                                   step 5's clock, see cmd_visible()
 *   vmpoke now                      print the guest's CLOCK_MONOTONIC in ms
 *
 * mapcat, read, write, wait and visible print "vmpoke: backing=<path>" on stderr,
 * and for a file of more than 2 MiB "vmpoke: backing@2M=<path>", the mapping
 * of its byte 2 MiB (a file striped over two devices: the second one).
 * Exit codes: 0 ok, 1 system error, 2 usage, 3 timeout, 4 aborted.
 *
 * It is linked dynamically on purpose: a static program would bypass the
 * preload shim.
 */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define POLL_NS 10000000L	/* 10 ms between polls */

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void nap(void)
{
	struct timespec ts = { 0, POLL_NS };

	nanosleep(&ts, NULL);
}

/*
 * Print the path of the mapping that holds @addr, as /proc/self/maps says,
 * as "vmpoke: @key=<path>".
 */
static void print_backing_as(const void *addr, const char *key)
{
	char line[4096];
	FILE *f = fopen("/proc/self/maps", "r");
	uintptr_t a = (uintptr_t)addr;

	if (!f) {
		fprintf(stderr, "vmpoke: %s=unknown\n", key);
		return;
	}
	while (fgets(line, sizeof(line), f)) {
		unsigned long lo, hi;
		char *path;

		if (sscanf(line, "%lx-%lx", &lo, &hi) != 2 || a < lo || a >= hi)
			continue;
		path = strchr(line, '/');
		if (!path)
			path = "anonymous\n";
		fprintf(stderr, "vmpoke: %s=%s", key, path);
		fclose(f);
		return;
	}
	fclose(f);
	fprintf(stderr, "vmpoke: %s=none\n", key);
}

static void print_backing(const void *addr)
{
	print_backing_as(addr, "backing");
}

/*
 * Map all of @path (read-only or read-write) and return its address and
 * size; exits with 1 and a message on failure. A zero-length file maps
 * nothing and returns NULL.
 */
static volatile uint8_t *map_file(const char *path, int writable, size_t *size)
{
	struct stat st;
	void *p;
	int fd = open(path, writable ? O_RDWR : O_RDONLY);

	if (fd < 0) {
		fprintf(stderr, "vmpoke: open %s: %s\n", path, strerror(errno));
		exit(1);
	}
	if (fstat(fd, &st) < 0) {
		fprintf(stderr, "vmpoke: stat %s: %s\n", path, strerror(errno));
		exit(1);
	}
	*size = (size_t)st.st_size;
	if (!*size) {
		close(fd);
		return NULL;
	}
	p = mmap(NULL, *size, PROT_READ | (writable ? PROT_WRITE : 0), MAP_SHARED, fd, 0);
	if (p == MAP_FAILED) {
		fprintf(stderr, "vmpoke: mmap %s: %s\n", path, strerror(errno));
		exit(1);
	}
	close(fd);
	print_backing(p);
	/* the second 2 MiB chunk: another device's, for a file striped over two */
	if (*size > 2 * 1048576)
		print_backing_as((uint8_t *)p + 2 * 1048576, "backing@2M");
	return p;
}

static int out_bytes(volatile uint8_t *p, size_t len)
{
	uint8_t buf[65536];
	size_t done = 0;

	while (done < len) {
		size_t n = len - done, i;

		if (n > sizeof(buf))
			n = sizeof(buf);
		for (i = 0; i < n; i++)
			buf[i] = p[done + i];
		if (fwrite(buf, 1, n, stdout) != n) {
			fprintf(stderr, "vmpoke: write stdout: %s\n", strerror(errno));
			return 1;
		}
		done += n;
	}
	return fflush(stdout) ? 1 : 0;
}

/* Parse a non-negative number; exits with 2 on junk. */
static uint64_t num(const char *s)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || end == s || *end) {
		fprintf(stderr, "vmpoke: bad number '%s'\n", s);
		exit(2);
	}
	return v;
}

static void range_check(uint64_t off, uint64_t len, size_t size)
{
	if (off > size || len > size - off) {
		fprintf(stderr, "vmpoke: range %llu+%llu is past the file size %zu\n",
			(unsigned long long)off, (unsigned long long)len, size);
		exit(1);
	}
}

/* Whether the @n bytes of @text are at @p. */
static int has_text(volatile uint8_t *p, const char *text, size_t n)
{
	size_t i;

	for (i = 0; i < n && p[i] == (uint8_t)text[i]; i++)
		;
	return i == n;
}

/* Poll until @text is at @off; give up when @atext (if not NULL) is at @aoff. */
static int cmd_wait(const char *path, uint64_t off, const char *text, uint64_t ms,
		    uint64_t aoff, const char *atext)
{
	size_t size, n = strlen(text), an = atext ? strlen(atext) : 0;
	volatile uint8_t *p = map_file(path, 0, &size);
	uint64_t t0 = now_ms();

	range_check(off, n, size);
	range_check(aoff, an, size);
	for (;;) {
		if (has_text(p + off, text, n))
			break;
		if (atext && has_text(p + aoff, atext, an)) {
			fprintf(stderr, "vmpoke: peer gave up ('%s' at %s+%llu) while waiting for"
				" '%s'\n", atext, path, (unsigned long long)aoff, text);
			return 4;
		}
		if (now_ms() - t0 > ms) {
			fprintf(stderr, "vmpoke: '%s' not at %s+%llu after %llu ms\n", text, path,
				(unsigned long long)off, (unsigned long long)ms);
			return 3;
		}
		nap();
	}
	printf("WAITED_MS=%llu\n", (unsigned long long)(now_ms() - t0));
	return 0;
}

/* Whether a readdir of @dir (what ls(1) does) lists @name; -1 if @dir cannot be read. */
static int dir_lists(const char *dir, const char *name)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int found = 0;

	if (!d)
		return -1;
	while (!found && (de = readdir(d)))
		found = !strcmp(de->d_name, name);
	closedir(d);
	return found;
}

/* Print "KEY=ms", or "KEY=none" for a negative @ms (it never happened). */
static void print_ms(const char *key, int64_t ms)
{
	if (ms < 0)
		printf("%s=none\n", key);
	else
		printf("%s=%" PRId64 "\n", key, ms);
}

/*
 * Step 5's clock, all on this guest's CLOCK_MONOTONIC. Map @mbox, store
 * @rtext at @roff (we are ready: the peer may start), wait up to @wait_ms for
 * @stext at @soff (the peer is about to create @dir/@name) and start the
 * clock when it is seen. Posting @rtext from here, with the mapping already
 * polled, means the peer cannot create before the clock can start. Then
 * every 10 ms, until @ms have passed: stat @dir/@name until it succeeds (a
 * lookup, as open(2) does); after that, readdir @dir (what ls(1) does) until
 * @name is listed; and all along watch for @ctext at @coff (the peer's create
 * returned). stat comes first because a READDIRPLUS that lists @name also
 * replaces a stale negative dentry for it, which would hide a negative entry
 * cached for too long.
 * Prints, in ms from the start:
 *   STAT_MS=n           stat of @dir/@name succeeded
 *   VISIBLE_MS=n        @name listed by readdir (never before STAT_MS; an upper
 *                       bound: it includes the peer's whole create and the
 *                       mailbox's 10 ms poll)
 *   CREATED_MS=n        @ctext seen: roughly how long the peer's create took
 *                       (each is "none" when it did not happen)
 *   AFTER_CREATED_MS=n  VISIBLE_MS - CREATED_MS; negative when @name was listed
 *                       before the peer's create returned
 * Returns 0 when all three happened in time, 3 on the deadline (printing what
 * did happen), 4 as soon as @atext is at @aoff (the peer gave up), 1 when
 * @dir cannot be read.
 */
static int cmd_visible(const char *dir, const char *name, uint64_t wait_ms, uint64_t ms,
		       const char *mbox, uint64_t roff, const char *rtext, uint64_t soff,
		       const char *stext, uint64_t coff, const char *ctext, uint64_t aoff,
		       const char *atext)
{
	size_t size, sn = strlen(stext), cn = strlen(ctext), an = strlen(atext);
	size_t rn = strlen(rtext), i;
	volatile uint8_t *p = map_file(mbox, 1, &size);
	int64_t listed = -1, statted = -1, created = -1, t;
	char path[4096];
	struct stat st;
	uint64_t t0 = now_ms();
	int r;

	range_check(roff, rn, size);
	range_check(soff, sn, size);
	range_check(coff, cn, size);
	range_check(aoff, an, size);
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	for (i = 0; i < rn; i++)
		p[roff + i] = (uint8_t)rtext[i];
	__sync_synchronize();
	while (!has_text(p + soff, stext, sn)) {
		if (has_text(p + aoff, atext, an)) {
			fprintf(stderr, "vmpoke: peer gave up before '%s'\n", stext);
			return 4;
		}
		if (now_ms() - t0 > wait_ms) {
			fprintf(stderr, "vmpoke: '%s' not at %s+%" PRIu64 " after %" PRIu64 " ms\n",
				stext, mbox, soff, wait_ms);
			return 3;
		}
		nap();
	}
	t0 = now_ms();
	while (listed < 0 || statted < 0 || created < 0) {
		t = (int64_t)(now_ms() - t0);
		if (created < 0 && has_text(p + coff, ctext, cn))
			created = t;
		if (statted < 0 && !stat(path, &st))
			statted = (int64_t)(now_ms() - t0);
		if (statted >= 0 && listed < 0) {
			r = dir_lists(dir, name);
			if (r < 0) {
				fprintf(stderr, "vmpoke: readdir %s: %s\n", dir, strerror(errno));
				return 1;
			}
			if (r)
				listed = (int64_t)(now_ms() - t0);
		}
		if (listed >= 0 && statted >= 0 && created >= 0)
			break;
		if (has_text(p + aoff, atext, an)) {
			fprintf(stderr, "vmpoke: peer gave up ('%s') while %s was awaited\n",
				atext, path);
			return 4;
		}
		if ((uint64_t)t > ms)
			break;
		nap();
	}
	print_ms("STAT_MS", statted);
	print_ms("VISIBLE_MS", listed);
	print_ms("CREATED_MS", created);
	if (listed >= 0 && created >= 0)
		printf("AFTER_CREATED_MS=%" PRId64 "\n", listed - created);
	if (listed < 0 || statted < 0 || created < 0) {
		fprintf(stderr, "vmpoke: after %" PRIu64 " ms: %s%s%s\n", ms,
			statted < 0 ? "stat still fails; " : "",
			statted >= 0 && listed < 0 ? "stat works, but readdir does not list it; " : "",
			created < 0 ? "the peer never posted its 'created'" : "");
		return 3;
	}
	return 0;
}

int main(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : "";
	volatile uint8_t *p;
	size_t size, i, n;
	uint64_t off, len;

	if (!strcmp(cmd, "mapcat") && argc == 3) {
		p = map_file(argv[2], 0, &size);
		return out_bytes(p, size);
	}
	if (!strcmp(cmd, "read") && argc == 5) {
		off = num(argv[3]);
		len = num(argv[4]);
		p = map_file(argv[2], 0, &size);
		range_check(off, len, size);
		return out_bytes(p + off, len);
	}
	if (!strcmp(cmd, "write") && argc == 5) {
		off = num(argv[3]);
		n = strlen(argv[4]);
		p = map_file(argv[2], 1, &size);
		range_check(off, n, size);
		for (i = 0; i < n; i++)
			p[off + i] = (uint8_t)argv[4][i];
		__sync_synchronize();
		return 0;
	}
	if (!strcmp(cmd, "wait") && argc == 6)
		return cmd_wait(argv[2], num(argv[3]), argv[4], num(argv[5]), 0, NULL);
	if (!strcmp(cmd, "wait") && argc == 8)
		return cmd_wait(argv[2], num(argv[3]), argv[4], num(argv[5]), num(argv[6]),
				argv[7]);
	if (!strcmp(cmd, "visible") && argc == 15)
		return cmd_visible(argv[2], argv[3], num(argv[4]), num(argv[5]), argv[6],
				   num(argv[7]), argv[8], num(argv[9]), argv[10], num(argv[11]),
				   argv[12], num(argv[13]), argv[14]);
	if (!strcmp(cmd, "now") && argc == 2) {
		printf("%" PRIu64 "\n", now_ms());
		return 0;
	}
	fprintf(stderr, "usage: vmpoke mapcat FILE | read FILE OFF LEN | write FILE OFF TEXT |\n"
		"              wait FILE OFF TEXT MS [AOFF ATEXT] | now |\n"
		"              visible DIR NAME WAIT_MS MS MBOX ROFF RTEXT SOFF STEXT COFF"
		" CTEXT AOFF ATEXT\n");
	return 2;
}
