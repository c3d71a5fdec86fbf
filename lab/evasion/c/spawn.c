/* Process creation other than fork (argv[2]): vfork, clone3 (raw, a new process), posix_spawn,
 * each creating a file named after it from the new process (touch, or open in the child). */
#include "evade.h"
#include <linux/sched.h>
#include <signal.h>
#include <spawn.h>

extern char **environ;

int main(int argc, char **argv)
{
	work_in(argc, argv);
	if (argc < 3)
		die("usage: spawn DIR vfork|clone3|posix_spawn");
	const char *how = argv[2];
	int st;
	if (!strcmp(how, "vfork")) {
		pid_t p = vfork();
		if (p == 0) {
			execl("/usr/bin/touch", "touch", "vfork.txt", (char *)NULL);
			_exit(127);
		}
		waitpid(p, &st, 0);
	} else if (!strcmp(how, "clone3")) {
		struct clone_args ca;
		memset(&ca, 0, sizeof(ca));
		ca.exit_signal = SIGCHLD;
		long p = syscall(__NR_clone3, &ca, sizeof(ca));
		if (p < 0)
			die("clone3");
		if (p == 0) {
			int fd = open("clone3.txt", O_CREAT | O_WRONLY, 0600);
			_exit(fd < 0);
		}
		waitpid(p, &st, 0);
	} else if (!strcmp(how, "posix_spawn")) {
		pid_t p;
		char *args[] = {"touch", "spawned.txt", NULL};
		if (posix_spawn(&p, "/usr/bin/touch", NULL, NULL, args, environ))
			die("posix_spawn");
		waitpid(p, &st, 0);
	} else {
		die("unknown way");
	}
	if (!WIFEXITED(st) || WEXITSTATUS(st))
		die("the child failed");
	return 0;
}
