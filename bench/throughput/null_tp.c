/*
 * null_tp: attaches a program that does nothing (r0 = 0; exit) to the raw tracepoints
 * sys_enter and sys_exit, where the capture's sl_sys_enter and sl_sys_exit go, and keeps them
 * attached until its standard input ends. What a process pays per system call while it runs is
 * the tracepoints' dispatch and an empty program: the floor under the capture's own programs
 * (bench/throughput/untraced.ts). Prints "attached" once both are, "detached" at the end.
 * Needs root (CAP_BPF and CAP_PERFMON). No libbpf: two bpf(2) commands each.
 */
#include <linux/bpf.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static int sys_bpf(int cmd, union bpf_attr *attr)
{
	return syscall(__NR_bpf, cmd, attr, sizeof(*attr));
}

/* loads the empty program and attaches it to raw tracepoint `tp`: the link's fd, or -1 */
static int attach(const char *tp)
{
	struct bpf_insn insns[] = {
		{.code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0},
		{.code = BPF_JMP | BPF_EXIT},
	};
	union bpf_attr a;
	memset(&a, 0, sizeof(a));
	a.prog_type = BPF_PROG_TYPE_RAW_TRACEPOINT;
	a.insns = (unsigned long)insns;
	a.insn_cnt = 2;
	a.license = (unsigned long)"GPL";
	strncpy(a.prog_name, "null_tp", sizeof(a.prog_name) - 1);
	int prog = sys_bpf(BPF_PROG_LOAD, &a);
	if (prog < 0) {
		perror("null_tp: BPF_PROG_LOAD");
		return -1;
	}
	memset(&a, 0, sizeof(a));
	a.raw_tracepoint.name = (unsigned long)tp;
	a.raw_tracepoint.prog_fd = prog;
	int link = sys_bpf(BPF_RAW_TRACEPOINT_OPEN, &a);
	if (link < 0)
		perror("null_tp: BPF_RAW_TRACEPOINT_OPEN");
	close(prog);
	return link;
}

int main(void)
{
	int enter = attach("sys_enter"), exit_ = attach("sys_exit");
	if (enter < 0 || exit_ < 0)
		return 1;
	printf("attached\n");
	fflush(stdout);
	char buf[64];
	while (read(0, buf, sizeof(buf)) > 0)
		;
	close(enter);
	close(exit_);
	printf("detached\n");
	return 0;
}
