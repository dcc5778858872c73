/* SPDX-License-Identifier: Apache-2.0 */
/*
 * upstream_opts.h - upstream famfs's command-line conventions that both
 * famfs and mkfs.famfs keep: -? means --help, and the --fuse / --nofuse
 * mode flags. Compiled into both programs (not part of libfamfs).
 */
#ifndef FAMFS_UPSTREAM_OPTS_H
#define FAMFS_UPSTREAM_OPTS_H

#include <stdbool.h>

/*
 * Turn each "-?" among @argv[1..@argc) into "--help" before getopt sees
 * it, up to a "--" (after which arguments are operands).
 */
void famfs_help_alias(int argc, char **argv);

/*
 * --fuse or --nofuse (@nofuse) was given to @prog ("famfs mount",
 * "mkfs.famfs"): famfs here always mounts through FUSE and the on-media
 * format does not depend on the mode, so say that once on stderr. --nofuse
 * asks for the kernel's famfs and is refused on a kernel without the
 * famfs module. 0, or -1 after one line saying why.
 */
int famfs_mode_flag(const char *prog, bool nofuse);

#endif
