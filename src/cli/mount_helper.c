// SPDX-License-Identifier: Apache-2.0
/*
 * mount_helper.c - the famfs program run as mount.famfs: mount(8)'s helper
 * for file systems of type famfs, so that `mount -t famfs DEV DIR` and an
 * /etc/fstab line `DEV DIR famfs defaults,nofail 0 0` work.
 *
 * mount(8) runs /sbin/mount.famfs DEV DIR [-sfnv] [-N NS] [-o OPTS]
 * [-t TYPE]. The options are sorted out here: mount(8)'s own (defaults,
 * auto, x-* ...) are dropped, `ro` becomes famfs mount -r (`rw` undoes
 * it), `nofail` makes a missing DEV no error (as fstab(5) says),
 * `timeout=SECS` becomes famfs mount -t SECS, and every other option goes
 * to famfsd in famfs mount -o. Then it mounts exactly as `famfs mount`.
 * Exit status follows mount(8): 0, 1 bad usage, 32 the mount failed.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"

#define MH_USAGE	1	/* mount(8): incorrect invocation */
#define MH_FAILED	32	/* mount(8): mount failure */
#define MH_OPTS_MAX	4096

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

/* Options mount(8) and systemd handle themselves; a helper ignores them. */
static bool mount8_option(const char *o)
{
	static const char *const names[] = {
		"defaults", "auto", "noauto", "user", "nouser", "users",
		"owner", "group", "_netdev", "nosuid", "nodev", "loud", "silent",
		"nouser_xattr", NULL,
	};

	for (size_t i = 0; names[i]; i++)
		if (!strcmp(o, names[i]))
			return true;
	return !strncmp(o, "x-", 2) || !strncmp(o, "comment=", 8);
}

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

/*
 * Split @opts (mount(8)'s -o list, where a value may be double-quoted)
 * into *@ro, *@timeout and the famfsd list @fwd. Returns 0 or MH_USAGE.
 */
static int sort_options(char *opts, bool *ro, bool *nofail, char **timeout, char *fwd,
			size_t fwdlen)
{
	char *o = opts, *end;
	bool quoted = false;

	while (o && *o) {
		for (end = o; *end && (quoted || *end != ','); end++)
			if (*end == '"')
				quoted = !quoted;
		if (quoted)
			return helper_usage("unbalanced quote in options '%s'", opts);
		if (*end)
			*end++ = '\0';
		if (!strcmp(o, "ro") || !strcmp(o, "rw")) {
			*ro = o[1] == 'o';	/* the last one counts */
		} else if (!strcmp(o, "nofail")) {
			*nofail = true;
		} else if (!strncmp(o, "timeout=", 8)) {
			*timeout = o + 8;
		} else if (*o && !mount8_option(o)) {
			if (strlen(fwd) + strlen(o) + 2 > fwdlen)
				return helper_usage("options too long: '%s'", o);
			if (*fwd)
				strcat(fwd, ",");
			strcat(fwd, o);
		}
		o = end;
	}
	return 0;
}

int mount_helper_main(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	static char fwd[MH_OPTS_MAX];
	char *opts = NULL, *timeout = NULL, *args[12];
	bool ro = false, nofail = false, fake = false, verbose = false;
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
	if (opts && sort_options(opts, &ro, &nofail, &timeout, fwd, sizeof(fwd)))
		return MH_USAGE;
	/* nofail: a device that does not exist is no error (fstab(5)). */
	if (nofail && stat(argv[optind], &st) && errno == ENOENT) {
		if (verbose)
			printf("mount.famfs: %s does not exist (nofail): nothing mounted\n",
			       argv[optind]);
		return 0;
	}

	args[n++] = "mount";
	if (ro)
		args[n++] = "-r";
	if (timeout) {
		args[n++] = "-t";
		args[n++] = timeout;
	}
	if (*fwd) {
		args[n++] = "-o";
		args[n++] = fwd;
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
	if (rc == CLI_USAGE)
		return MH_USAGE;
	return rc == CLI_OK ? 0 : MH_FAILED;
}
