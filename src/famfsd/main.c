// SPDX-License-Identifier: Apache-2.0
/*
 * main.c - famfsd [-r] [-t TIMEOUT] [-d] [-o OPTS] DEV MNT, famfsd -h|--help
 *
 * A usage error prints one line with a hint and exits 2; --help prints the
 * full usage on stdout and exits 0; every other failure exits 1.
 *
 * Checks privilege (root or CAP_SYS_RAWIO, as the kernel's famfs mount),
 * opens and replays the file system before anything is mounted (so a bad
 * image fails with one line and leaves no mount), mounts, then detaches:
 * the parent exits only once the mount exists. Serves until unmounted or
 * signalled, then tears down in order.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <linux/capability.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "famfs/devperm.h"
#include "famfs/err.h"
#include "famfs/sigbus.h"
#include "famfsd.h"

struct famfsd famfsd = {
	.ns_lock = PTHREAD_RWLOCK_INITIALIZER,
	.cu_mtx = PTHREAD_MUTEX_INITIALIZER,
	.cu_cond = PTHREAD_COND_INITIALIZER,
	.reserve_pct = FAMFS_LOG_RESERVE_PCT,
};

#define EXIT_USAGE	2
#define TIMEOUT_MAX	1073741824.0	/* seconds, as famfs mount -t allows */

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
		"  -o, --options OPTS     comma-separated famfsd options:\n"
		"                cache=direct  every read and write goes to famfsd (default)\n"
		"                cache=page    read-only opens use the page cache, so that\n"
		"                              mmap through the mount works\n"
		"                bpf           keep file extents in pinned BPF maps, filled\n"
		"                              at OPEN: direct-access clients map files with\n"
		"                              the BPF resolver and no GET_FMAP (docs/bpf.md)\n"
		"                ro            the same as -r\n"
		"                user_mkdir    let callers other than root make directories\n"
		"                              (default: they get EPERM)\n"
		"                reserve=N     log slots only root may use, a count or a\n"
		"                reserve=P%%    percentage (default 5%%, at least 64)\n"
		"                nonative      never accept the kernel's own famfs protocol\n"
		"                              (FUSE_DAX_FMAP): serve the ioctls and the shim\n"
		"                              even on a kernel with the famfs module\n"
		"                test_fmap=DIR testing only: answer the kernel's GET_FMAP for\n"
		"                              a file named NAME with the bytes of DIR/NAME\n"
		"Exit status: 0 after a clean unmount, 1 on an error, 2 on a usage error.\n");
}

/* Print one usage-error line with a hint; returns EXIT_USAGE. */
static int usage_err(const char *fmt, ...)
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
static int parse_reserve(const char *v)
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
		famfsd.reserve_pct = (int)n;
		return 0;
	}
	if (*end)
		return -1;
	famfsd.reserve_pct = -1;
	famfsd.reserve = n;
	return 0;
}

/* Parse the -o list. Returns 0, or prints one usage line and returns -1. */
static int parse_opts(char *list)
{
	char *save = NULL, *o;

	for (o = strtok_r(list, ",", &save); o; o = strtok_r(NULL, ",", &save)) {
		if (!strcmp(o, "cache=direct")) {
			famfsd.cache_page = false;
		} else if (!strcmp(o, "cache=page")) {
			famfsd.cache_page = true;
		} else if (!strcmp(o, "bpf")) {
			famfsd.bpf = true;
		} else if (!strcmp(o, "ro")) {
			famfsd.readonly = true;
		} else if (!strcmp(o, "user_mkdir")) {
			famfsd.user_mkdir = true;
		} else if (!strncmp(o, "reserve=", 8)) {
			if (parse_reserve(o + 8)) {
				usage_err("bad '%s' in -o (a slot count, or a percentage "
					  "0%% to 100%%)", o);
				return -1;
			}
		} else if (!strcmp(o, "nonative")) {
			famfsd.nonative = true;
		} else if (!strncmp(o, "test_fmap=", 10) && o[10]) {
			famfsd.test_fmap_dir = o + 10;
		} else {
			usage_err("unknown option '%s' in -o", o);
			return -1;
		}
	}
	return 0;
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

/*
 * Parse the command line into famfsd, *@debug, *@dev and *@mnt. Returns -1
 * to go on, or the exit status: 0 after --help, EXIT_USAGE after one line.
 */
static int parse_args(int argc, char **argv, bool *debug, const char **dev,
		      const char **mnt)
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

	famfsd.timeout = 60.0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":rt:do:h", lopts, NULL)) != -1) {
		switch (c) {
		case 'r':
			famfsd.readonly = true;
			break;
		case 't':
			if (parse_timeout(optarg, &famfsd.timeout))
				return usage_err("bad timeout '%s' (seconds, 0 to %.0f)", optarg,
						 TIMEOUT_MAX);
			break;
		case 'd':
			*debug = true;
			break;
		case 'o':
			if (parse_opts(optarg))
				return EXIT_USAGE;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case ':':
			return usage_err("option '%s' needs an argument", argv[optind - 1]);
		default:
			if (long_error(lopts, argv[optind - 1], optopt))
				return usage_err("bad option '%s'", argv[optind - 1]);
			return usage_err("unknown option '-%c'", optopt);
		}
	}
	if (argc - optind != 2)
		return usage_err("expected DEV and MNT, got %d argument%s", argc - optind,
				 argc - optind == 1 ? "" : "s");
	*dev = argv[optind];
	*mnt = argv[optind + 1];
	return -1;
}

/* True if we are root or hold CAP_SYS_RAWIO in the effective set. */
static bool privileged(void)
{
	struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3];

	if (geteuid() == 0)
		return true;
	memset(data, 0, sizeof(data));
	if (syscall(SYS_capget, &hdr, data))
		return false;
	return data[CAP_SYS_RAWIO / 32].effective & (1U << (CAP_SYS_RAWIO % 32));
}

static void op_init(void *userdata, struct fuse_conn_info *conn)
{
	/* Let large reads and writes travel in one request (1 MiB). */
	conn->max_write = 1U << 20;
	conn->max_readahead = 1U << 20;
}

static void op_destroy(void *userdata)
{
}

int main(int argc, char **argv)
{
	struct fuse_lowlevel_ops ops;
	struct fuse_args args = FUSE_ARGS_INIT(0, NULL);
	struct fuse_loop_config *lc;
	const char *dev = NULL, *mnt = NULL;
	char devbuf[PATH_MAX];
	char opts[PATH_MAX + 16], pmsg[512];
	char *mopts = NULL;
	bool debug = false;
	struct stat st;
	uint64_t t0;
	int rc, ret = 1;

	rc = parse_args(argc, argv, &debug, &dev, &mnt);
	if (rc >= 0)
		return rc;
	/* Clients open the device by the name GET_DAXDEV gives: make it absolute. */
	if (realpath(dev, devbuf))
		dev = devbuf;

	if (!privileged()) {
		fprintf(stderr, "famfsd: need root or CAP_SYS_RAWIO\n");
		return 1;
	}
	/* Opt in: libfamfs's device copies turn a SIGBUS into -EIO from here on. */
	if (famfs_sigbus_install()) {
		fprintf(stderr, "famfsd: cannot install SIGBUS handler: %s\n", famfs_errmsg());
		return 1;
	}

	t0 = famfsd_now_ns();
	famfs_errclear();
	rc = famfs_fs_open(dev, famfsd.readonly ? 0 : FAMFS_FS_WRITE, &famfsd.fs);
	if (rc < 0) {
		fprintf(stderr, "famfsd: %s: %s\n", dev,
			*famfs_errmsg() ? famfs_errmsg() : strerror(-rc));
		return 1;
	}
	famfsd_set_mount_replay(famfsd_now_ns() - t0);
	if (famfsd.fs->replay_err)
		fprintf(stderr, "famfsd: %s: log replay stopped at entry %llu (%s); "
			"serving the valid prefix\n", dev, (unsigned long long)famfsd.fs->next,
			strerror(-famfsd.fs->replay_err));
	if (famfs_dev_check_perms(dev, pmsg, sizeof(pmsg)) == FAMFS_DEVPERM_WARN)
		fprintf(stderr, "famfsd: warning: %s\n", pmsg);
	famfsd.master = famfsd.fs->log->role == FAMFS_ROLE_MASTER;
	if (famfsd.reserve_pct >= 0) {
		famfsd.reserve = famfs_log_reserve(famfsd.fs->log->nslots,
						   (unsigned int)famfsd.reserve_pct);
	} else if (famfsd.reserve > famfsd.fs->log->nslots) {
		ret = usage_err("reserve=%llu is more than the %llu slots of the log",
				(unsigned long long)famfsd.reserve,
				(unsigned long long)famfsd.fs->log->nslots);
		goto out_fs;
	}
	if (getrandom(famfsd.mount_id, sizeof(famfsd.mount_id), 0) !=
	    (ssize_t)sizeof(famfsd.mount_id)) {
		fprintf(stderr, "famfsd: cannot draw a mount id: %s\n", strerror(errno));
		goto out_fs;
	}
	famfsd_dax_init(famfsd.fs->dev);
	famfsd_seen_advance(famfsd.fs->next);
	rc = famfsd_ident_init();
	if (rc < 0) {
		fprintf(stderr, "famfsd: %s: %s\n", dev, rc == -ESTALE ?
			"the superblock changed while it was being read; retry" : strerror(-rc));
		goto out_fs;
	}
	if (famfsd.bpf && famfsd_bpf_load())
		goto out_fs;

	/*
	 * The source is the device path, escaped: a ',' in it would otherwise
	 * end the fsname option and start another one.
	 */
	snprintf(opts, sizeof(opts), "fsname=%s", dev);
	if (fuse_opt_add_opt_escaped(&mopts, opts) ||
	    fuse_opt_add_opt(&mopts, famfsd.readonly ? "subtype=famfs,default_permissions,"
			     "allow_other,ro" : "subtype=famfs,default_permissions,allow_other") ||
	    fuse_opt_add_arg(&args, "famfsd") || fuse_opt_add_arg(&args, "-o") ||
	    fuse_opt_add_arg(&args, mopts) || (debug && fuse_opt_add_arg(&args, "-d"))) {
		fprintf(stderr, "famfsd: out of memory\n");
		free(mopts);
		goto out_args;
	}
	free(mopts);
	famfsd_init_ops(&ops);
	ops.init = op_init;
	ops.destroy = op_destroy;
	famfsd.se = fuse_session_new(&args, &ops, sizeof(ops), NULL);
	if (!famfsd.se) {
		fprintf(stderr, "famfsd: cannot create the FUSE session\n");
		goto out_args;
	}
	if (fuse_set_signal_handlers(famfsd.se)) {
		fprintf(stderr, "famfsd: cannot set signal handlers\n");
		goto out_session;
	}
	if (fuse_session_mount(famfsd.se, mnt)) {
		fprintf(stderr, "famfsd: cannot mount %s on %s\n", dev, mnt);
		goto out_signals;
	}
	if (!realpath(mnt, famfsd.mnt))
		snprintf(famfsd.mnt, sizeof(famfsd.mnt), "%s", mnt);
	/* Native mode needs a devdax char device: the kernel maps it itself. */
	rc = famfsd_native_setup(famfsd.se, !famfsd.nonative && stat(dev, &st) == 0 &&
				 S_ISCHR(st.st_mode));
	if (rc) {
		fprintf(stderr, "famfsd: cannot hook the FUSE session: %s\n", strerror(-rc));
		goto out_unmount;
	}
	if (famfsd.bpf ? famfsd_bpf_pin(mnt) : (famfsd_bpf_clear_stale(mnt), 0))
		goto out_unmount;
	/* The parent returns once we are mounted and detached. */
	if (fuse_daemonize(debug)) {
		fprintf(stderr, "famfsd: cannot daemonize\n");
		goto out_unmount;
	}
	if (famfsd_catchup_start()) {
		fprintf(stderr, "famfsd: cannot start the catch-up thread\n");
		goto out_unmount;
	}

	lc = fuse_loop_cfg_create();
	if (!lc)
		goto out_catchup;
	fuse_loop_cfg_set_clone_fd(lc, 0);
	fuse_loop_cfg_set_idle_threads(lc, 4);
	ret = fuse_session_loop_mt(famfsd.se, lc) ? 1 : 0;
	fuse_loop_cfg_destroy(lc);
out_catchup:
	famfsd_catchup_stop();
out_unmount:
	fuse_session_unmount(famfsd.se);
	famfsd_bpf_stop();
out_signals:
	fuse_remove_signal_handlers(famfsd.se);
out_session:
	fuse_session_destroy(famfsd.se);
out_args:
	fuse_opt_free_args(&args);
out_fs:
	famfsd_bpf_stop();
	famfs_fs_close(famfsd.fs);
	return ret;
}
