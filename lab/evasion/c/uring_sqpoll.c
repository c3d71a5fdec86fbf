/* io_uring with a kernel thread polling the submission queue (IORING_SETUP_SQPOLL): the
 * process makes no system call at all to have uring_sqpoll.txt created. */
#include "evade.h"

int main(int argc, char **argv)
{
	work_in(argc, argv);
	struct ring r;
	ring_init(&r, IORING_SETUP_SQPOLL);
	struct io_uring_sqe s = sqe_of(IORING_OP_OPENAT, AT_FDCWD);
	s.addr = (uintptr_t) "uring_sqpoll.txt";
	s.open_flags = O_CREAT | O_WRONLY;
	s.len = 0600;
	check(ring_run(&r, &s), "io_uring openat (sqpoll)");
	return 0;
}
