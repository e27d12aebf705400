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

/* A periodic timerfd in @ep as @w, or -1 (@secs 0: none). */
static int add_timer(int ep, unsigned int secs, struct oom_ext_watch *w)
{
	struct itimerspec its = {
		.it_value.tv_sec = secs,
		.it_interval.tv_sec = secs,
	};
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = w };

	w->fd = -1;
	if (!secs)
		return -1;
	w->fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
	if (w->fd < 0)
		return -1;
	timerfd_settime(w->fd, 0, &its, NULL);
	epoll_ctl(ep, EPOLL_CTL_ADD, w->fd, &ev);
	return w->fd;
}

int oom_ext_loop_add(struct oom_ext_loop *loop, struct oom_ext_watch *w, __u32 events)
{
	struct epoll_event ev = { .events = events, .data.ptr = w };

	return epoll_ctl(loop->ep, EPOLL_CTL_ADD, w->fd, &ev) ? -errno : 0;
}

void oom_ext_loop_del(struct oom_ext_loop *loop, struct oom_ext_watch *w)
{
	epoll_ctl(loop->ep, EPOLL_CTL_DEL, w->fd, NULL);
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

/* The counters: printed, and written to --metrics. */
static void print_counters(const struct oom_ext_loop *loop)
{
	if (loop->counters)
		oom_ext_print(loop->counters, loop->counters_rec);
	oom_ext_metrics_write(loop);
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

/* An fd of the loop's own in @ep, as @w. */
static void add_fd(int ep, int fd, struct oom_ext_watch *w)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = w };

	w->fd = fd;
	if (fd >= 0)
		epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
}

/* Until a signal, a callback's done, or the kernel's EPOLLHUP on the link. */
static int loop_wait(struct oom_ext_loop *loop, const struct oom_ext_opts *opts,
		     struct ring_buffer *rb, int sfd)
{
	struct oom_ext_watch sig, ring, link, counters, tick;
	int ret = OOM_EXT_EXIT_FAIL;

	loop->ep = epoll_create1(EPOLL_CLOEXEC);
	if (loop->ep < 0) {
		oom_ext_err("cannot set up the event loop: %s", strerror(errno));
		return ret;
	}
	add_fd(loop->ep, sfd, &sig);
	add_fd(loop->ep, rb ? ring_buffer__epoll_fd(rb) : -1, &ring);
	/* The kernel reports a detach (cgroup removed) as EPOLLHUP. */
	add_fd(loop->ep, loop->links[0] ? bpf_link__fd(loop->links[0]) : -1, &link);
	add_timer(loop->ep, opts->interval, &counters);
	add_timer(loop->ep, loop->on_tick ? loop->tick_secs : 0, &tick);

	while (!loop->done) {
		struct epoll_event got;
		struct oom_ext_watch *w;
		int n = epoll_wait(loop->ep, &got, 1, -1);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			oom_ext_err("epoll_wait: %s", strerror(errno));
			break;
		}
		w = got.data.ptr;
		if (w == &ring) {
			ring_buffer__consume(rb);
		} else if (w == &counters) {
			if (expired(counters.fd))
				print_counters(loop);
		} else if (w == &tick) {
			if (expired(tick.fd))
				loop->on_tick(loop);
		} else if (w == &sig) {
			loop->done = true;
		} else if (w == &link) {
			if (got.events & EPOLLHUP) {
				struct gone g = { loop->cgroup ?: "/sys/fs/cgroup",
						  loop->cgroup ?: "the cgroup" };

				if (rb)
					ring_buffer__consume(rb);
				oom_ext_print(&cgroup_removed, &g);
				loop->done = true;
			}
		} else if (w->ready) {
			w->ready(loop, w, got.events);
		}
		if (loop->done)
			ret = 0;
	}
	if (rb)
		ring_buffer__consume(rb);
	if (counters.fd >= 0)
		close(counters.fd);
	if (tick.fd >= 0)
		close(tick.fd);
	close(loop->ep);
	loop->ep = -1;
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
	/* The metrics file exists once the attached line is out. */
	oom_ext_metrics_write(loop);
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
