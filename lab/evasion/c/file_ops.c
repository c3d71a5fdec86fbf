/* File operations besides open and rename (argv[2]): link/linkat, symlink/symlinkat,
 * chmod/fchmod/fchmodat/fchmodat2, chown/lchown/fchown/fchownat, truncate/ftruncate,
 * utimes/utimensat (with a path, and on a descriptor). */
#include "evade.h"
#include <sys/time.h>

#ifndef __NR_fchmodat2
#define __NR_fchmodat2 452
#endif

static int touch(const char *name)
{
	int fd = open(name, O_CREAT | O_RDWR, 0600);
	if (fd < 0)
		die(name);
	return fd;
}

int main(int argc, char **argv)
{
	work_in(argc, argv);
	if (argc < 3)
		die("usage: file_ops DIR OP");
	const char *op = argv[2];
	if (!strcmp(op, "link")) {
		close(touch("orig.txt"));
		if (link("orig.txt", "hard1.txt") ||
		    linkat(AT_FDCWD, "orig.txt", AT_FDCWD, "hard2.txt", 0))
			die("link");
	} else if (!strcmp(op, "symlink")) {
		if (symlink("/etc/shadow", "shadow_link") || symlinkat("../x", AT_FDCWD, "rel_link"))
			die("symlink");
	} else if (!strcmp(op, "chmod")) {
		int fd = touch("mode.txt");
		if (chmod("mode.txt", 0755) || fchmod(fd, 0700) ||
		    fchmodat(AT_FDCWD, "mode.txt", 04755, 0))
			die("chmod");
		if (syscall(__NR_fchmodat2, AT_FDCWD, "mode.txt", 0644, 0) && errno != ENOSYS)
			die("fchmodat2");
	} else if (!strcmp(op, "chown")) {
		int fd = touch("owned.txt");
		if (chown("owned.txt", 65534, 65534) || lchown("owned.txt", 0, -1) ||
		    fchown(fd, -1, 65534) || fchownat(AT_FDCWD, "owned.txt", 0, 0, 0))
			die("chown");
	} else if (!strcmp(op, "truncate")) {
		int fd = touch("sized.txt");
		if (truncate("sized.txt", 12345) || ftruncate(fd, 6789))
			die("truncate");
	} else if (!strcmp(op, "utimes")) {
		int fd = touch("timed.txt");
		struct timespec ts[2] = {{1000000000, 0}, {1000000000, 0}};
		struct timeval tv[2] = {{1000000000, 0}, {1000000000, 0}};
		if (utimensat(AT_FDCWD, "timed.txt", ts, 0) || futimens(fd, ts) ||
		    utimes("timed.txt", tv))
			die("utimes");
	} else {
		die("unknown op");
	}
	return 0;
}
