/* ptrace into another process: its child, attached (PTRACE_ATTACH), written into
 * (PTRACE_POKEDATA) and let go; then process_vm_writev into a second child. */
#include "evade.h"
#include <signal.h>
#include <sys/ptrace.h>
#include <sys/uio.h>

static volatile long word = 1;

static pid_t sleeper(void)
{
	pid_t p = fork();
	if (p == 0) {
		while (word == 1)
			usleep(10000);
		_exit(word == 42 ? 0 : 3);
	}
	return p;
}

int main(int argc, char **argv)
{
	work_in(argc, argv);
	pid_t a = sleeper();
	if (ptrace(PTRACE_ATTACH, a, 0, 0))
		die("PTRACE_ATTACH");
	waitpid(a, NULL, 0);
	if (ptrace(PTRACE_POKEDATA, a, (void *)&word, (void *)42L))
		die("PTRACE_POKEDATA");
	if (ptrace(PTRACE_DETACH, a, 0, 0))
		die("PTRACE_DETACH");
	int st;
	waitpid(a, &st, 0);
	if (!WIFEXITED(st) || WEXITSTATUS(st))
		die("the poked child did not see its word change");

	pid_t b = sleeper();
	long v = 42;
	struct iovec local = {&v, sizeof(v)}, remote = {(void *)&word, sizeof(word)};
	if (process_vm_writev(b, &local, 1, &remote, 1, 0) != sizeof(v))
		die("process_vm_writev");
	waitpid(b, &st, 0);
	if (!WIFEXITED(st) || WEXITSTATUS(st))
		die("the written child did not see its word change");
	printf("%d %d\n", a, b);
	return 0;
}
