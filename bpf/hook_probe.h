/* SPDX-License-Identifier: MIT */
/*
 * sightline-loader --probe-hooks: whether this kernel lets a program be loaded and attached at
 * the kinds of hook Sightline does not use, printed as one JSON object, so a recording can say
 * what its kernel could not have shown rather than assume it. Each probe loads the smallest
 * program (return 0) and attaches it for an instant:
 *   fentry: BPF_PROG_TYPE_TRACING / BPF_TRACE_FENTRY at the kernel function vfs_read;
 *   lsm:    BPF_PROG_TYPE_LSM / BPF_LSM_MAC at the hook bpf_lsm_file_open (returning 0 allows).
 * kprobes are found from sysfs by the capture (no kprobe event source, no kprobes).
 */
#ifndef SL_HOOK_PROBE_H
#define SL_HOOK_PROBE_H

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <errno.h>
#include <linux/bpf.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* Loads and attaches a return-0 program of `type` at kernel function `func`; 0 or -errno, with
 * the step that failed in *step. */
static int probe_hook(struct btf *vmlinux, enum bpf_prog_type type, enum bpf_attach_type attach,
		      const char *func, const char **step)
{
	struct bpf_insn prog[] = {
		{.code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0},
		{.code = BPF_JMP | BPF_EXIT},
	};
	*step = "btf";
	int id = btf__find_by_name_kind(vmlinux, func, BTF_KIND_FUNC);
	if (id < 0)
		return id;
	LIBBPF_OPTS(bpf_prog_load_opts, o, .expected_attach_type = attach, .attach_btf_id = id);
	*step = "load";
	int fd = bpf_prog_load(type, "sl_probe", "GPL", prog, 2, &o);
	if (fd < 0)
		return -errno;
	*step = "attach";
	int link = bpf_raw_tracepoint_open(NULL, fd);
	int err = link < 0 ? -errno : 0;
	if (link >= 0)
		close(link);
	close(fd);
	return err;
}

static void print_hook(const char *name, int err, const char *step, int last)
{
	if (err)
		printf("\"%s\":{\"ok\":false,\"step\":\"%s\",\"error\":\"%s\"}%s", name, step,
		       strerror(-err), last ? "" : ",");
	else
		printf("\"%s\":{\"ok\":true}%s", name, last ? "" : ",");
}

/* Prints {"fentry":{"ok":...},"lsm":{...}}; 0, or 1 without the kernel's BTF. */
static int probe_hooks(void)
{
	struct btf *vmlinux = btf__load_vmlinux_btf();
	if (!vmlinux) {
		fprintf(stderr, "sightline-loader: no kernel BTF: %s\n", strerror(errno));
		return 1;
	}
	const char *step;
	printf("{");
	int err = probe_hook(vmlinux, BPF_PROG_TYPE_TRACING, BPF_TRACE_FENTRY, "vfs_read", &step);
	print_hook("fentry", err, step, 0);
	err = probe_hook(vmlinux, BPF_PROG_TYPE_LSM, BPF_LSM_MAC, "bpf_lsm_file_open", &step);
	print_hook("lsm", err, step, 1);
	printf("}\n");
	btf__free(vmlinux);
	return 0;
}

#endif
