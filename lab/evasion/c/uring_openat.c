/* io_uring openat: creates and writes uring_written.txt, and opens it again with openat2,
 * without an open(2) system call. */
#include "evade.h"
#include <linux/openat2.h>

int main(int argc, char **argv)
{
	work_in(argc, argv);
	struct ring r;
	ring_init(&r, 0);
	struct io_uring_sqe s = sqe_of(IORING_OP_OPENAT, AT_FDCWD);
	s.addr = (uintptr_t) "uring_written.txt";
	s.open_flags = O_CREAT | O_WRONLY | O_TRUNC;
	s.len = 0600;
	int fd = check(ring_run(&r, &s), "io_uring openat");
	static const char text[] = "written through io_uring\n";
	s = sqe_of(IORING_OP_WRITE, fd);
	s.addr = (uintptr_t)text;
	s.len = sizeof(text) - 1;
	check(ring_run(&r, &s), "io_uring write");
	struct open_how how = {.flags = O_RDONLY};
	s = sqe_of(IORING_OP_OPENAT2, AT_FDCWD);
	s.addr = (uintptr_t) "uring_written.txt";
	s.addr2 = (uintptr_t)&how;
	s.len = sizeof(how);
	check(ring_run(&r, &s), "io_uring openat2");
	return 0;
}
