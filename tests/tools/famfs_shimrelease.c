// SPDX-License-Identifier: Apache-2.0
/*
 * famfs_shimrelease.c - test tool: the preload shim's last close of a
 * famfs file lets go of its mount's log mapping (libfamfs's mount table
 * lock) while a signal handler or fork(2) gets in the way. Run it under
 * the shim; a hang is for the caller's deadline to catch (a deadlock
 * leaves nothing here to wait for).
 *
 *   famfs_shimrelease DEVICES sigclose FILE OTHER [N]
 *	OTHER is opened N times (default 2000) and each fd read once
 *	(mapped); a 50 us interval timer's SIGALRM handler closes one of
 *	them at each signal, while the main code loops open, read, close
 *	of FILE until the handler has closed all N. A handler that lets go
 *	of a mount while the code it interrupted holds the lock waits for
 *	itself for ever. With FILE alone on another mount, each of its
 *	closes is that mount's last and unmaps its log under the lock.
 *   famfs_shimrelease DEVICES fork FILE [CYCLES]
 *	A thread runs CYCLES (default 20000) open, mmap, close, read, munmap
 *	cycles of FILE (the munmap drops the last reference inside the
 *	shim's locked code, which lets go of the mount on its way out); the
 *	main thread forks children that exit at once until it is done.
 *	fork's prepare handlers take libfamfs's lock, then the shim's: a
 *	release taking them the other way round hangs both threads.
 *
 * DEVICES: the devices of the mounts of FILE and OTHER, separated by
 * commas. When all is closed and unmapped, no mapping of one (a log's) may
 * be left in the process.
 * Prints what it did and "M device mappings left"; exits 1 if a call
 * failed or a mapping is left.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAP_LEN (2UL << 20)

static int *fds, nfd;
static volatile sig_atomic_t next, bad;

static void on_alarm(int sig)
{
	int saved = errno;

	(void)sig;
	if (next < nfd) {
		if (close(fds[next]) < 0)
			bad = 1;
		next = next + 1;
	}
	errno = saved;
}

static int sigclose(const char *file, const char *other, int n)
{
	struct itimerval it = { { 0, 50 }, { 0, 50 } };
	struct sigaction sa;
	struct rlimit rl;
	long loops = 0;
	int fd, failed = 0;
	char c;

	/* N fds, and the shim's own duplicate of each file. */
	nfd = n;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < (rlim_t)nfd * 2 + 64) {
		rl.rlim_cur = (rlim_t)nfd * 2 + 64;
		if (rl.rlim_cur > rl.rlim_max || setrlimit(RLIMIT_NOFILE, &rl) < 0) {
			fprintf(stderr, "famfs_shimrelease: cannot have %d fds open\n", nfd);
			return 1;
		}
	}
	fds = calloc(nfd, sizeof(*fds));
	if (!fds)
		return 1;
	for (next = 0; next < nfd; next++) {
		fds[next] = open(other, O_RDONLY);
		if (fds[next] < 0 || read(fds[next], &c, 1) != 1) {
			perror(other);
			return 1;
		}
	}
	next = 0;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;
	sa.sa_flags = SA_RESTART;
	if (sigaction(SIGALRM, &sa, NULL) < 0 || setitimer(ITIMER_REAL, &it, NULL) < 0) {
		perror("timer");
		return 1;
	}
	while (next < nfd) {
		fd = open(file, O_RDONLY);
		if (fd < 0 && errno == EINTR)
			continue;
		if (fd < 0 || read(fd, &c, 1) != 1 || close(fd) < 0) {
			fprintf(stderr, "famfs_shimrelease: %s: %s\n", file, strerror(errno));
			failed = 1;
			break;
		}
		loops++;
	}
	memset(&it, 0, sizeof(it));
	setitimer(ITIMER_REAL, &it, NULL);
	printf("%d handler closes, %ld main loops\n", (int)next, loops);
	if (bad)
		fprintf(stderr, "famfs_shimrelease: a handler's close failed\n");
	return failed || bad;
}

static const char *map_path;
static long cycles;
static atomic_long done;
static atomic_int map_failed;

static void *mapper(void *arg)
{
	volatile char *p;
	int fd;

	for (; atomic_load(&done) < cycles; atomic_fetch_add(&done, 1)) {
		fd = open(map_path, O_RDWR);
		if (fd < 0)
			break;
		p = mmap(NULL, MAP_LEN, PROT_READ, MAP_SHARED, fd, 0);
		close(fd);
		if (p == MAP_FAILED)
			break;
		(void)p[0];
		if (munmap((void *)p, MAP_LEN) < 0)
			break;
	}
	if (atomic_load(&done) < cycles) {
		perror(map_path);
		atomic_store(&map_failed, 1);
		atomic_store(&done, cycles);
	}
	return arg;
}

static int forks(const char *file, long n)
{
	long nforks = 0;
	pthread_t th;
	int st, failed = 0;
	pid_t pid;

	map_path = file;
	cycles = n;
	if (pthread_create(&th, NULL, mapper, NULL))
		return 1;
	while (atomic_load(&done) < cycles) {
		pid = fork();
		if (pid < 0) {
			perror("fork");
			failed = 1;
			break;
		}
		if (pid == 0)
			_exit(0);
		if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st)) {
			fprintf(stderr, "famfs_shimrelease: a child failed\n");
			failed = 1;
		}
		nforks++;
	}
	pthread_join(th, NULL);
	printf("%ld map cycles, %ld forks\n", atomic_load(&done), nforks);
	return failed || atomic_load(&map_failed);
}

/* Lines of /proc/self/maps that name one of the comma-separated @devs. */
static int dev_mappings(char *devs)
{
	char line[4096], *dev, *save;
	FILE *f;
	int n = 0;

	for (dev = strtok_r(devs, ",", &save); dev; dev = strtok_r(NULL, ",", &save)) {
		f = fopen("/proc/self/maps", "r");
		if (!f)
			return -1;
		while (fgets(line, sizeof(line), f))
			n += strstr(line, dev) != NULL;
		fclose(f);
	}
	return n;
}

int main(int argc, char **argv)
{
	int rc, left;

	if (argc >= 5 && !strcmp(argv[2], "sigclose"))
		rc = sigclose(argv[3], argv[4], argc > 5 ? atoi(argv[5]) : 2000);
	else if (argc >= 4 && !strcmp(argv[2], "fork"))
		rc = forks(argv[3], argc > 4 ? atol(argv[4]) : 20000);
	else {
		fprintf(stderr, "usage: famfs_shimrelease DEVICES sigclose FILE OTHER [N]\n"
				"       famfs_shimrelease DEVICES fork FILE [CYCLES]\n");
		return 2;
	}
	left = dev_mappings(argv[1]);
	printf("%d device mappings left\n", left);
	return rc || left != 0;
}
