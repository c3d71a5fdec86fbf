/* SPDX-License-Identifier: MIT */
/*
 * Reading a process's /proc/PID/stat, for the loader (a process's parent and name, to trace
 * what runs already) and its watchdog (a process's start time, to be sure it signals the process
 * that was stopped): one reader, so that both find the fields after the comm the same way.
 */
#ifndef SL_PROC_STAT_H
#define SL_PROC_STAT_H

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

/* Reads /proc/PID/stat into `buf` (`size` bytes, NUL-terminated) and returns the ')' that ends
 * the comm (the fields after it are each after a space: " S PPID ..."), or NULL if the process
 * is gone or the file is not what it should be. `*comm` (when given) is set to the '(' before
 * the comm, which may hold anything, ')' and spaces included. */
static char *sl_proc_stat(pid_t pid, char *buf, size_t size, char **comm)
{
	char path[32];
	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	ssize_t n = read(fd, buf, size - 1);
	close(fd);
	if (n <= 0)
		return NULL;
	buf[n] = 0;
	char *l = strchr(buf, '('), *r = strrchr(buf, ')');
	if (!l || !r)
		return NULL;
	if (comm)
		*comm = l;
	return r;
}

#endif
