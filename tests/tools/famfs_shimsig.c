// SPDX-License-Identifier: Apache-2.0
/*
 * famfs_shimsig.c - test tool: a SIGALRM handler that uses famfs files
 * (write(2) at the shared offset of the fd the main code is using, a
 * pwrite(2) on a second file, and open/pread/close of it) while the main
 * code is inside the preload shim's read, write, open and close of the
 * same files. Every one of those calls is async-signal-safe, so under the
 * shim nothing may hang, and the file offset must come out as the kernel
 * would make it: each byte of the file claimed by exactly one call.
 *
 *   famfs_shimsig FILE OTHER [SECONDS]
 *
 * FILE is filled with 'M' (main) and 'H' (handler) bytes in write rounds,
 * read through in read rounds, and OTHER is opened and closed in churn
 * rounds; all run for SECONDS (default 3) with a 250 us interval timer
 * (the handler opens OTHER at every 4th signal of a churn round).
 * The work runs in a child; if the child has not finished within SECONDS
 * + 60 s it is stuck (a deadlock in the handler) and is killed.
 *
 * Prints "rounds W/R/C, N signals, B handler bytes"; exits 1 on a hang, a
 * count that does not add up, or a failed call.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define CHUNK	(256 * 1024)

static int fd, fd2;
static const char *other;
static off_t size, size2;
static volatile sig_atomic_t churn;
static volatile long hbytes, hsignals, herrors;

static void on_alarm(int sig)
{
	static const char rec[16] = "HHHHHHHHHHHHHHHH";
	char tmp[64];
	int saved = errno, f;
	ssize_t n;

	n = write(fd, rec, sizeof(rec));
	if (n > 0)
		hbytes += n;
	else if (errno != EFBIG)
		herrors++;
	if (pwrite(fd2, rec, sizeof(rec), (hsignals * 64) % (size2 - 64)) != sizeof(rec))
		herrors++;
	if (churn && hsignals % 4 == 0) {
		f = open(other, O_RDONLY);
		if (f < 0 || pread(f, tmp, sizeof(tmp), 0) != sizeof(tmp))
			herrors++;
		if (f >= 0)
			close(f);
	}
	hsignals++;
	errno = saved;
}

static void block(int how)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGALRM);
	sigprocmask(how, &set, NULL);
}

static int fail(const char *what)
{
	fprintf(stderr, "famfs_shimsig: %s: %s\n", what, strerror(errno));
	return 1;
}

/* One write round: main writes 'M' at the offset until EFBIG. */
static int write_round(void)
{
	static char buf[CHUNK], back[CHUNK];
	long mbytes = 0, nh = 0, nm = 0;
	off_t off;
	ssize_t n;

	memset(buf, 'M', sizeof(buf));
	block(SIG_BLOCK);
	if (lseek(fd, 0, SEEK_SET) != 0)
		return fail("lseek");
	hbytes = 0;
	block(SIG_UNBLOCK);
	while ((n = write(fd, buf, sizeof(buf))) > 0)
		mbytes += n;
	if (n < 0 && errno != EFBIG)
		return fail("write");
	block(SIG_BLOCK);
	off = lseek(fd, 0, SEEK_CUR);
	if (off != size || mbytes + hbytes != size) {
		fprintf(stderr, "famfs_shimsig: write round: offset %lld, main %ld + handler %ld "
			"bytes, file %lld\n", (long long)off, mbytes, (long)hbytes, (long long)size);
		return 1;
	}
	for (off = 0; off < size; off += n) {
		n = pread(fd, back, sizeof(back), off);
		if (n <= 0)
			return fail("pread");
		for (ssize_t i = 0; i < n; i++) {
			nh += back[i] == 'H';
			nm += back[i] == 'M';
		}
	}
	if (nh != hbytes || nm != mbytes) {
		fprintf(stderr, "famfs_shimsig: write round: file holds %ld H and %ld M, "
			"handler wrote %ld, main %ld\n", nh, nm, (long)hbytes, mbytes);
		return 1;
	}
	block(SIG_UNBLOCK);
	return 0;
}

/* One read round: main reads to EOF while the handler writes at the offset. */
static int read_round(void)
{
	static char buf[65536];
	long mbytes = 0;
	ssize_t n;

	block(SIG_BLOCK);
	if (lseek(fd, 0, SEEK_SET) != 0)
		return fail("lseek");
	hbytes = 0;
	block(SIG_UNBLOCK);
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		mbytes += n;
	if (n < 0)
		return fail("read");
	block(SIG_BLOCK);
	if (mbytes + hbytes != size) {
		fprintf(stderr, "famfs_shimsig: read round: main read %ld + handler wrote %ld "
			"bytes, file %lld\n", mbytes, (long)hbytes, (long long)size);
		return 1;
	}
	block(SIG_UNBLOCK);
	return 0;
}

/* One churn round: main opens, reads and closes OTHER; so does the handler. */
static int churn_round(void)
{
	char tmp[64];
	int i, f;

	churn = 1;
	for (i = 0; i < 50; i++) {
		f = open(other, O_RDWR);
		if (f < 0)
			return fail("open");
		if (pread(f, tmp, sizeof(tmp), 4096) != sizeof(tmp))
			return fail("pread");
		close(f);
	}
	churn = 0;
	return 0;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int work(const char *path, double secs)
{
	struct itimerval it = { { 0, 250 }, { 0, 250 } };
	struct sigaction sa;
	long rounds[3] = { 0 };
	double end;
	int rc = 0;

	fd = open(path, O_RDWR);
	fd2 = open(other, O_RDWR);
	if (fd < 0 || fd2 < 0)
		return fail("open");
	size = lseek(fd, 0, SEEK_END);
	size2 = lseek(fd2, 0, SEEK_END);
	if (size < CHUNK || size2 < 4096 + 64) {
		errno = EINVAL;
		return fail("files too small");
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;
	sa.sa_flags = SA_RESTART;
	sigaction(SIGALRM, &sa, NULL);
	setitimer(ITIMER_REAL, &it, NULL);
	for (end = now() + secs; !rc && now() < end;) {
		rc = write_round();
		rounds[0]++;
		rc = rc ? rc : read_round();
		rounds[1]++;
		rc = rc ? rc : churn_round();
		rounds[2]++;
	}
	it = (struct itimerval){ 0 };
	setitimer(ITIMER_REAL, &it, NULL);
	if (herrors) {
		fprintf(stderr, "famfs_shimsig: %ld failed calls in the handler\n", (long)herrors);
		rc = 1;
	}
	printf("rounds %ld/%ld/%ld, %ld signals, %ld handler bytes\n", rounds[0], rounds[1],
	       rounds[2], (long)hsignals, (long)hbytes);
	fflush(stdout);
	return rc;
}

int main(int argc, char **argv)
{
	double secs = argc > 3 ? atof(argv[3]) : 3;
	int pfd, st;
	pid_t pid;
	struct pollfd p;

	if (argc < 3 || secs <= 0) {
		fprintf(stderr, "usage: famfs_shimsig FILE OTHER [SECONDS]\n");
		return 2;
	}
	other = argv[2];
	fflush(stdout);
	pid = fork();
	if (pid < 0)
		return fail("fork");
	if (pid == 0)
		_exit(work(argv[1], secs));
	pfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (pfd < 0)
		return fail("pidfd_open");
	p = (struct pollfd){ .fd = pfd, .events = POLLIN };
	if (poll(&p, 1, (int)((secs + 60) * 1000)) == 0) {
		kill(pid, SIGKILL);
		waitpid(pid, &st, 0);
		fprintf(stderr, "famfs_shimsig: the child hung (a deadlock in the signal "
			"handler): killed after %.0f s\n", secs + 60);
		return 1;
	}
	if (waitpid(pid, &st, 0) != pid)
		return fail("waitpid");
	if (!WIFEXITED(st) || WEXITSTATUS(st)) {
		fprintf(stderr, "famfs_shimsig: the child failed (status %#x)\n", st);
		return 1;
	}
	return 0;
}
