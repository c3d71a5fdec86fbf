/* Credentials changed: setresgid and setresuid to nobody (65534), then setgid and setuid
 * (run as root; as another user they fail, and that is recorded too). */
#include "evade.h"
#include <grp.h>

int main(int argc, char **argv)
{
	work_in(argc, argv);
	if (setgroups(0, NULL) && errno != EPERM)
		die("setgroups");
	if (setresgid(65534, 65534, 65534) || setresuid(65534, 65534, -1))
		die("setres*id");
	if (setgid(65534) || setuid(65534))
		die("set*id");
	return 0;
}
