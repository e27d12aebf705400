// SPDX-License-Identifier: GPL-2.0
/*
 * oom_psi_proactive --grace: warn what the kill would hit, keep the
 * deadline in the kernel, then kill exactly that.
 *
 * The job runs in a memcg with only memory.max (64 MiB, no swap), the
 * common container setup: the usage rule (--warn-usage) starts the grace.
 * Each test reads the loader's lines (the pid it warned, how late the kill
 * came by the kernel's clock), waits for deaths with waitpid, and checks
 * memory.events.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <poll.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>

#include "oom_test.h"
#include "policy_util.h"
#include "util.h"

struct grace {
	char *cg;
	char job_file[64], bystander_file[64];
	struct ot_child job, bystander;
	struct ot_proc loader;
};

static enum oom_test_status setup_grace(void **ctx)
{
	struct grace *t = calloc(1, sizeof(*t));

	if (!t)
		OT_FAIL("no memory");
	t->job.pid = -1;
	t->bystander.pid = -1;
	t->loader.out = -1;
	t->loader.err = -1;
	snprintf(t->job_file, sizeof(t->job_file), "/tmp/oom_ext_grace_job.%d", getpid());
	snprintf(t->bystander_file, sizeof(t->bystander_file),
		 "/tmp/oom_ext_grace_bystander.%d", getpid());
	unlink(t->job_file);
	unlink(t->bystander_file);
	t->cg = ot_cg_create("grace");
	if (!t->cg || ot_cg_write(t->cg, "memory.swap.max", "0") ||
	    ot_cg_write(t->cg, "memory.max", "64M")) {
		if (t->cg)
			ot_cg_destroy(t->cg);
		free(t->cg);
		free(t);
		OT_FAIL("cannot set up the memcg");
	}
	*ctx = t;
	return OOM_TEST_PASS;
}

static void cleanup_grace(void *ctx)
{
	struct grace *t = ctx;

	ot_proc_kill(&t->loader);
	ot_child_reap(&t->job);
	ot_child_reap(&t->bystander);
	ot_cg_destroy(t->cg);
	unlink(t->job_file);
	unlink(t->bystander_file);
	free(t->cg);
	free(t);
}

/* A test of this file: the memcg of setup_grace(), then @run. */
#define GRACE_TEST(_var, _name, _desc, _run)				\
	static struct oom_test _var = {					\
		.name = _name,						\
		.description = _desc,					\
		.setup = setup_grace,					\
		.run = _run,						\
		.cleanup = cleanup_grace,				\
	};								\
	REGISTER_OOM_TEST(&_var)

/* What a job does on SIGTERM: set by its before() hook, read by after(). */
static volatile sig_atomic_t got_term;

static void on_term(int sig)
{
	got_term = 1;
}

static int catch_term(const void *arg)
{
	struct sigaction sa = { .sa_handler = on_term };

	return sigaction(SIGTERM, &sa, NULL);
}

static int ignore_term(const void *arg)
{
	return signal(SIGTERM, SIG_IGN) == SIG_ERR;
}

/* A checkpointing job: on SIGTERM, write the file @arg and exit. */
static int checkpoint_job(const void *arg)
{
	int fd;

	while (!got_term)
		pause();
	fd = open(arg, O_CREAT | O_WRONLY | O_TRUNC, 0644);
	if (fd < 0 || write(fd, "checkpoint\n", 11) != 11)
		return 1;
	close(fd);
	return 0;
}

/* A bystander: if a SIGTERM ever comes, it leaves the file @arg. */
static int note_term(const void *arg)
{
	for (;;) {
		pause();
		if (got_term) {
			close(open(arg, O_CREAT | O_WRONLY, 0644));
			got_term = 0;
		}
	}
	return 0;
}

/* A job that grows by 1 MiB every 20 ms after its warning, until killed. */
static int grow_slowly(const void *arg)
{
	struct timespec ts = { 0, 20 * 1000 * 1000 };
	long page = sysconf(_SC_PAGESIZE), off;
	char *p;

	for (;;) {
		p = malloc(1 << 20);
		if (p)
			for (off = 0; off < (1 << 20); off += page)
				p[off] = 1;
		nanosleep(&ts, NULL);
	}
	return 0;
}

/* Start the loader on the job's memcg with --grace @grace. */
static enum oom_test_status start(struct grace *t, const char *grace)
{
	const char *const args[] = { "-i", "0", "-c", t->cg, "--grace", grace,
				     "--warn-usage", "50", "--kill-usage", "90", NULL };
	enum oom_test_status st;

	st = ot_loader_start(&t->loader, "oom_psi_proactive", args, 0);
	return st ?: ot_loader_attached(&t->loader);
}

/* Wait for the loader's warning; returns the pid it names, or -1. */
static int warned_pid(struct grace *t)
{
	char line[1024], *p;

	if (!ot_proc_read_until(t->loader.out, "an OOM would kill", line, sizeof(line),
				OT_TIMEOUT_MS))
		return -1;
	ot_info("%s", line);
	p = strstr(line, "pid ");
	return p ? atoi(p + 4) : -1;
}

/* Wait for the loader's kill line; returns how late it came in ms, or -1. */
static long killed_late_ms(struct grace *t, char *line, size_t len)
{
	char *p;

	if (!ot_proc_read_until(t->loader.out, "killed what was warned", line, len,
				OT_TIMEOUT_MS))
		return -1;
	ot_info("%s", line);
	p = strstr(line, "), ");
	if (!p || !strstr(p, "ms after the deadline"))
		return -2;	/* before the deadline */
	return atol(p + 3);
}

/*
 * A job that checkpoints on SIGTERM: it is warned, writes its checkpoint,
 * frees its memory and exits; at the deadline the rule no longer holds and
 * nothing is killed.
 */
static enum oom_test_status run_checkpoint(void *ctx)
{
	struct grace *t = ctx;
	struct ot_hog job = { .mib = 40, .before = catch_term, .after = checkpoint_job,
			      .arg = t->job_file };
	enum oom_test_status st;
	char line[1024];
	int sig, pid;

	st = start(t, "3s");
	if (st)
		return st;
	OT_ASSERT(!ot_child_spawn_hog(&t->job, t->cg, &job), "the job did not start");
	pid = warned_pid(t);
	OT_ASSERT(pid == t->job.pid, "warned pid %d, the job is %d", pid, t->job.pid);
	sig = ot_child_wait_death(&t->job, OT_TIMEOUT_MS);
	OT_ASSERT(sig == 0 && WIFEXITED(t->job.status) && !WEXITSTATUS(t->job.status),
		  "the job ended with signal %d, status %#x", sig, t->job.status);
	OT_ASSERT(!access(t->job_file, F_OK), "no checkpoint file: %s", strerror(errno));
	OT_ASSERT(ot_proc_read_until(t->loader.out, "no longer holds", line, sizeof(line),
				     OT_TIMEOUT_MS), "the loader did not report the calm");
	ot_info("%s", line);
	OT_ASSERT(ot_cg_read_key(t->cg, "memory.events", "oom_kill") == 0,
		  "oom_kill %lld", ot_cg_read_key(t->cg, "memory.events", "oom_kill"));
	OT_ASSERT(ot_cg_read_key(t->cg, "memory.events", "oom") == 0, "an OOM happened");
	return OOM_TEST_PASS;
}

GRACE_TEST(checkpoint_test, "grace_checkpoint_no_kill",
	   "--grace 3s: a job over --warn-usage gets SIGTERM, writes its checkpoint and exits; nothing is killed, no OOM",
	   run_checkpoint)

/*
 * A job that ignores the warning, with a smaller bystander in the same
 * memcg: the warning and the kill hit the job only, the kill no later
 * than 100 ms after the deadline. With @stop, the loader is SIGSTOPped
 * once it warned, and the kill still comes at the deadline.
 */
static enum oom_test_status deadline_kill(struct grace *t, bool stop)
{
	struct ot_hog job = { .mib = 40, .before = ignore_term };
	struct ot_hog bystander = { .mib = 4, .before = catch_term, .after = note_term,
				    .arg = t->bystander_file };
	enum oom_test_status st;
	char line[1024];
	long late;
	int sig, pid;

	st = start(t, "2s");
	if (st)
		return st;
	OT_ASSERT(!ot_child_spawn_hog(&t->bystander, t->cg, &bystander),
		  "the bystander did not start");
	OT_ASSERT(!ot_child_spawn_hog(&t->job, t->cg, &job), "the job did not start");
	pid = warned_pid(t);
	OT_ASSERT(pid == t->job.pid, "warned pid %d, the job is %d", pid, t->job.pid);
	if (stop)
		OT_ASSERT(!kill(t->loader.pid, SIGSTOP), "SIGSTOP: %s", strerror(errno));
	sig = ot_child_wait_death(&t->job, OT_TIMEOUT_MS);
	if (stop)
		kill(t->loader.pid, SIGCONT);
	OT_ASSERT(sig == SIGKILL, "the job ended with %d", sig);
	late = killed_late_ms(t, line, sizeof(line));
	OT_ASSERT(late >= 0 && late <= 100, "the kill came %ld ms after the deadline", late);
	OT_ASSERT(strstr(line, "deadline: ") && strstr(line, "(pid "), "unexpected kill line");
	OT_ASSERT(atoi(strstr(line, "(pid ") + 5) == t->job.pid, "killed another pid");
	OT_ASSERT(ot_child_alive(&t->bystander), "the bystander died");
	OT_ASSERT(access(t->bystander_file, F_OK), "the bystander was warned");
	OT_ASSERT(ot_cg_read_key(t->cg, "memory.events", "oom_kill") == 1,
		  "oom_kill %lld", ot_cg_read_key(t->cg, "memory.events", "oom_kill"));
	OT_ASSERT(ot_cg_read_key(t->cg, "memory.events", "max") == 0,
		  "memory.max was reached: not the grace's kill");
	return OOM_TEST_PASS;
}

static enum oom_test_status run_deadline(void *ctx)
{
	return deadline_kill(ctx, false);
}

GRACE_TEST(deadline_test, "grace_kills_warned_at_deadline",
	   "--grace 2s: a job that ignores SIGTERM is killed within 100 ms after the deadline; the warned pid is the killed one, and a smaller bystander is neither warned nor killed",
	   run_deadline)

static enum oom_test_status run_stopped(void *ctx)
{
	return deadline_kill(ctx, true);
}

GRACE_TEST(stopped_test, "grace_deadline_loader_stopped",
	   "--grace 2s with the loader SIGSTOPped after the warning: the kernel still kills at the deadline (within 100 ms)",
	   run_stopped)

/*
 * A job that keeps growing after the warning reaches --kill-usage long
 * before the deadline: it is killed then, not at memory.max.
 */
static enum oom_test_status run_hard(void *ctx)
{
	struct grace *t = ctx;
	struct ot_hog job = { .mib = 40, .before = ignore_term, .after = grow_slowly };
	enum oom_test_status st;
	char line[1024];
	long start_ms, late;
	int sig, pid;

	st = start(t, "60s");
	if (st)
		return st;
	start_ms = ot_now_ms();
	OT_ASSERT(!ot_child_spawn_hog(&t->job, t->cg, &job), "the job did not start");
	pid = warned_pid(t);
	OT_ASSERT(pid == t->job.pid, "warned pid %d, the job is %d", pid, t->job.pid);
	sig = ot_child_wait_death(&t->job, OT_TIMEOUT_MS);
	OT_ASSERT(sig == SIGKILL, "the job ended with %d", sig);
	OT_ASSERT(ot_now_ms() - start_ms < 60000, "killed after the deadline");
	late = killed_late_ms(t, line, sizeof(line));
	OT_ASSERT(late == -2, "not killed before the deadline (%ld)", late);
	OT_ASSERT(strstr(line, "usage at the kill level"), "killed for another reason");
	OT_ASSERT(ot_cg_read_key(t->cg, "memory.events", "oom_kill") == 1, "oom_kill");
	OT_ASSERT(ot_cg_read_key(t->cg, "memory.events", "max") == 0,
		  "memory.max was reached: the kernel killed, not the hard condition");
	return OOM_TEST_PASS;
}

GRACE_TEST(hard_test, "grace_hard_usage_kills_early",
	   "--grace 60s: a job that keeps growing after its warning is killed at --kill-usage, before the deadline and before memory.max",
	   run_hard)

/*
 * memory.oom.group=1: the kill takes the whole memcg, so every process in
 * it is warned, the small one too, and killed at the deadline; a process
 * that oom_score_adj -1000 protects is neither.
 */
static enum oom_test_status run_group(void *ctx)
{
	struct grace *t = ctx;
	struct ot_hog job = { .mib = 40, .before = ignore_term };
	struct ot_hog member = { .mib = 4, .before = catch_term, .after = note_term,
				 .arg = t->bystander_file };
	struct ot_hog protected = { .mib = 2, .adj = -1000, .before = catch_term,
				    .after = note_term, .arg = t->job_file };
	struct ot_child prot = { .pid = -1 };
	enum oom_test_status st;
	char line[1024];
	int sig;

	OT_ASSERT(!ot_cg_write(t->cg, "memory.oom.group", "1"), "memory.oom.group");
	st = start(t, "2s");
	if (st)
		return st;
	OT_ASSERT(!ot_child_spawn_hog(&prot, t->cg, &protected), "the protected one did not start");
	if (ot_child_spawn_hog(&t->bystander, t->cg, &member)) {
		ot_child_reap(&prot);
		OT_FAIL("the small member did not start");
	}
	if (ot_child_spawn_hog(&t->job, t->cg, &job)) {
		ot_child_reap(&prot);
		OT_FAIL("the job did not start");
	}
	st = OOM_TEST_FAIL;
	if (!ot_proc_read_until(t->loader.out, "an OOM would kill", line, sizeof(line),
				OT_TIMEOUT_MS)) {
		ot_info("no warning");
		goto out;
	}
	ot_info("%s", line);
	if (!strstr(line, "every process of /oom_ext_test/grace, first pid") ||
	    !strstr(line, "to 2 process(es)")) {
		ot_info("not a group warning to the two unprotected processes");
		goto out;
	}
	sig = ot_child_wait_death(&t->job, OT_TIMEOUT_MS);
	if (sig != SIGKILL || ot_child_wait_death(&t->bystander, OT_TIMEOUT_MS) != SIGKILL) {
		ot_info("the group was not killed: %d", sig);
		goto out;
	}
	if (access(t->bystander_file, F_OK) || !access(t->job_file, F_OK)) {
		ot_info("the small member was not warned, or the protected one was");
		goto out;
	}
	if (!ot_child_alive(&prot)) {
		ot_info("the protected process died");
		goto out;
	}
	if (ot_cg_read_key(t->cg, "memory.events", "oom_group_kill") != 1) {
		ot_info("oom_group_kill %lld",
			ot_cg_read_key(t->cg, "memory.events", "oom_group_kill"));
		goto out;
	}
	st = OOM_TEST_PASS;
out:
	ot_child_reap(&prot);
	return st;
}

GRACE_TEST(group_test, "grace_group_warns_every_member",
	   "--grace 2s with memory.oom.group=1: every process the group kill takes is warned and killed at the deadline; one with oom_score_adj -1000 is neither",
	   run_group)

/*
 * A prekill hook as systemd-oomd calls them: a varlink server on a Unix
 * socket in a directory. It takes one call, passes it to the test through
 * @report, and replies after @delay_ms, or never (-1).
 */
static pid_t hook_server(const char *path, int delay_ms, int report)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char buf[4096];
	size_t got = 0;
	ssize_t n;
	int fd, c;
	pid_t pid;

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) || listen(fd, 4))
		return -1;
	pid = fork();
	if (pid) {
		close(fd);
		return pid;
	}
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	c = accept(fd, NULL, NULL);
	while (c >= 0 && got < sizeof(buf) && (n = read(c, buf + got, sizeof(buf) - got)) > 0) {
		got += n;
		if (memchr(buf, 0, got))
			break;
	}
	if (write(report, buf, got) != (ssize_t)got)
		_exit(1);
	if (delay_ms < 0)
		for (;;)
			pause();
	usleep(delay_ms * 1000);
	if (write(c, "{\"parameters\":{}}", 18) != 18)
		_exit(1);
	pause();
	_exit(0);
}

/* A socket file in the directory that nobody listens on any more. */
static int dead_socket(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)))
		return -1;
	close(fd);
	return 0;
}

/*
 * The hooks directory holds a hook that replies after @delay_ms (or never)
 * and a dead socket. The call must reach the live one with the cgroup,
 * the dead one must not hold anything up, and the kill comes after the
 * reply (@delay_ms >= 0, long before the 10 s deadline) or at the
 * deadline (no reply, 2 s).
 */
static enum oom_test_status prekill(struct grace *t, int delay_ms)
{
	struct ot_hog job = { .mib = 40, .before = ignore_term };
	char dir[64], live[96], dead[96], call[4096] = "", line[1024];
	const char *grace = delay_ms < 0 ? "2s" : "10s";
	const char *const args[] = { "-i", "0", "-c", t->cg, "--grace", grace, "--warn-usage", "50",
				     "--kill-usage", "90", "--prekill-hooks", dir, NULL };
	enum oom_test_status st = OOM_TEST_FAIL;
	struct pollfd pfd;
	int pipefd[2], sig;
	pid_t server;

	snprintf(dir, sizeof(dir), "/tmp/oom_ext_hooks.%d", getpid());
	snprintf(live, sizeof(live), "%s/live", dir);
	snprintf(dead, sizeof(dead), "%s/dead", dir);
	OT_ASSERT(!mkdir(dir, 0755) && !pipe2(pipefd, O_CLOEXEC), "mkdir %s: %s", dir,
		  strerror(errno));
	server = hook_server(live, delay_ms, pipefd[1]);
	close(pipefd[1]);
	if (server < 0 || dead_socket(dead)) {
		ot_info("cannot set up the hooks: %s", strerror(errno));
		goto out;
	}
	if (ot_loader_start(&t->loader, "oom_psi_proactive", args, 0) ||
	    ot_loader_attached(&t->loader))
		goto out;
	if (ot_child_spawn_hog(&t->job, t->cg, &job)) {
		ot_info("the job did not start");
		goto out;
	}
	if (warned_pid(t) != t->job.pid) {
		ot_info("not the job warned");
		goto out;
	}
	pfd = (struct pollfd){ .fd = pipefd[0], .events = POLLIN };
	if (poll(&pfd, 1, OT_TIMEOUT_MS) != 1 || read(pipefd[0], call, sizeof(call) - 1) <= 0) {
		ot_info("the hook was not called");
		goto out;
	}
	ot_info("the hook got: %s", call);
	if (!strstr(call, "\"method\":\"io.systemd.oom.Prekill.Notify\"") ||
	    !strstr(call, "\"cgroup\":\"/oom_ext_test/grace\"") || !strstr(call, "\"killId\":")) {
		ot_info("not systemd-oomd's call for the cgroup");
		goto out;
	}
	sig = ot_child_wait_death(&t->job, OT_TIMEOUT_MS);
	if (sig != SIGKILL) {
		ot_info("the job ended with %d", sig);
		goto out;
	}
	if (!ot_proc_read_until(t->loader.out, "prekill hook(s) replied", line, sizeof(line),
				OT_TIMEOUT_MS)) {
		ot_info("no hooks line");
		goto out;
	}
	ot_info("%s", line);
	if (!strstr(line, delay_ms < 0 ? "0 of 1 prekill" : "1 of 1 prekill")) {
		ot_info("the dead socket was counted, or the reply was not");
		goto out;
	}
	if (!ot_proc_read_until(t->loader.out, "killed what was warned", line, sizeof(line),
				OT_TIMEOUT_MS)) {
		ot_info("no kill line");
		goto out;
	}
	ot_info("%s", line);
	/* Killed for the reply, which came 300 ms after the call: not before. */
	if (delay_ms >= 0 && !strstr(line, "every prekill hook replied")) {
		ot_info("the kill did not follow the reply");
		goto out;
	}
	if (delay_ms < 0 && !strstr(line, "deadline: killed")) {
		ot_info("the kill did not come at the deadline");
		goto out;
	}
	st = OOM_TEST_PASS;
out:
	if (server > 0) {
		kill(server, SIGKILL);
		waitpid(server, NULL, 0);
	}
	close(pipefd[0]);
	unlink(live);
	unlink(dead);
	rmdir(dir);
	return st;
}

static enum oom_test_status run_prekill_reply(void *ctx)
{
	return prekill(ctx, 300);
}

GRACE_TEST(prekill_reply_test, "grace_prekill_hook_reply",
	   "--grace 10s: a systemd-oomd prekill hook gets io.systemd.oom.Prekill.Notify with the cgroup and replies after 300 ms; the kill follows the reply, and a dead socket in the directory is skipped",
	   run_prekill_reply)

static enum oom_test_status run_prekill_silent(void *ctx)
{
	return prekill(ctx, -1);
}

GRACE_TEST(prekill_silent_test, "grace_prekill_hook_silent",
	   "--grace 2s: a prekill hook that never replies does not delay the kill past the deadline",
	   run_prekill_silent)

/* --exec-before gets the victim and the grace in its environment. */
static enum oom_test_status run_exec(void *ctx)
{
	struct grace *t = ctx;
	struct ot_hog job = { .mib = 40, .before = ignore_term };
	char fifo[64], cmd[128], env[4096] = "", want[128];
	const char *const args[] = { "-i", "0", "-c", t->cg, "--grace", "2s", "--warn-usage", "50",
				     "--kill-usage", "90", "--prekill-hooks", "none",
				     "--exec-before", cmd, NULL };
	static const char *const vars[] = { "OOM_EXT_NAME=", "OOM_EXT_CMDLINE=", "OOM_EXT_UID=0",
					    "OOM_EXT_CGROUP=/oom_ext_test/grace",
					    "OOM_EXT_REASON=usage over the warning level",
					    "OOM_EXT_DEADLINE_USEC=", "OOM_EXT_KILL_ID=" };
	enum oom_test_status st;
	struct pollfd pfd;
	size_t got = 0;
	ssize_t n;
	unsigned int i;
	int fd;

	snprintf(fifo, sizeof(fifo), "/tmp/oom_ext_exec.%d", getpid());
	snprintf(cmd, sizeof(cmd), "env > %s", fifo);
	unlink(fifo);
	OT_ASSERT(!mkfifo(fifo, 0600), "mkfifo: %s", strerror(errno));
	fd = open(fifo, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	st = ot_loader_start(&t->loader, "oom_psi_proactive", args, 0);
	if (!st)
		st = ot_loader_attached(&t->loader);
	if (!st && ot_child_spawn_hog(&t->job, t->cg, &job))
		st = OOM_TEST_FAIL;
	/* Read until the hook closes its end. */
	while (!st && got < sizeof(env) - 1) {
		pfd = (struct pollfd){ .fd = fd, .events = POLLIN };
		if (poll(&pfd, 1, OT_TIMEOUT_MS) != 1)
			break;
		n = read(fd, env + got, sizeof(env) - 1 - got);
		if (n == 0 || (n < 0 && errno != EAGAIN))
			break;	/* the hook closed its end */
		if (n > 0)
			got += n;
	}
	close(fd);
	unlink(fifo);
	if (st)
		return st;
	env[got] = 0;
	snprintf(want, sizeof(want), "OOM_EXT_PID=%d\n", t->job.pid);
	OT_ASSERT(strstr(env, want), "no %s in the hook's environment: %s", want, env);
	for (i = 0; i < ARRAY_SIZE(vars); i++)
		OT_ASSERT(strstr(env, vars[i]), "no %s in the hook's environment", vars[i]);
	OT_ASSERT(ot_child_wait_death(&t->job, OT_TIMEOUT_MS) == SIGKILL,
		  "the job was not killed at the deadline");
	return OOM_TEST_PASS;
}

GRACE_TEST(exec_test, "grace_exec_before_env",
	   "--exec-before gets OOM_EXT_PID (the warned job), _NAME, _CMDLINE, _UID, _CGROUP, _REASON, _DEADLINE_USEC and _KILL_ID, and is not waited for",
	   run_exec)

/* MemAvailable and MemTotal in MiB; false if unreadable. */
static bool meminfo_mib(long *avail, long *total)
{
	char line[128];
	long kb;
	FILE *f = fopen("/proc/meminfo", "r");

	*avail = *total = -1;
	while (f && fgets(line, sizeof(line), f)) {
		if (sscanf(line, "MemTotal: %ld kB", &kb) == 1)
			*total = kb / 1024;
		else if (sscanf(line, "MemAvailable: %ld kB", &kb) == 1)
			*avail = kb / 1024;
	}
	if (f)
		fclose(f);
	return *avail > 0 && *total > 0;
}

/*
 * The system-wide rule with --grace 4s --avail 60 --kill-avail 20: a job
 * that brings available memory to 55 % of RAM is
 * the one warned, the largest process of the machine. With @checkpoint
 * it saves and exits, and nothing is killed; otherwise it is killed at
 * the deadline, no later than 100 ms after it.
 */
static enum oom_test_status system_grace(struct grace *t, bool checkpoint)
{
	struct ot_hog job = { .before = checkpoint ? catch_term : ignore_term,
			      .after = checkpoint ? checkpoint_job : NULL,
			      .arg = t->job_file };
	const char *const args[] = { "-i", "0", "-c", CG_MNT, "--grace", "4s", "--avail", "60",
				     "--kill-avail", "20", "--prekill-hooks", "none", NULL };
	enum oom_test_status st;
	char line[1024];
	long avail, total, late;
	int sig, pid;

	OT_ASSERT(meminfo_mib(&avail, &total), "cannot read /proc/meminfo");
	/*
	 * Past the rule by 5 % of RAM, so that it holds at the deadline, and
	 * near enough for the job to be ready before it on a slow kernel.
	 */
	job.mib = avail - total * 55 / 100;
	OT_ASSERT(job.mib > 64, "only %ld MiB available of %ld MiB", avail, total);
	OT_ASSERT(!ot_cg_write(t->cg, "memory.max", "max"), "memory.max");
	st = ot_loader_start(&t->loader, "oom_psi_proactive", args, 0);
	if (!st)
		st = ot_loader_attached(&t->loader);
	if (st)
		return st;
	OT_ASSERT(!ot_child_spawn_hog(&t->job, t->cg, &job), "the job did not start");
	pid = warned_pid(t);
	OT_ASSERT(pid == t->job.pid, "warned pid %d, the job is %d", pid, t->job.pid);
	sig = ot_child_wait_death(&t->job, OT_TIMEOUT_MS);
	if (checkpoint) {
		OT_ASSERT(sig == 0 && !WEXITSTATUS(t->job.status),
			  "the job ended with %d, status %#x", sig, t->job.status);
		OT_ASSERT(!access(t->job_file, F_OK), "no checkpoint");
		OT_ASSERT(ot_proc_read_until(t->loader.out, "no longer holds", line, sizeof(line),
					     OT_TIMEOUT_MS), "no calm reported");
		ot_info("%s", line);
		OT_ASSERT(ot_cg_read_key(t->cg, "memory.events", "oom_kill") == 0, "oom_kill");
		return OOM_TEST_PASS;
	}
	OT_ASSERT(sig == SIGKILL, "the job ended with %d", sig);
	late = killed_late_ms(t, line, sizeof(line));
	OT_ASSERT(late >= 0 && late <= 100, "the kill came %ld ms after the deadline", late);
	OT_ASSERT(ot_cg_read_key(t->cg, "memory.events", "oom_kill") == 1, "oom_kill");
	return OOM_TEST_PASS;
}

static enum oom_test_status run_system_checkpoint(void *ctx)
{
	return system_grace(ctx, true);
}

GRACE_TEST(system_checkpoint_test, "grace_system_checkpoint",
	   "--grace 4s on the whole machine (-c /sys/fs/cgroup --avail 60): the job that makes available memory short is warned, checkpoints and exits; nothing is killed",
	   run_system_checkpoint)

static enum oom_test_status run_system_deadline(void *ctx)
{
	return system_grace(ctx, false);
}

GRACE_TEST(system_deadline_test, "grace_system_kills_at_deadline",
	   "--grace on the whole machine: a job that ignores the warning is killed within 100 ms after the deadline",
	   run_system_deadline)
