// SPDX-License-Identifier: GPL-2.0
/*
 * One run API: the foreground loop of every loader (struct oom_ext_loop),
 * and the loop of a bpf_oom_ops policy that reports through common.bpf.h:
 * its attach, decisions, counters. See oom_ext.h.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>

#include <oom_ext/oom_ext.h>

/* A periodic timerfd in @ep, or -1 (@secs 0: none). */
static int add_timer(int ep, unsigned int secs)
{
	struct itimerspec its = {
		.it_value.tv_sec = secs,
		.it_interval.tv_sec = secs,
	};
	struct epoll_event ev = { .events = EPOLLIN };
	int fd;

	if (!secs)
		return -1;
	fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
	if (fd < 0)
		return -1;
	timerfd_settime(fd, 0, &its, NULL);
	ev.data.fd = fd;
	epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
	return fd;
}

static bool expired(int fd)
{
	__u64 ticks;

	return fd >= 0 && read(fd, &ticks, sizeof(ticks)) > 0;
}

static int sample(void *ctx, void *data, size_t size)
{
	struct oom_ext_loop *loop = ctx;

	return loop->on_event(loop, data, size);
}

static void print_counters(const struct oom_ext_loop *loop)
{
	if (loop->counters)
		oom_ext_print(loop->counters, loop->counters_rec);
}

struct gone {
	const char *cgroup;	/* JSON: the path */
	const char *where;	/* text */
};

static const struct oom_ext_format cgroup_removed = {
	.event = "cgroup_removed",
	.text = "{where} was removed; the kernel detached the policy",
	.fields = (const struct oom_ext_field[]){
		OOM_EXT_FIELD("cgroup", OOM_EXT_F_STRP, struct gone, cgroup),
		{ .name = "where", .type = OOM_EXT_F_STRP, .text_only = true,
		  .off = offsetof(struct gone, where) },
		{}
	},
};

static const struct oom_ext_format detached = {
	.event = "detached",
	.text = "detached",
	.fields = (const struct oom_ext_field[]){ {} },
};

/* Until a signal, a callback's done, or the kernel's EPOLLHUP on the link. */
static int loop_wait(struct oom_ext_loop *loop, const struct oom_ext_opts *opts,
		     struct ring_buffer *rb, int sfd)
{
	int ep, tfd, cfd, rfd = rb ? ring_buffer__epoll_fd(rb) : -1;
	int lfd = loop->links[0] ? bpf_link__fd(loop->links[0]) : -1;
	struct epoll_event ev = { .events = EPOLLIN };
	int ret = OOM_EXT_EXIT_FAIL;

	ep = epoll_create1(EPOLL_CLOEXEC);
	if (ep < 0) {
		oom_ext_err("cannot set up the event loop: %s", strerror(errno));
		return ret;
	}
	ev.data.fd = sfd;
	epoll_ctl(ep, EPOLL_CTL_ADD, sfd, &ev);
	if (rfd >= 0) {
		ev.data.fd = rfd;
		epoll_ctl(ep, EPOLL_CTL_ADD, rfd, &ev);
	}
	/* The kernel reports a detach (cgroup removed) as EPOLLHUP. */
	if (lfd >= 0) {
		ev.data.fd = lfd;
		epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev);
	}
	cfd = add_timer(ep, opts->interval);
	tfd = loop->on_tick ? add_timer(ep, loop->tick_secs) : -1;

	while (!loop->done) {
		struct epoll_event got;
		int n = epoll_wait(ep, &got, 1, -1);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			oom_ext_err("epoll_wait: %s", strerror(errno));
			break;
		}
		if (got.data.fd == rfd) {
			ring_buffer__consume(rb);
		} else if (got.data.fd == cfd) {
			if (expired(cfd))
				print_counters(loop);
		} else if (got.data.fd == tfd) {
			if (expired(tfd))
				loop->on_tick(loop);
		} else if (got.data.fd == sfd) {
			loop->done = true;
		} else if (got.data.fd == lfd && (got.events & EPOLLHUP)) {
			struct gone g = { loop->cgroup ?: "/sys/fs/cgroup",
					  loop->cgroup ?: "the cgroup" };

			if (rb)
				ring_buffer__consume(rb);
			oom_ext_print(&cgroup_removed, &g);
			loop->done = true;
		}
		if (loop->done)
			ret = 0;
	}
	if (rb)
		ring_buffer__consume(rb);
	if (cfd >= 0)
		close(cfd);
	if (tfd >= 0)
		close(tfd);
	close(ep);
	return ret;
}

int oom_ext_run(struct oom_ext_loop *loop, const struct oom_ext_opts *opts)
{
	struct ring_buffer *rb = NULL;
	int sfd, i, ret = OOM_EXT_EXIT_FAIL;
	sigset_t mask;

	/*
	 * From the attached line on, SIGINT/SIGTERM must detach cleanly: block
	 * them before anything else and take them from a signalfd.
	 */
	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	if (loop->attached)
		oom_ext_print(loop->attached, loop->attached_rec);

	sfd = signalfd(-1, &mask, SFD_CLOEXEC);
	if (loop->events)
		rb = ring_buffer__new(bpf_map__fd(loop->events), sample, loop, NULL);
	if (sfd < 0 || (loop->events && !rb))
		oom_ext_err("cannot set up the event loop: %s", strerror(errno));
	else
		ret = loop_wait(loop, opts, rb, sfd);
	print_counters(loop);
	ring_buffer__free(rb);
	if (sfd >= 0)
		close(sfd);
	/* Links before the skeleton, which the caller destroys next. */
	for (i = 0; i < OOM_EXT_MAX_LINKS; i++) {
		bpf_link__destroy(loop->links[i]);
		loop->links[i] = NULL;
	}
	oom_ext_print(&detached, NULL);
	return ret;
}
