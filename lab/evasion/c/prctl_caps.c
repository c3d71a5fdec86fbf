/* Capabilities and what the process may gain, changed as `setpriv` and sandboxes change them:
 * the bounding set loses CAP_NET_RAW (PR_CAPBSET_DROP), the ambient set is cleared
 * (PR_CAP_AMBIENT_CLEAR_ALL), capabilities are kept across a setuid (PR_SET_KEEPCAPS),
 * no_new_privs is set (by a raw syscall whose option register has high bits set: the kernel
 * reads an int), and a seccomp filter (allowing everything) is installed by seccomp(2). */
#include "evade.h"
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

int main(int argc, char **argv)
{
	work_in(argc, argv);
	if (prctl(PR_CAPBSET_DROP, 13 /* CAP_NET_RAW */, 0, 0, 0) && errno != EPERM)
		die("PR_CAPBSET_DROP");
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0))
		die("PR_CAP_AMBIENT_CLEAR_ALL");
	if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0))
		die("PR_SET_KEEPCAPS");
	if (syscall(SYS_prctl, (1L << 32) | PR_SET_NO_NEW_PRIVS, 1L, 0L, 0L, 0L))
		die("PR_SET_NO_NEW_PRIVS");
	struct sock_filter allow = BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
	struct sock_fprog prog = {1, &allow};
	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog))
		die("seccomp");
	return 0;
}
