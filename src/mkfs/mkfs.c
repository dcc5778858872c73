// SPDX-License-Identifier: Apache-2.0
/*
 * mkfs.c - mkfs.famfs: write a new famfs superblock and empty log on a
 * device (a devdax char device or a regular file), with this host as the
 * master, and print a summary.
 */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>
#include <uuid/uuid.h>

#include "famfs/dev.h"
#include "famfs/devfind.h"
#include "famfs/devmem.h"
#include "famfs/devperm.h"
#include "famfs/err.h"
#include "famfs/fs.h"
#include "famfs/log.h"
#include "famfs/mount.h"
#include "famfs/omf_rm.h"
#include "famfs/omf.h"
#include "famfs/role.h"
#include "famfs/trust.h"
#include "upstream_opts.h"

static const char help[] =
"usage: mkfs.famfs [-f] [-k] [-l LOGLEN] [-O FEATURES] [-v] [--fuse|--nofuse] DEV [DEV2...]\n"
"\n"
"Write a new famfs file system on DEV: a superblock and an empty metadata\n"
"log. This host (its system uuid, from $FAMFS_SYSTEM_UUID or\n"
"/opt/famfs/system_uuid) becomes the master, the only host that may create\n"
"files. DEV is a devdax device or a regular file whose size is a multiple\n"
"of 2 MiB and at least 64 MiB.\n"
"\n"
"Further devices DEV2... become devices 1, 2, ... of the same file system,\n"
"as famfs devadd would add them: each gets a secondary superblock (its own\n"
"device uuid), and the log on DEV names it by that uuid. Every host finds\n"
"them by uuid (famfs daxdev). Nothing is written unless every device passes\n"
"the checks. At most 24 devices.\n"
"\n"
"  -f, --force          overwrite an existing famfs (also one owned by\n"
"                       another host); a device a mount on this host uses\n"
"                       is always refused\n"
"  -k, --kill           with -f: destroy the superblock of every DEV\n"
"                       instead (zero its magic); they are no longer famfs\n"
"  -l, --loglen LEN     log size, a power of 2 of at least 8M (default 8M:\n"
"                       15420 entries); K, M, G suffixes\n"
"  -O, --features LIST  format features, comma-separated. Known: rm, files\n"
"                       and directories can be deleted and their memory\n"
"                       reused (famfs rm; upstream famfs tools stop at the\n"
"                       first delete: see mkfs.famfs(8))\n"
"  -v, --verbose        also print the device uuid, the layout and the\n"
"                       system uuid's source (repeatable)\n"
"      --fuse           accepted: famfs mounts are always FUSE here\n"
"  -F, --nofuse         upstream's standalone kernel famfs: refused unless\n"
"                       this kernel has the famfs module (docs/kernel.md)\n"
"  -h, -?, --help       this help\n"
"\n"
"Make a device in memory with:\n"
"  truncate -s 4G /dev/shm/famfs0 && chmod 600 /dev/shm/famfs0 &&\n"
"    mkfs.famfs /dev/shm/famfs0\n"
"Two devices:\n"
"  mkfs.famfs /dev/dax0.0 /dev/dax1.0\n";

/* Write @s to @f with control characters escaped (\n, \t, \xHH). */
static void puts_esc(FILE *f, const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '\n')
			fputs("\\n", f);
		else if (*p == '\t')
			fputs("\\t", f);
		else if (*p == '\r')
			fputs("\\r", f);
		else if (*p < 0x20 || *p == 0x7f)
			fprintf(f, "\\x%02x", *p);
		else
			fputc(*p, f);
	}
}

/* One line on stderr: "mkfs.famfs: " + the escaped printf text. Returns 1. */
static int say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int say(const char *fmt, ...)
{
	char line[8192];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	fputs("mkfs.famfs: ", stderr);
	puts_esc(stderr, line);
	fputc('\n', stderr);
	return 1;
}

static int fail(const char *path, int err)
{
	const char *m = famfs_errmsg();

	if (m && *m && !strncmp(m, path, strlen(path)) && m[strlen(path)] == ':')
		return say("%s", m);
	return say("%s: %s", path, m && *m ? m : strerror(-err));
}

/* Do the device files @a (already stat'ed as @sa) and @b name the same device? */
static bool same_device(const char *a, const struct stat *sa, const char *b)
{
	char ra[PATH_MAX], rb[PATH_MAX];
	struct stat sb;

	if (realpath(a, ra) && realpath(b, rb) && !strcmp(ra, rb))
		return true;
	if (stat(b, &sb))
		return false;
	if (S_ISCHR(sa->st_mode) || S_ISBLK(sa->st_mode))
		return (sa->st_mode & S_IFMT) == (sb.st_mode & S_IFMT) && sa->st_rdev == sb.st_rdev;
	return sa->st_dev == sb.st_dev && sa->st_ino == sb.st_ino;
}

/*
 * Find a famfs mount made by root whose source is the device @path.
 * Returns true and copies its mount point into @mnt.
 */
static bool find_famfs_mount(const char *path, char *mnt, size_t len)
{
	struct famfs_mnt m;

	if (famfs_trust_mount_of_dev(path, &m))
		return false;
	snprintf(mnt, len, "%s", m.target);
	return true;
}

/* -O LIST: comma-separated feature names. Prints a usage line and fails on an unknown one. */
static int parse_features(const char *list, uint32_t *features)
{
	char buf[256], *save = NULL, *f;

	snprintf(buf, sizeof(buf), "%s", list);
	for (f = strtok_r(buf, ",", &save); f; f = strtok_r(NULL, ",", &save)) {
		if (!strcmp(f, "rm")) {
			*features |= FAMFS_SB_FEAT_RM;
		} else {
			say("unknown feature '%s' (known: rm; try 'mkfs.famfs --help')", f);
			return -1;
		}
	}
	if (!*features) {
		say("no feature in '-O %s' (known: rm; try 'mkfs.famfs --help')", list);
		return -1;
	}
	return 0;
}

static int parse_size(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;
	unsigned int shift = 0;

	if (!*s || *s == '-' || isspace((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || end == s)
		return -EINVAL;
	switch (toupper((unsigned char)*end)) {
	case '\0': break;
	case 'K': shift = 10; end++; break;
	case 'M': shift = 20; end++; break;
	case 'G': shift = 30; end++; break;
	default: return -EINVAL;
	}
	if (shift && (*end == 'i' || *end == 'I'))
		end++;
	if (shift && (*end == 'b' || *end == 'B'))
		end++;
	if (*end || (shift && v > (UINT64_MAX >> shift)))
		return -EINVAL;
	*out = (uint64_t)v << shift;
	return 0;
}

/*
 * Before anything is written: may @path become a device of the new file
 * system? It must not be used by a mount, must open read-write as a famfs
 * device, and must hold no famfs superblock unless @force.
 */
static int check_device(const char *path, bool force, bool secondary)
{
	uint8_t sbbuf[FAMFS_SB_SIZE];
	struct famfs_omf_sb sb;
	struct famfs_dev *dev;
	char mnt[4096];
	int rc;

	/* famfsd and every client would go on serving the old log. */
	if (find_famfs_mount(path, mnt, sizeof(mnt)))
		return say("%s: mounted at %s; famfs umount it first", path, mnt);
	if (famfs_devfind_in_use(path, mnt, sizeof(mnt)))
		return say("%s: a device of the famfs mounted at %s; famfs umount it first",
			   path, mnt);
	if (!secondary)
		return 0;
	famfs_errclear();
	rc = famfs_dev_open(path, true, &dev);
	if (rc)
		return fail(path, rc);
	rc = famfs_sigbus_fetch(sbbuf, dev->base, sizeof(sbbuf));
	famfs_dev_close(dev);
	if (rc)
		return fail(path, rc);
	rc = famfs_omf_sb_decode(sbbuf, sizeof(sbbuf), &sb) == 0 && !force;
	famfs_errclear();
	if (rc)
		return say("%s: famfs superblock exists; use -f", path);
	return 0;
}

/* Make @devs[1..n) devices 1.. of the file system just made on @devs[0]. */
static int add_devices(char **devs, int n, bool force)
{
	struct famfs_fs *fs;
	uint32_t idx;
	char u[37];
	int i, rc;

	famfs_errclear();
	rc = famfs_fs_open(devs[0], FAMFS_FS_WRITE, &fs);
	if (rc)
		return fail(devs[0], rc);
	for (i = 1; i < n; i++) {
		famfs_errclear();
		rc = famfs_fs_devadd(fs, devs[i], force, &idx);
		if (rc) {
			fail(devs[i], rc);
			break;
		}
		uuid_unparse(fs->devtab.dev[idx].uuid, u);
		printf("  device %u:         ", idx);
		puts_esc(stdout, devs[i]);
		printf(", %" PRIu64 " bytes, uuid %s\n", fs->devtab.span[idx].size, u);
	}
	if (fs->devtab.ndevs > 1)
		fputs(FAMFS_UPSTREAM_MASTER_WARNING, stderr);
	famfs_fs_close(fs);
	return rc ? 1 : 0;
}
#define OPT_FUSE	256

int main(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "force", no_argument, NULL, 'f' },
		{ "kill", no_argument, NULL, 'k' },
		{ "loglen", required_argument, NULL, 'l' },
		{ "features", required_argument, NULL, 'O' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "fuse", no_argument, NULL, OPT_FUSE },
		{ "nofuse", no_argument, NULL, 'F' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	int verbose = 0;
	uint64_t loglen = FAMFS_LOG_LEN_DEFAULT;
	bool force = false, kill = false;
	uint32_t features = 0;
	struct famfs_dev *dev = NULL;
	struct famfs_log *log = NULL;
	uint8_t sys[16];
	char u[37], s[37], pmsg[512];
	struct stat st;
	const char *path;
	char **devs;
	int c, rc, ndevs, i, j;

	famfs_help_alias(argc, argv);	/* upstream's -? */
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":fkl:O:vFh", lopts, NULL)) != -1) {
		switch (c) {
		case 'f': force = true; break;
		case 'k': kill = true; break;
		case 'O':
			if (parse_features(optarg, &features))
				return 2;
			break;
		case 'v': verbose++; break;
		case OPT_FUSE:
		case 'F':
			if (famfs_mode_flag("mkfs.famfs", c == 'F'))
				return 1;
			break;
		case 'l':
			if (parse_size(optarg, &loglen)) {
				say("bad log length '%s' (try 'mkfs.famfs --help')", optarg);
				return 2;
			}
			break;
		case 'h':
			fputs(help, stdout);
			return 0;
		case ':':
			say("option '%s' needs an argument (try 'mkfs.famfs --help')",
			    argv[optind - 1]);
			return 2;
		default:
			say("unknown option '%s' (try 'mkfs.famfs --help')", argv[optind - 1]);
			return 2;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "mkfs.famfs: missing DEV, e.g. truncate -s 4G /dev/shm/famfs0 && "
			"chmod 600 /dev/shm/famfs0 (try 'mkfs.famfs --help')\n");
		return 2;
	}
	devs = argv + optind;
	ndevs = argc - optind;
	if (ndevs > FAMFS_MAX_DAXDEVS) {
		fprintf(stderr, "mkfs.famfs: %d devices; a file system has at most %d (try "
			"'mkfs.famfs --help')\n", ndevs, FAMFS_MAX_DAXDEVS);
		return 2;
	}
	if (kill && !force) {
		fprintf(stderr, "mkfs.famfs: -k destroys the file system and requires -f "
			"(try 'mkfs.famfs --help')\n");
		return 2;
	}
	for (i = 0; i < ndevs; i++) {
		if (stat(devs[i], &st))
			continue;	/* the open below says why */
		for (j = i + 1; j < ndevs; j++)
			if (same_device(devs[i], &st, devs[j]))
				return say("%s and %s are the same device", devs[i], devs[j]);
	}
	path = devs[0];
	famfs_errclear();
	rc = famfs_system_uuid(sys);
	if (rc)
		return fail("system uuid", rc);
	for (i = 0; i < ndevs; i++)
		if (check_device(devs[i], force, i > 0 && !kill))
			return 1;
	for (i = 0; i < (kill ? ndevs : 1); i++) {
		famfs_errclear();
		rc = famfs_dev_open(devs[i], true, &dev);
		if (rc)
			return fail(devs[i], rc);
		famfs_errclear();
		rc = famfs_mkfs_features(dev, loglen, sys, force, kill, features);
		if (rc) {
			fail(devs[i], rc);
			famfs_dev_close(dev);
			return 1;
		}
		if (kill) {
			puts_esc(stdout, devs[i]);
			printf(": famfs superblock destroyed\n");
			famfs_dev_close(dev);
			dev = NULL;
		}
	}
	if (kill)
		return 0;
	famfs_errclear();
	rc = famfs_log_open(dev, &log);
	if (rc) {
		fail(path, rc);
		famfs_dev_close(dev);
		return 1;
	}
	if (famfs_dev_check_perms(path, pmsg, sizeof(pmsg)) == FAMFS_DEVPERM_WARN)
		say("warning: %s", pmsg);
	uuid_unparse(log->sb.uuid, u);
	uuid_unparse(log->sb.system_uuid, s);
	printf("famfs file system created on ");
	puts_esc(stdout, path);
	putchar('\n');
	printf("  uuid:             %s\n", u);
	printf("  master system:    %s\n", s);
	printf("  device size:      %" PRIu64 " (%.2f GiB)\n", log->sb.dev_size,
	       log->sb.dev_size / 1073741824.0);
	printf("  log:              offset %#" PRIx64 ", %" PRIu64 " bytes, %" PRIu64
	       " entries\n", log->sb.log_offset, log->sb.log_len, log->nslots);
	printf("  first data:       %#" PRIx64 "\n", log->sb.log_offset + log->sb.log_len);
	if (log->sb.flags & FAMFS_SB_FEAT_RM)
		printf("  features:         rm (deletes; host table of %d slots)\n",
		       FAMFS_HOSTS_NSLOTS);
	if (verbose) {
		const char *env = getenv("FAMFS_SYSTEM_UUID");

		uuid_unparse(log->sb.dev_uuid, u);
		printf("  device uuid:      %s\n", u);
		printf("  superblock:       [0, %#" PRIx64 "), %d bytes used\n",
		       (uint64_t)FAMFS_SB_REGION, FAMFS_SB_SIZE);
		printf("  log region:       [%#" PRIx64 ", %#" PRIx64 "), %d-byte header, "
		       "%d-byte entries\n", log->sb.log_offset,
		       log->sb.log_offset + log->sb.log_len, FAMFS_LOG_HDR_SIZE,
		       FAMFS_LOG_ENTRY_SIZE);
		printf("  alloc unit:       %#" PRIx64 "\n", log->sb.alloc_unit);
		printf("  version:          %" PRIu64 " (omf %u.%u)\n", log->sb.version,
		       log->sb.omf_major, log->sb.omf_minor);
		printf("  system uuid from: %s\n", env && *env ? "$FAMFS_SYSTEM_UUID" :
		       "/opt/famfs/system_uuid");
	}
	famfs_log_close(log);
	famfs_dev_close(dev);
	fflush(stdout);
	return ndevs > 1 ? add_devices(devs, ndevs, force) : 0;
}
