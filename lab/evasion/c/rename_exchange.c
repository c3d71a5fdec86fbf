/* renameat2(RENAME_EXCHANGE): two files swap names atomically (a decoy for the real thing). */
#include "evade.h"

#ifndef RENAME_EXCHANGE
#define RENAME_EXCHANGE (1 << 1)
#endif

int main(int argc, char **argv)
{
	work_in(argc, argv);
	int a = open("decoy.txt", O_CREAT | O_WRONLY, 0600);
	int b = open("payload.txt", O_CREAT | O_WRONLY, 0600);
	if (a < 0 || b < 0)
		die("open");
	if (syscall(__NR_renameat2, AT_FDCWD, "decoy.txt", AT_FDCWD, "payload.txt", RENAME_EXCHANGE))
		die("renameat2");
	return 0;
}
