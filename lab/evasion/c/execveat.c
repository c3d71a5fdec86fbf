/* execveat: touch run by a path relative to a directory fd (/usr/bin), creating
 * execveat.txt; then by its own fd (AT_EMPTY_PATH), creating execveat_fd.txt. */
#include "evade.h"

extern char **environ;

int main(int argc, char **argv)
{
	work_in(argc, argv);
	int st;
	pid_t p = fork();
	if (p == 0) {
		int dir = open("/usr/bin", O_RDONLY | O_DIRECTORY);
		char *args[] = {"touch", "execveat.txt", NULL};
		syscall(__NR_execveat, dir, "touch", args, environ, 0);
		_exit(127);
	}
	waitpid(p, &st, 0);
	if (!WIFEXITED(st) || WEXITSTATUS(st))
		die("execveat (directory fd)");
	p = fork();
	if (p == 0) {
		int fd = open("/usr/bin/touch", O_RDONLY);
		char *args[] = {"touch", "execveat_fd.txt", NULL};
		syscall(__NR_execveat, fd, "", args, environ, AT_EMPTY_PATH);
		_exit(127);
	}
	waitpid(p, &st, 0);
	if (!WIFEXITED(st) || WEXITSTATUS(st))
		die("execveat (AT_EMPTY_PATH)");
	return 0;
}
