/* io_uring file system operations (argv[2]): mkdir, rename, unlink, rmdir, link, symlink,
 * ftruncate, each on names of its own in the directory, without their system calls. */
#include "evade.h"

static int run(struct ring *r, int op, const char *a, const char *b, int flags)
{
	struct io_uring_sqe s = sqe_of(op, AT_FDCWD);
	s.addr = (uintptr_t)a;
	s.addr2 = (uintptr_t)b;
	s.rename_flags = flags;
	if (op == IORING_OP_RENAMEAT || op == IORING_OP_LINKAT)
		s.len = AT_FDCWD; /* the new name's directory fd */
	if (op == IORING_OP_MKDIRAT)
		s.len = 0700;
	return ring_run(r, &s);
}

static void touch(const char *name)
{
	int fd = open(name, O_CREAT | O_WRONLY, 0600);
	if (fd < 0 || write(fd, "x\n", 2) != 2)
		die(name);
	close(fd);
}

int main(int argc, char **argv)
{
	work_in(argc, argv);
	if (argc < 3)
		die("usage: uring_fs DIR OP");
	const char *op = argv[2];
	struct ring r;
	ring_init(&r, 0);
	if (!strcmp(op, "mkdir")) {
		check(run(&r, IORING_OP_MKDIRAT, "uring_dir", NULL, 0), "mkdirat");
	} else if (!strcmp(op, "rename")) {
		touch("uring_old.txt");
		check(run(&r, IORING_OP_RENAMEAT, "uring_old.txt", "uring_new.txt", 0), "renameat");
	} else if (!strcmp(op, "unlink")) {
		touch("uring_gone.txt");
		check(run(&r, IORING_OP_UNLINKAT, "uring_gone.txt", NULL, 0), "unlinkat");
		if (mkdir("uring_gone_dir", 0700))
			die("mkdir");
		check(run(&r, IORING_OP_UNLINKAT, "uring_gone_dir", NULL, AT_REMOVEDIR), "unlinkat dir");
	} else if (!strcmp(op, "link")) {
		touch("uring_target.txt");
		check(run(&r, IORING_OP_LINKAT, "uring_target.txt", "uring_hardlink.txt", 0), "linkat");
	} else if (!strcmp(op, "symlink")) {
		struct io_uring_sqe s = sqe_of(IORING_OP_SYMLINKAT, AT_FDCWD);
		s.addr = (uintptr_t) "/etc/hostname";
		s.addr2 = (uintptr_t) "uring_symlink";
		check(ring_run(&r, &s), "symlinkat");
	} else if (!strcmp(op, "ftruncate")) {
		touch("uring_truncated.txt");
		int fd = open("uring_truncated.txt", O_WRONLY);
		struct io_uring_sqe s = sqe_of(OP_FTRUNCATE, fd);
		s.off = 4096;
		check(ring_run(&r, &s), "ftruncate");
	} else {
		die("unknown op");
	}
	return 0;
}
