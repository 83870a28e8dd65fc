#include "runtime/sync.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

int
wharf_sync_send (int fd, int type, int value, wharf_error_t *err)
{
  struct wharf_sync_msg m = { .type = type, .value = value };
  ssize_t r;
  do
    r = send (fd, &m, offsetof (struct wharf_sync_msg, text), MSG_NOSIGNAL);
  while (r < 0 && errno == EINTR);
  if (r < 0)
    return wharf_make_error (err, errno, "sync send");
  return 0;
}

void
wharf_sync_send_error (int fd, wharf_error_t *cause)
{
  struct wharf_sync_msg m = { .type = WHARF_SYNC_ERROR };
  size_t len;
  if (cause && *cause)
    {
      m.status = (*cause)->status;
      snprintf (m.text, sizeof (m.text), "%s", (*cause)->msg ? (*cause)->msg : "");
      wharf_error_release (cause);
    }
  len = offsetof (struct wharf_sync_msg, text) + strlen (m.text) + 1;
  while (send (fd, &m, len, MSG_NOSIGNAL) < 0 && errno == EINTR)
    ;
}

int
wharf_sync_recv (int fd, struct wharf_sync_msg *msg, wharf_error_t *err)
{
  ssize_t r;
  memset (msg, 0, offsetof (struct wharf_sync_msg, text) + 1);
  do
    r = recv (fd, msg, sizeof (*msg) - 1, 0);
  while (r < 0 && errno == EINTR);
  if (r < 0)
    return wharf_make_error (err, errno, "sync receive");
  if (r == 0)
    return 0;
  ((char *) msg)[r] = '\0';
  return 1;
}

int
wharf_sync_expect (int fd, int want, const char *who, struct wharf_sync_msg *msg, wharf_error_t *err)
{
  int r = wharf_sync_recv (fd, msg, err);
  if (r < 0)
    return r;
  if (r == 0)
    return wharf_make_error (err, 0, "%s exited unexpectedly", who);
  if (msg->type == WHARF_SYNC_ERROR)
    return wharf_make_error (err, msg->status, "%s", msg->text);
  if (msg->type != want)
    return wharf_make_error (err, 0, "%s: unexpected sync message %d (want %d)", who, msg->type, want);
  return 0;
}
