// SPDX-License-Identifier: Apache-2.0
/*
 * cmd_getmap.c - famfs getmap: a file's size and extents, as logged
 * (text or JSON), as the V10 GET_FMAP bytes (--raw), or the name of a
 * mount's device (--daxdev).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "famfs/err.h"
#include "famfs/fmap.h"
#include "famfs/ioctl.h"
#include "famfs/ns.h"
#include "cli.h"

static const char help[] =
"usage: famfs getmap [--json] [-q] [-v] FILE\n"
"       famfs getmap --raw FILE\n"
"       famfs getmap --daxdev N MNT\n"
"\n"
"Print a file's size and where its bytes live in the device, as logged.\n"
"Simple files list their extents (device index, offset, length, in hex);\n"
"interleaved files list the strip count, chunk size and strips.\n"
"\n"
"  -j, --json       print JSON\n"
"  -q, --quiet      print nothing, not even errors: the exit status says\n"
"                   what FILE is\n"
"  -v, --verbose    also print the mode, owner, group and the log entry\n"
"  -R, --raw        write the V10 GET_FMAP reply bytes to stdout (from\n"
"                   famfsd through FAMFS_IOC_GET_FMAP on a mount, or\n"
"                   encoded from the log with --device)\n"
"  -d, --daxdev N   ask famfsd on MNT for the name of device N\n"
"                   (--json, --raw and --daxdev exclude each other)\n"
"  -?, --help       this help\n"
"\n"
"Exit status (upstream's): 0 a famfs file with a map; 1 not a famfs file\n"
"(or an error); 2 in a famfs mount but without a map in the log; 9 FILE\n"
"does not exist; 21 FILE is a directory (or not a regular file); 22 bad\n"
"usage, such as a missing FILE.\n"
"\n"
"Example:\n"
"  famfs getmap /mnt/famfs/a/b/f\n"
"  famfs --device /dev/shm/famfs0 getmap --json a/b/f\n"
"  famfs getmap --raw /mnt/famfs/f | xxd | head\n";

/* upstream's exit codes: errno values for a missing or non-regular path */
#define GETMAP_NOT_FAMFS	1
#define GETMAP_NO_MAP		2
#define GETMAP_ENOENT		9	/* upstream returns EBADF */
#define GETMAP_EISDIR		21
#define GETMAP_USAGE		22

static void print_ext_text(const char *what, unsigned int i, const struct famfs_omf_extent *e)
{
	printf("  %s %u: devindex %" PRIu64 " offset %#" PRIx64 " len %#" PRIx64 "\n",
	       what, i, e->devindex, e->offset, e->len);
}

/* {"path", "size", "ino", "type", then nstrips/chunk_size/strips or nextents/extents} */
static json_t *map_json(const char *path, const struct famfs_node *n, bool il,
			const struct famfs_omf_extent *ext, unsigned int cnt)
{
	const struct famfs_omf_fmap *m = n->fmap;
	json_t *o = json_object(), *a = json_array(), *e;
	bool bad = !o || !a;

	bad = bad || cli_json_set_str(o, "path", path) || cli_json_set_u64(o, "size", n->size) ||
	      cli_json_set_u64(o, "ino", n->ino) ||
	      json_object_set_new(o, "type", json_string(il ? "interleave" : "simple"));
	if (il)
		bad = bad || cli_json_set_u64(o, "nstrips", m->nstrips) ||
		      cli_json_set_u64(o, "chunk_size", m->chunk_size);
	else
		bad = bad || cli_json_set_u64(o, "nextents", m->nextents);
	for (unsigned int i = 0; !bad && i < cnt; i++) {
		e = json_object();
		bad = !e || cli_json_set_u64(e, "devindex", ext[i].devindex) ||
		      cli_json_set_u64(e, "offset", ext[i].offset) ||
		      cli_json_set_u64(e, "len", ext[i].len) || json_array_append_new(a, e);
	}
	if (!bad && !json_object_set(o, il ? "strips" : "extents", a)) {
		json_decref(a);
		return o;
	}
	json_decref(a);
	json_decref(o);
	return NULL;
}

static int print_map(const char *path, const struct famfs_node *n, bool json)
{
	const struct famfs_omf_fmap *m = n->fmap;
	bool il = m->ext_type == FAMFS_EXT_INTERLEAVE;
	unsigned int cnt = il ? (unsigned int)m->nstrips : m->nextents;
	const struct famfs_omf_extent *ext = il ? m->strips : m->se;

	if (cnt > FAMFS_OMF_MAX_SIMPLE_EXTENTS)
		cnt = FAMFS_OMF_MAX_SIMPLE_EXTENTS;
	if (json)
		return cli_json_print(map_json(path, n, il, ext, cnt));
	fputs("File: ", stdout);
	cli_fputs_esc(stdout, path);
	putchar('\n');
	printf("  size: %" PRIu64 "\n", n->size);
	if (cli_verbose) {
		printf("  mode: %04o\n  uid: %u\n  gid: %u\n", n->mode & 07777, n->uid, n->gid);
		if (n->log_index != FAMFS_NO_INDEX)
			printf("  log entry: %" PRIu64 "\n", n->log_index);
	}
	if (il) {
		printf("  type: interleave\n  nstrips: %" PRIu64 "\n  chunk: %#" PRIx64 "\n",
		       m->nstrips, m->chunk_size);
		for (unsigned int i = 0; i < cnt; i++)
			print_ext_text("strip", i, &ext[i]);
	} else {
		printf("  type: simple\n  extents: %u\n", m->nextents);
		for (unsigned int i = 0; i < cnt; i++)
			print_ext_text("extent", i, &ext[i]);
	}
	return CLI_OK;
}

static int write_all(const uint8_t *p, size_t len)
{
	while (len) {
		ssize_t w = write(STDOUT_FILENO, p, len);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -errno;
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

static int getmap_raw(const char *path, const struct cli_target *t)
{
	uint8_t *buf = calloc(1, FAMFS_FMAP_MSG_MAX);
	struct famfs_omf_file f;
	struct famfs_fmap *map = NULL;
	struct famfs_node *n;
	struct famfs_fs *fs;
	ssize_t len;
	int fd, rc = CLI_FAIL;

	if (!buf)
		return cli_fail(path, -ENOMEM);
	if (t->mnt[0]) {
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			cli_fail(path, -errno);
			goto out;
		}
		len = ioctl(fd, FAMFS_IOC_GET_FMAP, buf);
		if (len < 0)
			cli_failf(path, "FAMFS_IOC_GET_FMAP: %s", strerror(errno));
		close(fd);
		if (len < 0)
			goto out;
	} else {
		fs = cli_fs_open(t, false, path);
		if (!fs)
			goto out;
		n = famfs_ns_resolve(fs->ns, t->rel);
		if (!n || !S_ISREG(n->mode)) {
			if (n)
				cli_failf(path, "not a regular file");
			else
				cli_fail(path, -ENOENT);
			goto out;
		}
		memset(&f, 0, sizeof(f));
		f.size = n->size;
		f.uid = n->uid;
		f.gid = n->gid;
		f.mode = n->mode & 07777;
		f.fmap = *n->fmap;
		map = malloc(sizeof(*map));
		famfs_errclear();
		if (!map || (rc = famfs_fmap_from_omf(&f, map)) ||
		    (len = famfs_fmap_encode(map, buf, FAMFS_FMAP_MSG_MAX)) < 0) {
			cli_fail(path, !map ? -ENOMEM : rc ? rc : (int)len);
			rc = CLI_FAIL;
			goto out;
		}
	}
	rc = write_all(buf, (size_t)len) ? cli_fail("stdout", -errno) : CLI_OK;
out:
	free(map);
	free(buf);
	return rc;
}

static int getmap_daxdev(const char *arg, const char *mnt)
{
	uint8_t buf[FAMFS_DAXDEV_OUT_SIZE] = { 0 };
	char name[FAMFS_DAXDEV_NAME_MAX];
	uint16_t idx;
	uint64_t v;
	int fd, rc;

	if (cli_parse_uint(arg, 0xffff, &v))
		return cli_usage("bad device index '%s'", arg);
	buf[0] = (uint8_t)v;
	buf[1] = (uint8_t)(v >> 8);
	fd = open(mnt, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return cli_fail(mnt, -errno);
	rc = ioctl(fd, FAMFS_IOC_GET_DAXDEV, buf);
	if (rc < 0) {
		rc = errno;
		close(fd);
		if (rc == ENOTTY)
			return cli_failf(mnt, "not a famfs mount (FAMFS_IOC_GET_DAXDEV: %s)",
					 strerror(rc));
		return cli_failf(mnt, "device %s: %s", arg, strerror(rc));
	}
	close(fd);
	famfs_errclear();
	rc = famfs_daxdev_out_decode(buf, sizeof(buf), &idx, name);
	if (rc)
		return cli_fail(mnt, rc);
	printf("%u ", idx);
	cli_fputs_esc(stdout, name);
	putchar('\n');
	return CLI_OK;
}

/*
 * What FILE is, as upstream's getmap says it with its exit status. Prints
 * why (unless -q) and returns the code, or returns 0 with *@np set.
 */
static int getmap_lookup(const char *path, struct cli_target *t,
			 const struct famfs_node **np)
{
	const struct famfs_node *n;
	struct famfs_fs *fs;
	struct stat st;

	if (!cli_device) {
		if (stat(path, &st)) {
			cli_fail(path, -errno);
			return errno == ENOENT || errno == ENOTDIR ? GETMAP_ENOENT : GETMAP_NOT_FAMFS;
		}
		if (!S_ISREG(st.st_mode)) {
			cli_failf(path, "not a regular file");
			return GETMAP_EISDIR;
		}
	}
	if (cli_target(path, t))
		return GETMAP_NOT_FAMFS;
	fs = cli_fs_open(t, false, path);
	if (!fs)
		return GETMAP_NOT_FAMFS;
	n = cli_meta_node(fs, t);
	if (!n)
		n = famfs_ns_resolve(fs->ns, t->rel);
	if (!n && cli_log_damaged)
		return GETMAP_NOT_FAMFS;	/* maybe past the bad entry: said so */
	if (!n) {
		if (cli_device) {
			cli_fail(path, -ENOENT);
			return GETMAP_ENOENT;
		}
		cli_failf(path, "in a famfs mount, but the log has no map for it");
		return GETMAP_NO_MAP;
	}
	if (!S_ISREG(n->mode)) {
		cli_failf(path, "not a regular file");
		return GETMAP_EISDIR;
	}
	*np = n;
	return 0;
}

int cmd_getmap(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "raw", no_argument, NULL, 'R' },
		{ "daxdev", required_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	bool json = false, quiet = false, raw = false;
	const char *daxdev = NULL, *path;
	struct cli_target t;
	const struct famfs_node *n = NULL;
	int c, rc;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":jqvRd:h", lopts, NULL)) != -1) {
		switch (c) {
		case 'j': json = true; break;
		case 'q': quiet = true; break;
		case 'v': cli_verbose++; break;
		case 'R': raw = true; break;
		case 'd': daxdev = optarg; break;
		case 'h': return cli_help(help);
		default:
			cli_quiet = quiet;
			cli_getopt_error(c, argv);
			return GETMAP_USAGE;
		}
	}
	cli_quiet = quiet;
	if (raw + !!daxdev + json > 1) {
		cli_usage("--json, --raw and --daxdev exclude each other");
		return GETMAP_USAGE;
	}
	if (quiet && (raw || daxdev)) {
		cli_quiet = false;
		cli_usage("--quiet goes with neither --raw nor --daxdev");
		return GETMAP_USAGE;
	}
	if (optind + 1 != argc) {
		cli_usage(optind >= argc ? "missing FILE" : "exactly one FILE expected");
		return GETMAP_USAGE;
	}
	path = argv[optind];
	if (daxdev) {
		if (cli_device)
			return cli_usage("--daxdev needs a mount, not --device");
		return getmap_daxdev(daxdev, path);
	}
	if (raw)
		return cli_target(path, &t) ? CLI_FAIL : getmap_raw(path, &t);
	rc = getmap_lookup(path, &t, &n);
	if (rc)
		return rc;
	return quiet ? CLI_OK : print_map(t.rel, n, json);
}
