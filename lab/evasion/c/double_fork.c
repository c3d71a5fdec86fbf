/* Daemonising: fork, setsid, fork again and let the middle process exit, so that the
 * grandchild is reparented (to init or the nearest subreaper); it then writes orphan.txt. */
#include "evade.h"

int main(int argc, char **argv)
{
	work_in(argc, argv);
	int p[2];
	if (pipe(p))
		die("pipe");
	pid_t mid = fork();
	if (mid == 0) {
		setsid();
		pid_t g = fork();
		if (g == 0) {
			while (getppid() == getpid() || kill(getppid(), 0) == 0) {
				if (getppid() != mid)
					break; /* reparented */
				usleep(5000);
			}
			int fd = open("orphan.txt", O_CREAT | O_WRONLY, 0600);
			if (fd < 0 || write(fd, "x\n", 2) != 2)
				_exit(1);
			close(fd);
			char done = 1;
			if (write(p[1], &done, 1) != 1)
				_exit(1);
			_exit(0);
		}
		_exit(0);
	}
	waitpid(mid, NULL, 0);
	char done = 0;
	close(p[1]);
	if (read(p[0], &done, 1) != 1 || done != 1) /* until the grandchild has written */
		die("grandchild");
	return 0;
}
