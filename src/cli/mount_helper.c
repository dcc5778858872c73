// SPDX-License-Identifier: Apache-2.0
/*
 * mount_helper.c - the famfs program run as mount.famfs: mount(8)'s helper
 * for file systems of type famfs, so that `mount -t famfs DEV DIR` and an
 * /etc/fstab line `DEV DIR famfs defaults,nofail 0 0` work.
 *
 * mount(8) runs /sbin/mount.famfs DEV DIR [-sfnv] [-N NS] [-o OPTS]
 * [-t TYPE]. libmount sorts the options out: mount(8)'s and systemd's own
 * (defaults, auto, x-* ...) are dropped, `nofail` makes a missing DEV no
 * error (as fstab(5) says), `ro` becomes famfs mount -r (a later `rw`
 * undoes it), `timeout=SECS` becomes famfs mount -t SECS, and every other
 * option goes to famfsd in famfs mount -o. Then it mounts exactly as
 * `famfs mount`.
 * Exit status follows mount(8): 0, 1 bad usage, 32 the mount failed.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libmount/libmount.h>

#include "cli.h"

#define MH_USAGE	1	/* mount(8): incorrect invocation */
#define MH_FAILED	32	/* mount(8): mount failure */

static const char helper_help[] =
"usage: mount.famfs DEV DIR [-fnsv] [-o OPTS]\n"
"\n"
"mount(8)'s helper for type famfs: `mount -t famfs DEV DIR`, or an fstab\n"
"line `DEV DIR famfs defaults,nofail 0 0`, runs it. It mounts as\n"
"`famfs mount` does (see mount.famfs(8) and famfs(1)).\n"
"\n"
"  -o OPTS   comma-separated: ro (famfs mount -r), timeout=SECS (famfs\n"
"            mount -t), nofail (a missing DEV is no error), mount(8)'s own\n"
"            options (defaults, auto, noauto, user, _netdev, x-*,\n"
"            comment=...), which are ignored;\n"
"            any other option goes to famfsd (famfs mount -o)\n"
"  -f        fake: check the arguments, mount nothing\n"
"  -n        accepted (nothing is written to /etc/mtab)\n"
"  -s        accepted (famfsd refuses an unknown option all the same)\n"
"  -v        print the famfs mount command before running it\n"
"  -t TYPE   famfs or fuse.famfs\n"
"  -h        this help\n"
"\n"
"Exit status: 0 mounted, 1 bad usage, 32 the mount failed.\n";

static int helper_usage(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int helper_usage(const char *fmt, ...)
{
	va_list ap;

	fputs("mount.famfs: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs(" (try 'mount.famfs -h')\n", stderr);
	return MH_USAGE;
}

/* What the -o list asks of famfs mount. */
struct helper_opts {
	bool ro;
	bool nofail;
	char *timeout;		/* timeout=SECS, or NULL */
	char *fwd;		/* for famfsd (famfs mount -o), or NULL */
};

/*
 * Copy each option of @list to o->fwd, except those famfs mount takes
 * itself (ro, rw, timeout=) and those always in effect on a FUSE mount
 * (nosuid, nodev). Returns 0 or -ENOMEM.
 */
static int forward(char *list, struct helper_opts *o)
{
	static const char *const own[] = { "ro", "rw", "defaults", "nosuid", "nodev",
					   "timeout", NULL };
	char *name, *value, *n, *v;
	size_t nlen, vlen, i;
	int err;

	while (list && !mnt_optstr_next_option(&list, &name, &nlen, &value, &vlen)) {
		for (i = 0; own[i]; i++)
			if (strlen(own[i]) == nlen && !strncmp(name, own[i], nlen))
				break;
		if (own[i])
			continue;
		n = strndup(name, nlen);
		v = value ? strndup(value, vlen) : NULL;
		err = !n || (value && !v) ? -ENOMEM : mnt_optstr_append_option(&o->fwd, n, v);
		free(n);
		free(v);
		if (err)
			return -ENOMEM;
	}
	return 0;
}

/*
 * Sort mount(8)'s -o list with libmount: its userspace options (defaults,
 * auto, nofail, x-*, comment= ...) are mount(8)'s or systemd's, of which
 * only nofail concerns us; the VFS flags give ro; the rest is famfs's
 * (timeout=) or famfsd's. Returns 0 or MH_USAGE.
 */
static int sort_options(const char *opts, struct helper_opts *o)
{
	char *user = NULL, *vfs = NULL, *fs = NULL, *val;
	unsigned long flags = 0;
	size_t vlen;
	int rc = MH_USAGE;

	if (mnt_split_optstr(opts, &user, &vfs, &fs, 0, 0) ||
	    (vfs && mnt_optstr_get_flags(vfs, &flags, mnt_get_builtin_optmap(MNT_LINUX_MAP)))) {
		helper_usage("cannot parse options '%s'", opts);
		goto out;
	}
	o->ro = flags & MS_RDONLY;
	o->nofail = user && !mnt_optstr_get_option(user, "nofail", NULL, NULL);
	if (fs && !mnt_optstr_get_option(fs, "timeout", &val, &vlen)) {
		if (!val || !vlen) {
			helper_usage("timeout= needs a number of seconds");
			goto out;
		}
		o->timeout = strndup(val, vlen);
		if (!o->timeout) {
			helper_usage("out of memory");
			goto out;
		}
	}
	if (forward(vfs, o) || forward(fs, o)) {
		helper_usage("out of memory");
		goto out;
	}
	rc = 0;
out:
	free(user);
	free(vfs);
	free(fs);
	return rc;
}

int mount_helper_main(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	struct helper_opts o = { 0 };
	char *opts = NULL, *args[12];
	bool fake = false, verbose = false;
	struct stat st;
	int c, n = 0, rc;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":fnsvo:t:N:h", lopts, NULL)) != -1) {
		switch (c) {
		case 'f': fake = true; break;
		case 'n': break;
		case 's': break;
		case 'v': verbose = true; break;
		case 'o':
			if (opts)
				return helper_usage("-o given twice ('%s')", optarg);
			opts = optarg;
			break;
		case 't':
			if (strcmp(optarg, "famfs") && strcmp(optarg, "fuse.famfs"))
				return helper_usage("type '%s' is not famfs", optarg);
			break;
		case 'N':
			return helper_usage("mount namespaces (-N %s) are not supported", optarg);
		case 'h':
			fputs(helper_help, stdout);
			return 0;
		case ':':
			return helper_usage("option '%s' needs an argument", argv[optind - 1]);
		default:
			return helper_usage("unknown option '%s'", argv[optind - 1]);
		}
	}
	if (argc - optind != 2)
		return helper_usage("expected DEV and DIR");
	if (opts && sort_options(opts, &o))
		return MH_USAGE;
	/* nofail: a device that does not exist is no error (fstab(5)). */
	if (o.nofail && stat(argv[optind], &st) && errno == ENOENT) {
		if (verbose)
			printf("mount.famfs: %s does not exist (nofail): nothing mounted\n",
			       argv[optind]);
		return 0;
	}

	args[n++] = "mount";
	if (o.ro)
		args[n++] = "-r";
	if (o.timeout) {
		args[n++] = "-t";
		args[n++] = o.timeout;
	}
	if (o.fwd) {
		args[n++] = "-o";
		args[n++] = o.fwd;
	}
	args[n++] = argv[optind];
	args[n++] = argv[optind + 1];
	args[n] = NULL;
	if (verbose) {
		fputs("mount.famfs: famfs", stdout);
		for (int i = 0; i < n; i++)
			printf(" %s", args[i]);
		putchar('\n');
		fflush(stdout);
	}
	if (fake)
		return 0;
	/* A helper says nothing on success, unless -v: famfs mount's report of
	 * the mount's mode goes to /dev/null (errors still go to stderr). */
	if (!verbose) {
		int null = open("/dev/null", O_WRONLY | O_CLOEXEC);

		if (null >= 0) {
			fflush(stdout);
			dup2(null, STDOUT_FILENO);
			close(null);
		}
	}
	cli_verb_name = "mount";
	optind = 0;		/* cmd_mount parses its own argv */
	rc = cmd_mount(n, args);
	free(o.timeout);
	free(o.fwd);
	if (rc == CLI_USAGE)
		return MH_USAGE;
	return rc == CLI_OK ? 0 : MH_FAILED;
}
