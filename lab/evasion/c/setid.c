/* Credentials changed: the groups cleared (setgroups) and the inheritable capabilities
 * dropped (capset), setresgid and setresuid to nobody (65534), then setgid and setuid (run as
 * root; as another user they fail, and that is recorded too). */
#include "evade.h"
#include <grp.h>
#include <sys/syscall.h>

int main(int argc, char **argv)
{
	work_in(argc, argv);
	if (setgroups(0, NULL) && errno != EPERM)
		die("setgroups");
	/* capget, then capset of the same sets without the inheritable ones (version 3) */
	struct {
		unsigned version;
		int pid;
	} hdr = {0x20080522, 0};
	unsigned data[6];
	if (syscall(SYS_capget, &hdr, data))
		die("capget");
	data[2] = data[5] = 0;
	if (syscall(SYS_capset, &hdr, data))
		die("capset");
	if (setresgid(65534, 65534, 65534) || setresuid(65534, 65534, -1))
		die("setres*id");
	if (setgid(65534) || setuid(65534))
		die("set*id");
	return 0;
}
