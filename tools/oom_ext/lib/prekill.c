// SPDX-License-Identifier: GPL-2.0
/*
 * Before a kill: tell the owner in the way hooks for systemd-oomd already
 * listen, its prekill protocol (a varlink call
 * io.systemd.oom.Prekill.Notify on every socket in a directory, a reply
 * when the hook is done). Never waited for past the deadline, and the
 * deadline itself is the kernel's: see oom_ext.h. The earlyoom-style
 * command (--exec-before) is in notify.c, with --exec-after.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <oom_ext/oom_ext.h>

/* One hook's connection: the call is written, then the reply read. */
struct hook {
	struct oom_ext_watch w;
	struct oom_ext_prekill *pk;
	char *out;		/* what is left to write */
	size_t out_len;
	bool replied;
};

struct oom_ext_prekill {
	struct oom_ext_loop *loop;
	struct oom_ext_watch timer;	/* the deadline */
	struct hook *hooks;
	unsigned int nr, open, replied;
	char *call;			/* the NUL-terminated JSON, shared */
	size_t call_len;
	void (*done)(void *arg, unsigned int replied, unsigned int total);
	void *arg;
};

/* A JSON string literal of @s into @buf (with the quotes). */
static void json_quote(char *buf, size_t len, const char *s)
{
	size_t o = 0;

	if (len < 3)
		return;
	buf[o++] = '"';
	for (; *s && o + 7 < len; s++) {
		if (*s == '"' || *s == '\\')
			o += snprintf(buf + o, len - o, "\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			o += snprintf(buf + o, len - o, "\\u%04x", *s);
		else
			buf[o++] = *s;
	}
	buf[o++] = '"';
	buf[o] = 0;
}

static void hook_close(struct hook *h)
{
	if (h->w.fd < 0)
		return;
	oom_ext_loop_del(h->pk->loop, &h->w);
	close(h->w.fd);
	h->w.fd = -1;
	h->pk->open--;
}

/* Every hook has replied or is gone, or the deadline came: report, free. */
static void prekill_finish(struct oom_ext_prekill *pk)
{
	unsigned int i;

	for (i = 0; i < pk->nr; i++)
		hook_close(&pk->hooks[i]);
	oom_ext_loop_del(pk->loop, &pk->timer);
	close(pk->timer.fd);
	pk->done(pk->arg, pk->replied, pk->nr);
	free(pk->hooks);
	free(pk->call);
	free(pk);
}

static void hook_ready(struct oom_ext_loop *loop, struct oom_ext_watch *w, __u32 events)
{
	struct hook *h = (struct hook *)w;
	struct oom_ext_prekill *pk = h->pk;
	char buf[4096];
	ssize_t n;

	if (h->out_len && (events & EPOLLOUT)) {
		n = send(w->fd, h->out, h->out_len, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n > 0) {
			h->out += n;
			h->out_len -= n;
		}
		if (!h->out_len) {
			struct epoll_event ev = { .events = EPOLLIN, .data.ptr = w };

			epoll_ctl(loop->ep, EPOLL_CTL_MOD, w->fd, &ev);
		}
		if (n < 0 && errno != EAGAIN)
			hook_close(h);
	} else if (events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
		/* Any reply, an error too, ends the call: a NUL ends a message. */
		n = recv(w->fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n > 0 && memchr(buf, 0, n)) {
			h->replied = true;
			pk->replied++;
			hook_close(h);
		} else if (n == 0 || (n < 0 && errno != EAGAIN)) {
			hook_close(h);
		}
	}
	if (!pk->open)
		prekill_finish(pk);
}

static void deadline_ready(struct oom_ext_loop *loop, struct oom_ext_watch *w, __u32 events)
{
	prekill_finish(w->arg);
}

/* Connect to the socket @path and queue the call; false if it is not there. */
static bool hook_connect(struct oom_ext_prekill *pk, struct hook *h, const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path))
		return false;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return false;
	/* A socket nobody listens on any more is skipped. */
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) && errno != EINPROGRESS &&
	    errno != EAGAIN) {
		close(fd);
		return false;
	}
	h->w.fd = fd;
	h->w.ready = hook_ready;
	h->pk = pk;
	h->out = pk->call;
	h->out_len = pk->call_len;
	if (oom_ext_loop_add(pk->loop, &h->w, EPOLLOUT | EPOLLIN)) {
		close(fd);
		h->w.fd = -1;
		return false;
	}
	pk->open++;
	return true;
}

struct oom_ext_prekill *oom_ext_prekill_start(struct oom_ext_loop *loop, const char *dir,
					      const struct oom_ext_victim *v,
					      void (*done)(void *arg, unsigned int replied,
							   unsigned int total),
					      void *arg)
{
	struct itimerspec its = {};
	char cgroup[1024], reason[256], path[PATH_MAX];
	struct oom_ext_prekill *pk;
	struct dirent *de;
	struct stat st;
	__u64 now = oom_ext_now_ns();
	DIR *d = dir ? opendir(dir) : NULL;
	unsigned int max = 0;
	int len;

	pk = calloc(1, sizeof(*pk));
	if (!pk)
		goto none;
	pk->loop = loop;
	pk->done = done;
	pk->arg = arg;
	json_quote(cgroup, sizeof(cgroup), v->cgroup);
	json_quote(reason, sizeof(reason), v->reason);
	/* systemd-oomd's call, and our fields after its own. */
	len = asprintf(&pk->call,
		       "{\"method\":\"io.systemd.oom.Prekill.Notify\",\"parameters\":{\"cgroup\":%s,\"deadlineUSec\":%llu,\"reason\":%s,\"killId\":\"%s\",\"pid\":%u}}",
		       cgroup, (unsigned long long)(v->deadline_ns / 1000), reason, v->kill_id,
		       v->pid);
	if (len < 0) {
		pk->call = NULL;
		goto none;
	}
	pk->call_len = len + 1;		/* the NUL ends the message */
	pk->timer.fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	pk->timer.ready = deadline_ready;
	pk->timer.arg = pk;
	if (pk->timer.fd < 0)
		goto none;
	its.it_value.tv_sec = v->deadline_ns / 1000000000ULL;
	its.it_value.tv_nsec = v->deadline_ns % 1000000000ULL;
	if (v->deadline_ns <= now)
		goto none;
	timerfd_settime(pk->timer.fd, TFD_TIMER_ABSTIME, &its, NULL);
	/* The hooks are in the loop by address: count first, allocate once. */
	while (d && (de = readdir(d))) {
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (de->d_name[0] != '.' && !stat(path, &st) && S_ISSOCK(st.st_mode))
			max++;
	}
	pk->hooks = max ? calloc(max, sizeof(*pk->hooks)) : NULL;
	if (d && pk->hooks)
		rewinddir(d);
	while (d && pk->hooks && pk->nr < max && (de = readdir(d))) {
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (de->d_name[0] == '.' || stat(path, &st) || !S_ISSOCK(st.st_mode))
			continue;
		pk->hooks[pk->nr].w.fd = -1;
		if (hook_connect(pk, &pk->hooks[pk->nr], path))
			pk->nr++;
	}
	if (d)
		closedir(d);
	d = NULL;
	if (!pk->nr || oom_ext_loop_add(loop, &pk->timer, EPOLLIN)) {
		unsigned int i;

		for (i = 0; i < pk->nr; i++)
			hook_close(&pk->hooks[i]);
		pk->nr = 0;
		goto none;
	}
	return pk;
none:
	if (d)
		closedir(d);
	if (pk) {
		if (pk->timer.fd > 0)
			close(pk->timer.fd);
		free(pk->hooks);
		free(pk->call);
		free(pk);
	}
	return NULL;
}

__u64 oom_ext_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}
