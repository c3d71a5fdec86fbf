/* Code run from memory: /bin/true copied into a memfd (memfd_create) and executed from it
 * (fexecve: execveat(fd, "", AT_EMPTY_PATH)), leaving no file on disk. */
#include "evade.h"
#include <sys/sendfile.h>

extern char **environ;

int main(int argc, char **argv)
{
	work_in(argc, argv);
	int m = memfd_create("payload", MFD_CLOEXEC);
	int src = open("/bin/true", O_RDONLY);
	struct stat st;
	if (m < 0 || src < 0 || fstat(src, &st))
		die("memfd/open");
	if (sendfile(m, src, NULL, st.st_size) != st.st_size)
		die("sendfile");
	char *args[] = {"payload", NULL};
	fexecve(m, args, environ);
	die("fexecve");
}
