/*
 * observe_fake.c - the host double of kaudit observe's injection library
 * (KAUDIT_OBSERVE_LIB selects it, as KAUDIT_GPU_LIB selects the GPU test
 * plugin): the same InitializeInjection entry, the same channel
 * (run/observe_wire.h) and the same first record, but the records after it
 * are whatever the process hands kaudit_fake_observe_send(): the fake
 * harness (tests/tools/fake_harness.c) plays fabricated streams through it.
 * $KAUDIT_FAKE_SUBSCRIBER set: CUPTI is "held" by that tool and the process
 * says so, as the real library does when cuptiSubscribe fails.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "run/observe_wire.h"

static int fd = -1;

int InitializeInjection(void);
int kaudit_fake_observe_send(const char *line, size_t n);

int InitializeInjection(void)
{
	if (fd >= 0)
		return 1;
	fd = observe_wire_connect();
	if (fd < 0)
		return 1;
	const char *holder = getenv("KAUDIT_FAKE_SUBSCRIBER");
	char buf[1024], msg[256];
	struct observe_line l;
	observe_line_begin(&l, buf, sizeof buf, "process");
	observe_line_int(&l, "pid", getpid());
	observe_line_int(&l, "ppid", getppid());
	observe_line_str(&l, "exe", "fake_harness");
	observe_line_bool(&l, "subscribed", !(holder && *holder));
	if (holder && *holder) {
		snprintf(msg, sizeof msg, "cuptiSubscribe: CUPTI_ERROR_MULTIPLE_SUBSCRIBERS_NOT_SUPPORTED "
			 "(another CUPTI subscriber holds this process: %s)", holder);
		observe_line_str(&l, "message", msg);
	}
	observe_line_str(&l, "cupti", "host-double");
	size_t n = observe_line_end(&l);
	if (n)
		(void)observe_wire_send(fd, buf, n);
	return 1;
}

int kaudit_fake_observe_send(const char *line, size_t n)
{
	return fd < 0 ? -1 : observe_wire_send(fd, line, n);
}
