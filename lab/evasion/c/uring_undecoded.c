/* io_uring requests the capture does not decode: an extended attribute set on a file
 * (fsetxattr) and a message to another ring (msg_ring). They must be counted and reported. */
#include "evade.h"

int main(int argc, char **argv)
{
	work_in(argc, argv);
	struct ring r, other;
	ring_init(&r, 0);
	ring_init(&other, 0);
	int fd = open("uring_xattr.txt", O_CREAT | O_WRONLY, 0600);
	if (fd < 0)
		die("open");
	static const char value[] = "set through io_uring";
	struct io_uring_sqe s = sqe_of(IORING_OP_FSETXATTR, fd);
	s.addr = (uintptr_t) "user.evasion";
	s.addr2 = (uintptr_t)value; /* off */
	s.len = sizeof(value) - 1;
	ring_run(&r, &s); /* its result does not matter: the request was made */
	s = sqe_of(IORING_OP_MSG_RING, other.fd);
	s.off = 0x5eed; /* the user_data the other ring gets */
	check(ring_run(&r, &s), "io_uring msg_ring");
	return 0;
}
