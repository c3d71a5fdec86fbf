/* open_by_handle_at: a file opened by its file handle (from name_to_handle_at) rather than by
 * a path, for writing. */
#include "evade.h"

int main(int argc, char **argv)
{
	work_in(argc, argv);
	int fd = open("handle.txt", O_CREAT | O_WRONLY, 0600);
	if (fd < 0)
		die("open");
	close(fd);
	struct file_handle *h = malloc(sizeof(*h) + MAX_HANDLE_SZ);
	h->handle_bytes = MAX_HANDLE_SZ;
	int mount_id;
	if (name_to_handle_at(AT_FDCWD, "handle.txt", h, &mount_id, 0))
		die("name_to_handle_at (the file system may not export handles)");
	int mfd = open(".", O_RDONLY | O_DIRECTORY);
	if (open_by_handle_at(mfd, h, O_WRONLY) < 0)
		die("open_by_handle_at");
	return 0;
}
