/* Entering namespaces, as sandboxes do (argv[2]):
 * - enter: a child unshares a user and a network namespace; a child made by clone3 in new user,
 *   mount, PID and network namespaces; the program setns(2)s into that child's network
 *   namespace by its /proc/PID/ns/net file.
 * - mount: in a user and mount namespace of its own, a tmpfs mounted over the directory, and a
 *   file written there: the path names the directory, the file is in the tmpfs, which the
 *   recording cannot tell (mounts are not recorded). */
#include "evade.h"
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>

static void wait_ok(pid_t p)
{
	int st;
	if (waitpid(p, &st, 0) != p || !WIFEXITED(st) || WEXITSTATUS(st))
		die("the child failed");
}

static void enter(void)
{
	pid_t u = fork();
	if (u < 0)
		die("fork");
	if (u == 0)
		_exit(unshare(CLONE_NEWUSER | CLONE_NEWNET) ? 1 : 0);
	wait_ok(u);

	int go[2];
	if (pipe(go))
		die("pipe");
	struct clone_args ca;
	memset(&ca, 0, sizeof(ca));
	ca.flags = CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWNET;
	ca.exit_signal = SIGCHLD;
	long c = syscall(__NR_clone3, &ca, sizeof(ca));
	if (c < 0)
		die("clone3");
	if (c == 0) { /* waits until its parent has entered its network namespace */
		char b;
		close(go[1]);
		_exit(read(go[0], &b, 1) == 1 ? 0 : 1);
	}
	char path[64];
	snprintf(path, sizeof(path), "/proc/%ld/ns/net", c);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || setns(fd, CLONE_NEWNET))
		die("setns");
	if (write(go[1], "x", 1) != 1)
		die("write");
	wait_ok((pid_t)c);
}

/* Writes `text` to the file at `path` (a /proc/self/ id map). */
static void put(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text) || close(fd))
		die(path);
}

static void mount_over(void)
{
	if (unshare(CLONE_NEWUSER | CLONE_NEWNS))
		die("unshare");
	/* root inside as outside, so that files can be made in the tmpfs */
	put("/proc/self/uid_map", "0 0 1");
	put("/proc/self/setgroups", "deny");
	put("/proc/self/gid_map", "0 0 1");
	/* nothing mounted here reaches the host's mount namespace */
	if (mount("none", "/", NULL, MS_REC | MS_PRIVATE, NULL))
		die("mount --make-rprivate /");
	if (mount("none", ".", "tmpfs", 0, NULL))
		die("mount");
	/* the cwd still names the directory underneath: the tmpfs is reached through the path */
	if (chdir("/") || chdir(getenv("SL_NS_DIR")))
		die("chdir");
	int fd = open("hidden.txt", O_CREAT | O_WRONLY | O_TRUNC, 0600);
	if (fd < 0 || write(fd, "x", 1) != 1)
		die("hidden.txt");
}

int main(int argc, char **argv)
{
	work_in(argc, argv);
	if (argc < 3)
		die("usage: namespaces DIR enter|mount");
	if (!strcmp(argv[2], "enter"))
		enter();
	else if (!strcmp(argv[2], "mount")) {
		if (setenv("SL_NS_DIR", argv[1], 1))
			die("setenv");
		mount_over();
	} else
		die("unknown way");
	return 0;
}
