// SPDX-License-Identifier: Apache-2.0
/*
 * util.c - helpers shared by the famfs verbs: error and usage printing,
 * size/number/mode parsing, the progress bar, and the
 * seeded test pattern used by creat -r, verify and the tests.
 */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#include "famfs/alloccfg.h"
#include "famfs/err.h"
#include "famfs/meta.h"
#include "famfs/ns.h"
#include "cli.h"
#include "upstream_opts.h"

void cli_fputs_esc(FILE *f, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	for (; *p; p++) {
		switch (*p) {
		case '\n': fputs("\\n", f); break;
		case '\r': fputs("\\r", f); break;
		case '\t': fputs("\\t", f); break;
		default:
			if (*p < 0x20 || *p == 0x7f)
				fprintf(f, "\\x%02x", *p);
			else
				fputc(*p, f);
		}
	}
}

const char *cli_esc(const char *s, char *buf, size_t len)
{
	FILE *f = fmemopen(buf, len, "w");

	if (!len)
		return "";
	if (!f) {
		buf[0] = '\0';
		return buf;
	}
	setvbuf(f, NULL, _IONBF, 0);
	cli_fputs_esc(f, s);
	fclose(f);
	buf[len - 1] = '\0';
	return buf;
}

bool cli_quiet;

/* Print "famfs VERB: " + @line (escaped) + @tail (not escaped) + newline. */
static void print_line(const char *line, const char *tail)
{
	if (cli_quiet)
		return;
	fprintf(stderr, "famfs %s: ", cli_verb_name);
	cli_fputs_esc(stderr, line);
	fputs(tail, stderr);
	fputc('\n', stderr);
}

int cli_fail(const char *path, int err)
{
	const char *msg = famfs_errmsg();
	char line[8192];

	if (err > 0)
		err = -err;
	if (!msg || !*msg)
		msg = strerror(-err);
	/* the library detail often names the path already */
	if (path && !strncmp(msg, path, strlen(path)) && msg[strlen(path)] == ':')
		path = NULL;
	if (path)
		snprintf(line, sizeof(line), "%s: %s", path, msg);
	else
		snprintf(line, sizeof(line), "%s", msg);
	print_line(line, "");
	famfs_errclear();
	return CLI_FAIL;
}

int cli_failf(const char *path, const char *fmt, ...)
{
	char line[8192];
	size_t n = 0;
	va_list ap;

	if (path)
		n = (size_t)snprintf(line, sizeof(line), "%s: ", path);
	if (n >= sizeof(line))
		n = sizeof(line) - 1;
	va_start(ap, fmt);
	vsnprintf(line + n, sizeof(line) - n, fmt, ap);
	va_end(ap);
	print_line(line, "");
	famfs_errclear();
	return CLI_FAIL;
}

int cli_usage(const char *fmt, ...)
{
	char line[8192], tail[128];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	snprintf(tail, sizeof(tail), " (try 'famfs %s --help')", cli_verb_name);
	print_line(line, tail);
	return CLI_USAGE;
}

int cli_help(const char *text)
{
	fputs(text, stdout);
	return CLI_OK;
}

int cli_parse_uint(const char *s, uint64_t max, uint64_t *out)
{
	char *end;
	unsigned long long v;

	if (!s || !*s || *s == '-' || isspace((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno == ERANGE || v > max)
		return -ERANGE;
	if (*end)
		return -EINVAL;
	*out = v;
	return 0;
}

int cli_parse_size(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;
	unsigned int shift = 0;

	if (!s || !*s || *s == '-' || isspace((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno == ERANGE)
		return -ERANGE;
	if (end == s)
		return -EINVAL;
	switch (toupper((unsigned char)*end)) {
	case '\0':
		break;
	case 'K': shift = 10; end++; break;
	case 'M': shift = 20; end++; break;
	case 'G': shift = 30; end++; break;
	case 'T': shift = 40; end++; break;
	default:
		return -EINVAL;
	}
	if (shift) {
		if (*end == 'i' || *end == 'I')
			end++;
		if (*end == 'B' || *end == 'b')
			end++;
	}
	if (*end)
		return -EINVAL;
	if (shift && v > (UINT64_MAX >> shift))
		return -ERANGE;
	*out = (uint64_t)v << shift;
	return 0;
}

int cli_parse_mode(const char *s, uint32_t *out)
{
	char *end;
	unsigned long v;

	if (!s || !*s || *s == '-')
		return -EINVAL;
	errno = 0;
	v = strtoul(s, &end, 8);
	if (errno || *end || v > 07777)
		return -EINVAL;
	*out = (uint32_t)v;
	return 0;
}

void cli_progress_init(struct cli_progress *p, uint64_t total, bool enabled)
{
	p->enabled = enabled && total;
	p->total = total;
	p->done = 0;
	p->last_pct = -1;
}

void cli_progress_add(struct cli_progress *p, uint64_t n)
{
	char bar[41];
	int pct, fill;

	p->done += n;
	if (!p->enabled)
		return;
	pct = (int)(p->done >= p->total ? 100 : p->done * 100 / p->total);
	if (pct == p->last_pct)
		return;
	p->last_pct = pct;
	fill = pct * 40 / 100;
	memset(bar, '#', fill);
	memset(bar + fill, '.', 40 - fill);
	bar[40] = '\0';
	fprintf(stderr, "\r[%s] %3d%% %" PRIu64 "/%" PRIu64 " MiB", bar, pct,
		p->done >> 20, p->total >> 20);
	fflush(stderr);
}

void cli_progress_done(struct cli_progress *p)
{
	if (p->enabled && p->last_pct >= 0)
		fputc('\n', stderr);
	p->enabled = false;
}

/* splitmix64 finaliser over seed and word index. */
uint64_t cli_pattern_word(uint64_t seed, uint64_t word_index)
{
	uint64_t z = seed * 0xd1b54a32d192ed03ULL + (word_index + 1) * 0x9e3779b97f4a7c15ULL;

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static inline uint8_t pattern_byte(uint64_t w, uint64_t off)
{
	return (uint8_t)(w >> (8 * (off & 7)));
}

void cli_pattern_fill(uint64_t seed, uint64_t off, uint8_t *buf, uint64_t len)
{
	uint64_t i = 0, w;

	/* unaligned head */
	while (i < len && ((off + i) & 7)) {
		w = cli_pattern_word(seed, (off + i) >> 3);
		buf[i] = pattern_byte(w, off + i);
		i++;
	}
	for (; i + 8 <= len; i += 8) {
		w = cli_pattern_word(seed, (off + i) >> 3);
		for (int b = 0; b < 8; b++)
			buf[i + b] = (uint8_t)(w >> (8 * b));
	}
	for (; i < len; i++) {
		w = cli_pattern_word(seed, (off + i) >> 3);
		buf[i] = pattern_byte(w, off + i);
	}
}

int64_t cli_pattern_check(uint64_t seed, uint64_t off, const uint8_t *buf, uint64_t len)
{
	uint64_t i = 0, w;

	while (i < len && ((off + i) & 7)) {
		w = cli_pattern_word(seed, (off + i) >> 3);
		if (buf[i] != pattern_byte(w, off + i))
			return (int64_t)(off + i);
		i++;
	}
	for (; i + 8 <= len; i += 8) {
		uint64_t got = 0;

		w = cli_pattern_word(seed, (off + i) >> 3);
		for (int b = 0; b < 8; b++)
			got |= (uint64_t)buf[i + b] << (8 * b);
		if (got != w) {
			for (int b = 0; b < 8; b++)
				if (buf[i + b] != (uint8_t)(w >> (8 * b)))
					return (int64_t)(off + i + b);
		}
	}
	for (; i < len; i++) {
		w = cli_pattern_word(seed, (off + i) >> 3);
		if (buf[i] != pattern_byte(w, off + i))
			return (int64_t)(off + i);
	}
	return -1;
}

int cli_getopt_error(int c, char **argv)
{
	if (c == ':')
		return cli_usage("option '%s' needs an argument", argv[optind - 1]);
	if (optopt)
		return cli_usage("unknown option '-%c'", optopt);
	return cli_usage("unknown option '%s'", argv[optind - 1]);
}

int cli_parse_ids(int c, const char *arg, uint32_t *mode, uint32_t *uid, uint32_t *gid)
{
	uint64_t v;

	switch (c) {
	case 'm':
		if (cli_parse_mode(arg, mode))
			return cli_usage("bad mode '%s' (octal, at most 07777)", arg);
		return CLI_OK;
	case 'u':
	case 'g':
		if (cli_parse_uint(arg, UINT32_MAX - 1, &v))
			return cli_usage("bad %s '%s'", c == 'u' ? "uid" : "gid", arg);
		*(c == 'u' ? uid : gid) = (uint32_t)v;
		return CLI_OK;
	}
	return CLI_USAGE;
}

int cli_parse_interleave(int c, const char *arg, struct famfs_interleave_param *ip)
{
	uint64_t v;

	switch (c) {
	case 'N':
		if (cli_parse_uint(arg, FAMFS_OMF_MAX_STRIPS, &v) || v == 0)
			return cli_usage("bad strip count '%s' (1..%d)", arg, FAMFS_OMF_MAX_STRIPS);
		ip->nstrips = v;
		return CLI_OK;
	case 'B':
		if (cli_parse_uint(arg, FAMFS_MAX_NBUCKETS, &v) || v == 0)
			return cli_usage("bad bucket count '%s' (1..%d)", arg, FAMFS_MAX_NBUCKETS);
		ip->nbuckets = v;
		return CLI_OK;
	case 'C':
		if (cli_parse_size(arg, &v) || v == 0)
			return cli_usage("bad chunk size '%s'", arg);
		ip->chunk_size = v;
		return CLI_OK;
	}
	return CLI_USAGE;
}

int cli_check_interleave(struct famfs_fs *fs, const char *path,
			 struct famfs_interleave_param *ip, const struct famfs_interleave_param **out)
{
	int rc;

	*out = NULL;
	if (!famfs_interleave_enabled(ip))
		return CLI_OK;
	/* The rules of the devices this host can place files on (allocset.h). */
	famfs_allocset_interleave_fill(&fs->alloc, ip);
	famfs_errclear();
	rc = famfs_allocset_interleave_check(&fs->alloc, ip);
	if (rc)
		return cli_fail(path, rc);
	*out = ip;
	return CLI_OK;
}

uint64_t cli_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

void cli_sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

bool cli_confirm(const char *what, bool yes)
{
	char line[64] = "";

	if (yes)
		return true;
	if (!isatty(STDIN_FILENO)) {
		fprintf(stderr, "famfs %s: not confirmed: add -y to %s\n", cli_verb_name, what);
		return false;
	}
	fprintf(stderr, "famfs %s: %s? [y/N] ", cli_verb_name, what);
	fflush(stderr);
	if (!fgets(line, sizeof(line), stdin))
		return false;
	line[strcspn(line, "\n")] = '\0';
	return !strcasecmp(line, "y") || !strcasecmp(line, "yes");
}

int cli_mode_flag(bool nofuse)
{
	char prog[64];

	snprintf(prog, sizeof(prog), "famfs %s", cli_verb_name);
	return famfs_mode_flag(prog, nofuse) ? CLI_FAIL : CLI_OK;
}

struct par {
	size_t njobs;
	size_t next;			/* atomic: the next job to take */
	cli_job_fn fn;
	void *ctx;
};

static void *par_worker(void *arg)
{
	struct par *p = arg;
	size_t i;

	while ((i = __atomic_fetch_add(&p->next, 1, __ATOMIC_RELAXED)) < p->njobs)
		p->fn(p->ctx, i);
	return NULL;
}

void cli_parallel(unsigned int nthreads, size_t njobs, cli_job_fn fn, void *ctx)
{
	struct par p = { .njobs = njobs, .fn = fn, .ctx = ctx };
	pthread_t *tids;
	unsigned int started = 0;

	if (nthreads > njobs)
		nthreads = (unsigned int)njobs;
	tids = nthreads > 1 ? calloc(nthreads, sizeof(*tids)) : NULL;
	for (unsigned int t = 0; tids && t < nthreads; t++) {
		if (pthread_create(&tids[t], NULL, par_worker, &p))
			break;
		started++;
	}
	par_worker(&p);		/* this thread works too, and alone without threads */
	for (unsigned int t = 0; t < started; t++)
		pthread_join(tids[t], NULL);
	free(tids);
}

int cli_parse_threads(const char *arg, unsigned int *out)
{
	uint64_t v;

	if (cli_parse_uint(arg, 256, &v))
		return cli_usage("bad thread count '%s' (0..256)", arg);
	*out = (unsigned int)v;
	return CLI_OK;
}

void cli_sayf(const char *path, const char *fmt, ...)
{
	va_list ap;

	if (path) {
		cli_fputs_esc(stdout, path);
		fputs(": ", stdout);
	}
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

int cli_alloc_cfg(const struct cli_target *t, struct famfs_interleave_param *ip)
{
	char buf[FAMFS_ALLOC_CFG_MAX + 1];
	ssize_t n;

	if (!t->mnt[0])
		return CLI_OK;
	n = getxattr(t->mnt, "user.famfs.alloc_cfg", buf, sizeof(buf));
	if (n < 0)
		return errno == ENODATA || errno == ENOTSUP ? CLI_OK :
		       cli_failf(t->mnt, ".meta/.alloc.cfg: %s", strerror(errno));
	famfs_errclear();
	if (famfs_alloc_cfg_parse(buf, (size_t)n, ip))
		return cli_failf(t->mnt, "%s", famfs_errmsg());
	if (cli_verbose && famfs_interleave_enabled(ip))
		cli_sayf(t->mnt, "interleave defaults from .meta/.alloc.cfg: nbuckets %" PRIu64
			 ", nstrips %" PRIu64 ", chunk_size %" PRIu64 " (0: the default)",
			 ip->nbuckets, ip->nstrips, ip->chunk_size);
	return CLI_OK;
}

struct walk_set {
	struct famfs_fs *fs;
	struct cli_file_job **jobs;
	cli_run_fn fn;
};

static void walk_job(void *ctx, size_t i)
{
	struct walk_set *s = ctx;

	s->jobs[i]->rc = cli_for_each_run(s->fs, s->jobs[i]->n, s->fn, s->jobs[i]);
}

/* Walk @cnt jobs that are all on one device. */
static int walk_group(struct cli_file_job **jobs, size_t cnt, bool write, unsigned int threads,
		      cli_run_fn fn)
{
	struct walk_set s = { .jobs = jobs, .fn = fn };
	const struct famfs_node *n;

	s.fs = cli_fs_open(&jobs[0]->t, write, jobs[0]->path);
	if (!s.fs)
		return CLI_FAIL;
	for (size_t i = 0; i < cnt; i++) {
		/* A writer never resolves .meta: its files are the device's metadata. */
		if (write && cli_refuse_meta(jobs[i]->path, jobs[i]->t.rel))
			return CLI_FAIL;
		n = write ? NULL : cli_meta_node(s.fs, &jobs[i]->t);
		if (!n)
			n = famfs_ns_resolve(s.fs->ns, jobs[i]->t.rel);
		if (!n || !S_ISREG(n->mode))
			return n ? cli_failf(jobs[i]->path, "not a regular file") :
			       cli_fail(jobs[i]->path, -ENOENT);
		jobs[i]->n = n;
		jobs[i]->size = n->size;
	}
	famfs_errclear();
	cli_parallel(threads, cnt, walk_job, &s);
	for (size_t i = 0; i < cnt; i++)
		jobs[i]->n = NULL;	/* freed when the next device's fs is opened */
	return CLI_OK;
}

int cli_walk_files(struct cli_file_job **jobs, size_t njobs, bool write, unsigned int threads,
		   cli_run_fn fn)
{
	size_t start, end;
	int ret = CLI_OK;

	for (start = 0; start < njobs; start = end) {
		for (end = start + 1; end < njobs && !strcmp(jobs[end]->t.dev, jobs[start]->t.dev);
		     end++)
			;
		if (walk_group(jobs + start, end - start, write, threads, fn)) {
			ret = CLI_FAIL;
			for (size_t i = start; i < end; i++)
				jobs[i]->rc = -ECANCELED;	/* said why already */
		}
	}
	return ret;
}
