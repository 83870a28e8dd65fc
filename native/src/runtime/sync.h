/* Messages between the runtime and the container's init (or an exec'd
 * process) over a SOCK_SEQPACKET socketpair: one message per packet, so no
 * framing and no partial reads. EOF means the peer exited or exec'd (the
 * child's end is O_CLOEXEC). */
#ifndef WHARF_RUNTIME_SYNC_H
#define WHARF_RUNTIME_SYNC_H

#include <stddef.h>
#include <sys/types.h>

#include "common/error.h"

enum wharf_sync_type
{
  WHARF_SYNC_GO = 1,     /* runtime -> child: uid maps written, cgroup entered */
  WHARF_SYNC_PID,        /* helper -> runtime: host pid of the init (payload int) */
  WHARF_SYNC_HOOKS,      /* init -> runtime: mounts done, run prestart/createRuntime hooks */
  WHARF_SYNC_HOOKS_DONE, /* runtime -> init */
  WHARF_SYNC_READY,      /* init -> runtime: waiting on exec.fifo */
  WHARF_SYNC_ERROR,      /* child -> runtime: payload is the message, status the errno */
};

#define WHARF_SYNC_MAX 4096

struct wharf_sync_msg
{
  int type;
  int status;
  int value;
  char text[WHARF_SYNC_MAX];
};

int wharf_sync_send (int fd, int type, int value, wharf_error_t *err);
/* Sends an error (consumes *cause). */
void wharf_sync_send_error (int fd, wharf_error_t *cause);
/* Receives one message; returns 0 on EOF, 1 on a message. */
int wharf_sync_recv (int fd, struct wharf_sync_msg *msg, wharf_error_t *err);
/* Waits for a message of type `want`; an ERROR message becomes *err, EOF is
 * reported as "<who> exited unexpectedly". */
int wharf_sync_expect (int fd, int want, const char *who, struct wharf_sync_msg *msg, wharf_error_t *err);

#endif
