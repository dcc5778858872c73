/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cli.h - what the famfs verbs share: the verb table entry, the global
 * options, target resolution (device vs mount), error printing, size
 * parsing, JSON output, a progress bar and the seeded test pattern.
 *
 * Conventions every verb follows:
 *   --help/-h/-?   usage to stdout, exit 0 (fsck: -h is --human; main turns
 *                  upstream's -? into --help for every verb)
 *   -v/--verbose   repeatable; each verb counts it into cli_verbose
 *   bad usage      one line on stderr ending in "(try 'famfs VERB --help')", exit 2
 *   failure        one line "famfs VERB: <path>: <detail>" on stderr, exit 1
 */
#ifndef FAMFS_CLI_H
#define FAMFS_CLI_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <jansson.h>

#include "famfs/fs.h"
#include "famfs/omf.h"

#define CLI_OK		0
#define CLI_FAIL	1
#define CLI_USAGE	2
#define CLI_NOT_SERVED	3	/* cli_creat_famfsd: an older famfsd, or the path
				 * exists: make or find it here */

struct cli_verb {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *summary;
};

/* Global options (set by main before a verb runs). */
extern const char *cli_device;		/* --device DEV, or NULL */
extern const char *cli_verb_name;	/* the running verb, for messages */
extern bool cli_log_damaged;		/* replay stopped at a bad entry: exit 1 */
extern int cli_verbose;			/* how many -v the verb was given */
extern bool cli_quiet;			/* print no error lines (getmap -q) */

/* Verb entry points (src/cli/cmd_<verb>.c). */
int cmd_fsck(int argc, char **argv);
int cmd_mkdir(int argc, char **argv);
int cmd_creat(int argc, char **argv);
int cmd_cp(int argc, char **argv);
int cmd_verify(int argc, char **argv);
int cmd_getmap(int argc, char **argv);
int cmd_ls(int argc, char **argv);
int cmd_logplay(int argc, char **argv);
int cmd_flush(int argc, char **argv);
int cmd_chkread(int argc, char **argv);
int cmd_mount(int argc, char **argv);
int cmd_umount(int argc, char **argv);
int cmd_stats(int argc, char **argv);
int cmd_poison(int argc, char **argv);
int cmd_rm(int argc, char **argv);
int cmd_rmdir(int argc, char **argv);
int cmd_host(int argc, char **argv);
int cmd_tune(int argc, char **argv);
int cmd_devadd(int argc, char **argv);
int cmd_daxdev(int argc, char **argv);

/* The program run as mount.famfs (mount_helper.c). */
int mount_helper_main(int argc, char **argv);

/* --- util.c --- */

/*
 * Print "famfs VERB: PATH: DETAIL" on stderr, where DETAIL is
 * famfs_errmsg() when the library set one, else strerror(-err). Clears
 * the library detail. Returns CLI_FAIL.
 */
int cli_fail(const char *path, int err);

/*
 * Print "famfs VERB: PATH: <printf>" on stderr. Returns CLI_FAIL.
 * These three printers escape control characters in the whole line (a path
 * with a newline prints as a\nb), so every message stays on one line.
 */
int cli_failf(const char *path, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/*
 * Print "PATH: <printf>" on stdout (PATH escaped; none when NULL): what a
 * verb reports with -v.
 */
void cli_sayf(const char *path, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Print "famfs VERB: <printf> (try 'famfs VERB --help')". Returns CLI_USAGE. */
int cli_usage(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * Write @s with control characters escaped: \n, \r, \t, and \xHH for the
 * others (and DEL). Other bytes, backslash included, are written as they are.
 */
void cli_fputs_esc(FILE *f, const char *s);

/* The same into @buf (truncated to @len - 1 bytes); returns @buf. */
const char *cli_esc(const char *s, char *buf, size_t len);

/* Print @text to stdout and return CLI_OK (for --help). */
int cli_help(const char *text);

/*
 * Parse a size: decimal, 0x hex or 0 octal, with an optional K/M/G/T
 * suffix (powers of 1024, "KiB"/"KB"/"k" accepted). -EINVAL for junk,
 * -ERANGE on overflow.
 */
int cli_parse_size(const char *s, uint64_t *out);

/* Parse an unsigned number (any base) no larger than @max. */
int cli_parse_uint(const char *s, uint64_t max, uint64_t *out);

/* Parse an octal mode of at most 07777. */
int cli_parse_mode(const char *s, uint32_t *out);

/* Report a getopt '?' or ':' as a usage error. Returns CLI_USAGE. */
int cli_getopt_error(int c, char **argv);

/* Parse -m MODE, -u UID or -g GID (@c says which). CLI_OK or CLI_USAGE. */
int cli_parse_ids(int c, const char *arg, uint32_t *mode, uint32_t *uid, uint32_t *gid);

/* Parse -N NSTRIPS, -B NBUCKETS or -C CHUNK into @ip. CLI_OK or CLI_USAGE. */
int cli_parse_interleave(int c, const char *arg, struct famfs_interleave_param *ip);

/*
 * Fill defaults into @ip and validate it for @fs's devices. *@out is NULL
 * (contiguous) when no interleave option was given, else @ip. CLI_OK or
 * CLI_FAIL (printed).
 */
int cli_check_interleave(struct famfs_fs *fs, const char *path,
			 struct famfs_interleave_param *ip,
			 const struct famfs_interleave_param **out);


/* A progress bar on stderr; it is only drawn when @enabled. */
struct cli_progress {
	bool enabled;
	uint64_t total;
	uint64_t done;
	int last_pct;
};
void cli_progress_init(struct cli_progress *p, uint64_t total, bool enabled);
void cli_progress_add(struct cli_progress *p, uint64_t n);
void cli_progress_done(struct cli_progress *p);

/*
 * The seeded test pattern: byte @off of a file filled with @seed is byte
 * (off % 8) of the little-endian word cli_pattern_word(seed, off / 8), so
 * any byte range can be filled or checked on its own.
 */
uint64_t cli_pattern_word(uint64_t seed, uint64_t word_index);
void cli_pattern_fill(uint64_t seed, uint64_t off, uint8_t *buf, uint64_t len);

/*
 * Compare @len bytes at @buf with the pattern for file offset @off. Returns
 * -1 when they match, else the file offset of the first mismatch.
 */
int64_t cli_pattern_check(uint64_t seed, uint64_t off, const uint8_t *buf, uint64_t len);

/*
 * Ask the user to confirm @what on the terminal ("yes" or "y"): true if
 * confirmed. Without a terminal on stdin, false after printing one line
 * saying to add -y. @yes (the verb's -y) confirms without asking.
 */
bool cli_confirm(const char *what, bool yes);

/* upstream's --fuse/--nofuse for this verb: CLI_OK, or CLI_FAIL (printed). */
int cli_mode_flag(bool nofuse);

/*
 * Run @fn(@ctx, i) for every i in [0, @njobs), on up to @nthreads threads
 * (0 or 1: in this thread, in order). Each job reports its own result
 * through @ctx.
 */
typedef void (*cli_job_fn)(void *ctx, size_t i);
void cli_parallel(unsigned int nthreads, size_t njobs, cli_job_fn fn, void *ctx);

/* Parse -t N, a thread count (0..256; 0 means none). CLI_OK or CLI_USAGE. */
int cli_parse_threads(const char *arg, unsigned int *out);

/* Monotonic milliseconds, and a short sleep for polling with a deadline. */
uint64_t cli_now_ms(void);
void cli_sleep_ms(long ms);

/* --- json.c: --json output through jansson --- */

/*
 * Set @obj[@key] to the string @s. Not valid UTF-8: each stray byte becomes
 * U+FFFD and @obj[@key "_hex"] holds the exact bytes in hex. 0 or -ENOMEM.
 */
int cli_json_set_str(json_t *obj, const char *key, const char *s);
int cli_json_set_u64(json_t *obj, const char *key, uint64_t v);

/*
 * Print @root (indented, one trailing newline) and drop it. A NULL @root
 * (an allocation failed while building it) prints the error. CLI_OK or
 * CLI_FAIL.
 */
int cli_json_print(json_t *root);

/* --- target.c --- */

/* Where a user path lives. */
struct cli_target {
	char dev[4096];			/* the device path */
	char mnt[4096];			/* the mount point, "" with --device */
	char rel[FAMFS_OMF_PATH_MAX];	/* relative to the root, "" = root */
	bool ro;			/* the mount's options include ro */
	unsigned int conn;		/* FUSE connection id (minor of st_dev), 0 if
					   unknown or with --device */
	int mnt_id;			/* the mount's id (0 with --device) */
	uint64_t st_dev;		/* the mount's st_dev (0 with --device) */
};

/*
 * Resolve @path: with --device it must be relative and is normalised;
 * otherwise the mount it lies on (a path that does not exist yet is
 * resolved through its parent directory) must be a fuse.famfs mount made
 * by root (famfs_trust_mount). On failure prints the one-line error and
 * returns CLI_FAIL; returns CLI_OK on success.
 */
int cli_target(const char *path, struct cli_target *t);

/*
 * Find the trusted famfs mount whose mount point is exactly @mnt (after
 * realpath). Fills t->dev and t->mnt, t->rel = "". -ENOENT if not a famfs
 * mount, -EPERM (famfs_errmsg says why) if not a trusted one.
 */
int cli_find_mount_exact(const char *mnt, struct cli_target *t);

/*
 * Find a trusted famfs mount of this machine whose source is the device
 * file @dev (the same path, or the same char device or file). Reads only
 * the mount table. 0 and t->mnt, t->dev filled; -ENOENT if the device is
 * not mounted.
 */
int cli_find_dev_mount(const char *dev, struct cli_target *t);

/*
 * Find the trusted famfs mount whose mount point is the text @abs
 * (absolute, no trailing slash), reading only the mount table: nothing
 * touches the mount, so this works on a hung or dead famfsd. -ENOENT if
 * not a famfs mount, -EPERM if not a trusted one.
 */
int cli_find_mount_text(const char *abs, struct cli_target *t);

/*
 * Before the device of mount target @t is opened: confirm with its famfsd
 * that the mount serves that device (famfs_trust_confirm: INFO and the
 * superblock uuid). CLI_OK, or prints one line naming @what and returns
 * CLI_FAIL. A no-op with --device; done once per mount per process.
 */
int cli_confirm_mount(const struct cli_target *t, const char *what);

/*
 * Open the file system for @t (cached: the same device is opened once per
 * process) and catch it up with the log. With @write the device is mapped
 * read-write; a target in a read-only mount is refused ("read-only mount",
 * naming @what). Prints the error and returns NULL on failure.
 */
struct famfs_fs *cli_fs_open(const struct cli_target *t, bool write, const char *what);
void cli_fs_close_all(void);

/*
 * Resolve the @n path arguments @args of the writing command @verb ("mkdir",
 * "rm"): all on one file system, opened for writing. Returns it, with the
 * targets in a new array *@out (free() it), or NULL with the error printed.
 */
struct famfs_fs *cli_open_targets(char **args, int n, const char *verb,
				  struct cli_target **out);

/*
 * The regular famfs file at @path (in a mount, or relative to the root
 * with --device): resolve @t, open the file system read-only (*@fsp) and
 * look the file up. Prints one line and returns NULL on failure; with
 * @quiet, "no such file" and "not a regular file" are not printed.
 */
const struct famfs_node *cli_open_file(const char *path, struct cli_target *t,
				       struct famfs_fs **fsp, bool quiet);

/*
 * The .meta/.superblock or .meta/.log file that @t names in a mount, as a
 * file node whose one extent is its device range; NULL for any other path
 * (and with --device, where .meta is not shown). The node stays valid until
 * the next call for the same kind.
 */
const struct famfs_node *cli_meta_node(struct famfs_fs *fs, const struct cli_target *t);

/*
 * The interleave defaults of @t's mount: the .meta/.alloc.cfg its famfsd
 * serves (read through the user.famfs.alloc_cfg xattr, which needs no
 * open). Leaves @ip alone when there is none, and with --device. CLI_OK,
 * or CLI_FAIL (printed) when it cannot be read or parsed.
 */
int cli_alloc_cfg(const struct cli_target *t, struct famfs_interleave_param *ip);

typedef int (*cli_run_fn)(void *ctx, uint64_t off, uint8_t *p, uint64_t len);

/* One file for cli_walk_files(); put it first in a job of one's own. */
struct cli_file_job {
	const char *path;
	struct cli_target t;		/* resolved by the caller */
	const struct famfs_node *n;	/* cli_walk_files: valid during the walk only */
	uint64_t size;			/* set by cli_walk_files: the file's size */
	int rc;				/* the walk's result; -ECANCELED: not walked */
};

/*
 * Walk each job's file with @fn (its ctx is the job), on up to @threads
 * threads, one device at a time: consecutive jobs on the same device are
 * looked up in it (opened for writing with @write), then walked together.
 * CLI_OK, or CLI_FAIL when a device or a file could not be found (printed;
 * those jobs get -ECANCELED). Each job's walk result is in job->rc and its
 * file's size in job->size. job->n is NULL afterwards: the next device's
 * file system replaces this one's (cli_fs_open keeps one), freeing its nodes.
 */
int cli_walk_files(struct cli_file_job **jobs, size_t njobs, bool write, unsigned int threads,
		   cli_run_fn fn);

/* Open the mount root O_RDONLY|O_DIRECTORY; -errno on failure. */
int cli_mount_root_fd(const char *mnt);

/* Ask famfsd on @mnt to catch up with the log now (no-op with --device). */
void cli_kick_logplay(const struct cli_target *t);

/* The same for each distinct mount among the @n targets @t. */
void cli_kick_logplay_all(const struct cli_target *t, int n);

/*
 * A DEV or MNT argument: a directory names a famfs mount, confirmed with
 * its famfsd (cli_confirm_mount; its device goes into @dev, *@mnt true),
 * anything else is the device itself. Prints the error and returns
 * CLI_FAIL for a directory that is not in a trusted famfs mount.
 */
int cli_dev_or_mount(const char *arg, char *dev, size_t len, bool *mnt);

/*
 * Refuse creating on a client: prints "...: this host is a client ..."
 * and returns CLI_FAIL, or CLI_OK on the master.
 */
int cli_require_master(struct famfs_fs *fs, const char *path);

/*
 * Writers (creat, cp, mkdir) refuse a relative path in .meta: every mount
 * shows the device's superblock and log there, and a log written before
 * .meta was reserved may hold such a path as an ordinary file. CLI_OK, or
 * CLI_FAIL after one line naming @what.
 */
int cli_refuse_meta(const char *what, const char *rel);

/*
 * Call @fn for each run of file @n that is contiguous in the device
 * mapping, in file order, clipped to the file size. A non-zero return
 * from @fn stops the walk and is returned; -EIO if a range has no mapping.
 */
int cli_for_each_run(struct famfs_fs *fs, const struct famfs_node *n, cli_run_fn fn, void *ctx);

/* What famfs creat makes (creat_famfsd.c). */
struct cli_creat_args {
	uint64_t size;
	uint32_t mode, uid, gid;
	const struct famfs_interleave_param *ip;	/* NULL: contiguous */
	bool zero;					/* not --no-zero */
};

/*
 * Make the file of @a at the mounted target @t (@path as the user gave it)
 * through the mount's famfsd (FAMFS_IOC_CREAT). CLI_OK, CLI_FAIL (printed),
 * or CLI_NOT_SERVED when famfsd is too old to create files or the path
 * exists already: nothing was done or printed, make or find it here.
 */
int cli_creat_famfsd(const struct cli_target *t, const char *path,
		     const struct cli_creat_args *a);

#endif
