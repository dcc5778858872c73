// SPDX-License-Identifier: Apache-2.0
/*
 * opts.c - famfsd's command line, and the libfuse session it asks for.
 *
 * getopt_long reads famfsd's flags (-r, -t, -d, -h, -o) and its two
 * arguments. Each -o list goes through libfuse's fuse_opt_parse with
 * famfsd's own options (cache=, bpf, user_mkdir, reserve=, poll_ms=,
 * nonative, test_fmap=, alloc_cfg=, ro, rw), in command-line order; every other option is left
 * to libfuse, which is the judge of what it knows: fuse_parse_cmdline takes
 * its command-line options (max_threads=, max_idle_threads=, clone_fd,
 * debug) and fuse_session_new its session and mount options (allow_root,
 * noatime, max_read= ...). When libfuse refuses the list, each of those
 * options is tried alone to name the one at fault, so that a bad option
 * fails with one line before the device is even opened.
 *
 * A usage error prints one line with a hint and exits 2 (EXIT_USAGE).
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <fuse_opt.h>

#include "famfsd.h"

#define TIMEOUT_MAX	1073741824.0	/* seconds, as famfs mount -t allows */
#define IDLE_THREADS	4		/* famfsd's default max_idle_threads */

static void usage(FILE *f)
{
	fprintf(f, "usage: famfsd [-r] [-t TIMEOUT] [-d] [-o OPTS] DEV MNT\n"
		"       famfsd -h|--help\n"
		"Serve the famfs file system on the memory device DEV at the mount point\n"
		"MNT (normally started by famfs mount; see famfsd(8)).\n"
		"  -r, --readonly         read-only: never write the device\n"
		"  -t, --timeout TIMEOUT  entry/attribute cache timeout in seconds, 0 to\n"
		"                         1073741824, fractions allowed (default 60)\n"
		"  -d, --debug            stay in the foreground and trace requests\n"
		"  -h, --help             print this help and exit\n"
		"  -o, --options OPTS     comma-separated options; famfsd's own:\n"
		"                cache=direct  every read and write goes to famfsd (default)\n"
		"                cache=page    read-only opens use the page cache, so that\n"
		"                              mmap through the mount works\n"
		"                bpf           keep file extents in pinned BPF maps, filled\n"
		"                              at OPEN: direct-access clients map files with\n"
		"                              the BPF resolver and no GET_FMAP (docs/bpf.md)\n"
		"                ro            the same as -r; rw undoes it\n"
		"                user_mkdir    let callers other than root make directories\n"
		"                              (default: they get EPERM)\n"
		"                reserve=N     log slots only root may use, a count or a\n"
		"                reserve=P%%    percentage (default 5%%, at least 64)\n"
		"                poll_ms=N     look for new log entries every N ms, 1 to\n"
		"                              1000 (default %u): how soon files made on\n"
		"                              another host show here with no lookup\n"
		"                nonative      never accept the kernel's own famfs protocol\n"
		"                              (FUSE_DAX_FMAP): serve the ioctls and the shim\n"
		"                              even on a kernel with the famfs module\n"
		"                test_fmap=DIR testing only: answer the kernel's GET_FMAP for\n"
		"                              a file named NAME with the bytes of DIR/NAME\n"
		"                alloc_cfg=FILE  serve FILE (upstream's YAML interleave\n"
		"                              defaults, at most 4 KiB) as .meta/.alloc.cfg\n"
		"              every other option goes to libfuse (mount.fuse3(8)), e.g.:\n"
		"                allow_root    only root may use the mount (default: every\n"
		"                              user, under the files' permissions)\n"
		"                max_threads=N at most N threads serve requests (default 10)\n"
		"                max_idle_threads=N  idle threads kept (default %u)\n"
		"                clone_fd      one /dev/fuse descriptor per thread\n"
		"                debug         the same as -d\n"
		"                noatime, noexec, nosuid, sync ...  mount(8)'s generic\n"
		"                              options; fsname= and subtype= are famfsd's\n"
		"Exit status: 0 after a clean unmount, 1 on an error, 2 on a usage error.\n",
		FAMFSD_POLL_MS, IDLE_THREADS);
}

int famfsd_usage_err(const char *fmt, ...)
{
	va_list ap;

	fputs("famfsd: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs(" (try 'famfsd --help')\n", stderr);
	return EXIT_USAGE;
}

/* reserve=N (slots) or reserve=P% (of the log, 0 to 100). */
static int parse_reserve(struct famfsd *fsd, const char *v)
{
	unsigned long long n;
	char *end;

	if (*v < '0' || *v > '9')
		return -1;
	errno = 0;
	n = strtoull(v, &end, 10);
	if (errno)
		return -1;
	if (!strcmp(end, "%")) {
		if (n > 100)
			return -1;
		fsd->reserve_pct = (int)n;
		return 0;
	}
	if (*end)
		return -1;
	fsd->reserve_pct = -1;
	fsd->reserve = n;
	return 0;
}

/* What an -o list is parsed into. */
struct opt_ctx {
	struct famfsd *fsd;
	struct famfsd_cmdline *cl;
};

enum {
	KEY_BPF,
	KEY_USER_MKDIR,
	KEY_NONATIVE,
	KEY_CACHE,
	KEY_RESERVE,
	KEY_POLL_MS,
	KEY_TEST_FMAP,
	KEY_ALLOC_CFG,
	KEY_RO,
	KEY_RW,
	KEY_OWN,
};

/* famfsd's own -o options; fuse_opt_parse hands every other one to opt_proc. */
static const struct fuse_opt famfsd_opts[] = {
	FUSE_OPT_KEY("bpf", KEY_BPF),
	FUSE_OPT_KEY("user_mkdir", KEY_USER_MKDIR),
	FUSE_OPT_KEY("nonative", KEY_NONATIVE),
	FUSE_OPT_KEY("cache=", KEY_CACHE),
	FUSE_OPT_KEY("reserve=", KEY_RESERVE),
	FUSE_OPT_KEY("poll_ms=", KEY_POLL_MS),
	FUSE_OPT_KEY("test_fmap=", KEY_TEST_FMAP),
	FUSE_OPT_KEY("alloc_cfg=", KEY_ALLOC_CFG),
	FUSE_OPT_KEY("ro", KEY_RO),
	FUSE_OPT_KEY("rw", KEY_RW),
	/* famfsd sets these: famfs umount and friends know a mount by them */
	FUSE_OPT_KEY("fsname=", KEY_OWN),
	FUSE_OPT_KEY("subtype=", KEY_OWN),
	FUSE_OPT_END
};

/* Keep @arg for libfuse, in order. 0 or -1 (out of memory, said). */
static int keep_for_fuse(struct famfsd_cmdline *cl, const char *arg)
{
	char **v = realloc(cl->fuse_opts, (cl->nfuse_opts + 1) * sizeof(*v));

	if (v)
		cl->fuse_opts = v;
	if (!v || !(v[cl->nfuse_opts] = strdup(arg))) {
		fprintf(stderr, "famfsd: out of memory\n");
		return -1;
	}
	cl->nfuse_opts++;
	return 0;
}

static int opt_proc(void *data, const char *arg, int key, struct fuse_args *outargs)
{
	struct opt_ctx *c = data;
	struct famfsd *fsd = c->fsd;
	char *dir;

	(void)outargs;
	switch (key) {
	case KEY_BPF:
		fsd->bpf = true;
		return 0;
	case KEY_USER_MKDIR:
		fsd->user_mkdir = true;
		return 0;
	case KEY_NONATIVE:
		fsd->nonative = true;
		return 0;
	case KEY_CACHE:
		if (strcmp(arg, "cache=direct") && strcmp(arg, "cache=page")) {
			famfsd_usage_err("bad '%s' in -o (cache=direct or cache=page)", arg);
			return -1;
		}
		fsd->cache_page = !strcmp(arg, "cache=page");
		return 0;
	case KEY_RESERVE:
		if (parse_reserve(fsd, arg + strlen("reserve="))) {
			famfsd_usage_err("bad '%s' in -o (a slot count, or a percentage "
					 "0%% to 100%%)", arg);
			return -1;
		}
		return 0;
	case KEY_POLL_MS: {
		const char *v = arg + strlen("poll_ms=");
		unsigned long n;
		char *end;

		errno = 0;
		n = strtoul(v, &end, 10);
		if (errno || end == v || *end || n < 1 || n > 1000 || *v == '-' || *v == '+') {
			famfsd_usage_err("bad '%s' in -o (poll_ms=N, 1 to 1000)", arg);
			return -1;
		}
		fsd->poll_ms = (unsigned int)n;
		return 0;
	}
	case KEY_TEST_FMAP:
		if (!arg[strlen("test_fmap=")]) {
			famfsd_usage_err("bad '%s' in -o (test_fmap=DIR)", arg);
			return -1;
		}
		dir = strdup(arg + strlen("test_fmap="));
		if (!dir) {
			fprintf(stderr, "famfsd: out of memory\n");
			return -1;
		}
		free(fsd->test_fmap_dir);
		fsd->test_fmap_dir = dir;
		return 0;
	case KEY_ALLOC_CFG:
		/* read and checked now: a bad file fails before anything is mounted */
		return famfsd_meta_load_cfg(fsd, arg + strlen("alloc_cfg=")) ? -1 : 0;
	case KEY_RO:
	case KEY_RW:
		fsd->readonly = key == KEY_RO;
		return 0;
	case KEY_OWN:
		famfsd_usage_err("'%s' in -o: famfsd sets fsname= (the device) and "
				 "subtype= (famfs) itself", arg);
		return -1;
	case FUSE_OPT_KEY_OPT:
		/* "a,,b": no option between the commas */
		return *arg ? keep_for_fuse(c->cl, arg) : 0;
	default:
		famfsd_usage_err("unexpected argument '%s' in -o", arg);
		return -1;
	}
}

/* Parse one -o list into @fsd and @cl. 0, or -1 after one line. */
static int parse_opt_list(struct famfsd *fsd, struct famfsd_cmdline *cl, const char *list)
{
	struct fuse_args a = FUSE_ARGS_INIT(0, NULL);
	struct opt_ctx c = { fsd, cl };
	int rc = -1;

	if (fuse_opt_add_arg(&a, "famfsd") || fuse_opt_add_arg(&a, "-o") ||
	    fuse_opt_add_arg(&a, list))
		fprintf(stderr, "famfsd: out of memory\n");
	else
		rc = fuse_opt_parse(&a, &c, famfsd_opts, opt_proc);
	fuse_opt_free_args(&a);
	return rc;
}

/* A finite timeout in [0, TIMEOUT_MAX] seconds, the whole of @arg. */
static int parse_timeout(const char *arg, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(arg, &end);
	if (end == arg || *end || errno || !isfinite(v) || v < 0 || v > TIMEOUT_MAX)
		return -1;
	*out = v;
	return 0;
}

/*
 * After getopt_long's '?': true if the error is about the long option @arg
 * (unknown, optopt 0, or given a value it does not take, optopt its value)
 * rather than about the short option optopt.
 */
static bool long_error(const struct option *lopts, const char *arg, int opt)
{
	size_t len;

	if (strncmp(arg, "--", 2))
		return false;
	if (!opt)
		return true;
	arg += 2;
	len = strcspn(arg, "=");
	for (; lopts->name; lopts++)
		if (lopts->val == opt && !strncmp(lopts->name, arg, len))
			return true;
	return false;
}

int famfsd_cmdline_parse(struct famfsd *fsd, int argc, char **argv,
			 struct famfsd_cmdline *cl)
{
	static const struct option lopts[] = {
		{ "readonly", no_argument, NULL, 'r' },
		{ "timeout", required_argument, NULL, 't' },
		{ "debug", no_argument, NULL, 'd' },
		{ "options", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":rt:do:h", lopts, NULL)) != -1) {
		switch (c) {
		case 'r':
			fsd->readonly = true;
			break;
		case 't':
			if (parse_timeout(optarg, &fsd->timeout))
				return famfsd_usage_err("bad timeout '%s' (seconds, 0 to %.0f)",
							optarg, TIMEOUT_MAX);
			break;
		case 'd':
			cl->debug = true;
			break;
		case 'o':
			if (parse_opt_list(fsd, cl, optarg))
				return EXIT_USAGE;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case ':':
			return famfsd_usage_err("option '%s' needs an argument", argv[optind - 1]);
		default:
			if (long_error(lopts, argv[optind - 1], optopt))
				return famfsd_usage_err("bad option '%s'", argv[optind - 1]);
			return famfsd_usage_err("unknown option '-%c'", optopt);
		}
	}
	if (argc - optind != 2)
		return famfsd_usage_err("expected DEV and MNT, got %d argument%s", argc - optind,
					argc - optind == 1 ? "" : "s");
	/* Clients open the device by the name GET_DAXDEV gives: make it absolute. */
	cl->dev = realpath(argv[optind], cl->devbuf) ? cl->devbuf : argv[optind];
	cl->mnt = argv[optind + 1];
	return -1;
}

void famfsd_cmdline_free(struct famfsd_cmdline *cl)
{
	unsigned int i;

	for (i = 0; i < cl->nfuse_opts; i++)
		free(cl->fuse_opts[i]);
	free(cl->fuse_opts);
	cl->fuse_opts = NULL;
	cl->nfuse_opts = 0;
}

/*
 * What libfuse logs while it parses: kept, so that famfsd can say in one
 * line which option it refused (libfuse's log function takes no context).
 */
static char fuse_msg[512];
static size_t fuse_msg_len;

static void capture_log(enum fuse_log_level level, const char *fmt, va_list ap)
{
	int n;

	(void)level;
	if (fuse_msg_len >= sizeof(fuse_msg) - 1)
		return;
	n = vsnprintf(fuse_msg + fuse_msg_len, sizeof(fuse_msg) - fuse_msg_len, fmt, ap);
	if (n > 0)
		fuse_msg_len += (size_t)n;
	if (fuse_msg_len > sizeof(fuse_msg) - 1)
		fuse_msg_len = sizeof(fuse_msg) - 1;
}

/* libfuse's first logged line, without its "fuse: " and newline. */
static const char *fuse_reason(void)
{
	char *p = fuse_msg;

	p[strcspn(p, "\n")] = '\0';
	if (!strncmp(p, "fuse: ", 6))
		p += 6;
	return *p ? p : "refused by libfuse";
}

/*
 * libfuse's arguments: "-o @fixed", then @opts (escaped: a ',' in a value
 * must not start another option), then -d. 0 or -ENOMEM.
 */
static int fuse_args_build(struct fuse_args *a, const char *fixed, char *const *opts,
			   unsigned int n, bool debug)
{
	char *list = NULL;
	unsigned int i;
	int rc = 0;

	for (i = 0; i < n && !rc; i++)
		rc = fuse_opt_add_opt_escaped(&list, opts[i]);
	if (!rc)
		rc = fuse_opt_add_arg(a, "famfsd") || fuse_opt_add_arg(a, "-o") ||
		     fuse_opt_add_arg(a, fixed) ||
		     (list && (fuse_opt_add_arg(a, "-o") || fuse_opt_add_arg(a, list))) ||
		     (debug && fuse_opt_add_arg(a, "-d"));
	free(list);
	return rc ? -ENOMEM : 0;
}

/*
 * Let libfuse parse @a: its command-line options into @co, then its
 * session and mount options. The session, or NULL with libfuse's words
 * in fuse_msg.
 */
static struct fuse_session *fuse_try(struct fuse_args *a, struct fuse_cmdline_opts *co,
				     const struct fuse_lowlevel_ops *ops, void *userdata)
{
	struct fuse_session *se = NULL;

	fuse_msg_len = 0;
	fuse_msg[0] = '\0';
	memset(co, 0, sizeof(*co));
	fuse_set_log_func(capture_log);
	if (!fuse_parse_cmdline(a, co)) {
		free(co->mountpoint);
		co->mountpoint = NULL;
		se = fuse_session_new(a, ops, sizeof(*ops), userdata);
	}
	fuse_set_log_func(NULL);
	return se;
}

/*
 * Name the option libfuse refuses: try each alone. EXIT_USAGE after one
 * line naming it, or 1 when none fails alone.
 */
static int name_bad_option(const struct famfsd_cmdline *cl,
			   const struct fuse_lowlevel_ops *ops, const char *whole)
{
	struct fuse_cmdline_opts co;
	struct fuse_session *se;
	unsigned int i;

	for (i = 0; i < cl->nfuse_opts; i++) {
		struct fuse_args a = FUSE_ARGS_INIT(0, NULL);

		se = NULL;
		if (!fuse_args_build(&a, "subtype=famfs", &cl->fuse_opts[i], 1, false))
			se = fuse_try(&a, &co, ops, NULL);
		fuse_opt_free_args(&a);
		if (se) {
			fuse_session_destroy(se);
			continue;
		}
		if (strstr(fuse_msg, "unknown option"))
			return famfsd_usage_err("unknown option '%s' in -o", cl->fuse_opts[i]);
		return famfsd_usage_err("bad option '%s' in -o (libfuse: %s)", cl->fuse_opts[i],
					fuse_reason());
	}
	fprintf(stderr, "famfsd: cannot create the FUSE session: %s\n", whole);
	return 1;
}

struct fuse_session *famfsd_session_new(struct famfsd *fsd, struct famfsd_cmdline *cl,
					const struct fuse_lowlevel_ops *ops, int *status)
{
	struct fuse_args a = FUSE_ARGS_INIT(0, NULL);
	struct fuse_session *se = NULL;
	char *fixed = NULL, fsname[PATH_MAX + 16], whole[sizeof(fuse_msg)];

	/*
	 * The source is the device path, escaped: a ',' in it would otherwise
	 * end the fsname option and start another one.
	 */
	snprintf(fsname, sizeof(fsname), "fsname=%s", cl->dev);
	if (fuse_opt_add_opt_escaped(&fixed, fsname) ||
	    fuse_opt_add_opt(&fixed, fsd->readonly ? "subtype=famfs,default_permissions,"
			     "allow_other,ro" : "subtype=famfs,default_permissions,allow_other") ||
	    fuse_args_build(&a, fixed, cl->fuse_opts, cl->nfuse_opts, cl->debug)) {
		fprintf(stderr, "famfsd: out of memory\n");
		*status = 1;
		goto out;
	}
	se = fuse_try(&a, &cl->co, ops, fsd);
	if (se) {
		/* What -d makes libfuse say at start. */
		fputs(fuse_msg, stderr);
		if (cl->co.max_idle_threads == UINT_MAX)
			cl->co.max_idle_threads = IDLE_THREADS;
		goto out;
	}
	snprintf(whole, sizeof(whole), "%s", fuse_reason());
	*status = name_bad_option(cl, ops, whole);
out:
	fuse_opt_free_args(&a);
	free(fixed);
	return se;
}
