#include "shim/jsonlog.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/utils.h"
#include "shim/json.h"

struct partial
{
  char *buf; /* JSONLOG_CHUNK bytes once needed */
  size_t len;
};

struct json_log
{
  int fd;
  struct partial part[2];
};

static const char *const stream_names[2] = { "stdout", "stderr" };

int
json_log_open (struct json_log **out, const char *path, wharf_error_t *err)
{
  struct json_log *log;
  int fd = open (path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, 0640);
  if (UNLIKELY (fd < 0))
    return wharf_make_error (err, errno, "open log `%s`", path);
  log = calloc (1, sizeof (*log));
  if (log == NULL)
    {
      close (fd);
      return wharf_make_error (err, ENOMEM, "open log `%s`", path);
    }
  log->fd = fd;
  *out = log;
  return 0;
}

/* Writes one record. Small records are built on the stack, long ones in a
 * buffer sized by a counting pass, so each record is one write(2). */
static void
emit (struct json_log *log, enum log_stream stream, const char *data, size_t len, const struct timespec *now)
{
  static const char head[] = "{\"log\":\"";
  static const char mid[] = "\",\"stream\":\"";
  static const char timek[] = "\",\"time\":\"";
  static const char tail[] = "\"}\n";
  const char *name = stream_names[stream];
  char stack[2048];
  cleanup_free char *heap = NULL;
  size_t esc = json_escape (NULL, data, len);
  size_t total = sizeof (head) - 1 + esc + sizeof (mid) - 1 + strlen (name) + sizeof (timek) - 1 + JSON_TIME_LEN
                 + sizeof (tail) - 1;
  char *buf = stack, *p;
  if (total > sizeof (stack))
    {
      heap = malloc (total + 1);
      if (heap == NULL)
        return;
      buf = heap;
    }
  p = buf;
  memcpy (p, head, sizeof (head) - 1);
  p += sizeof (head) - 1;
  p += json_escape (p, data, len);
  memcpy (p, mid, sizeof (mid) - 1);
  p += sizeof (mid) - 1;
  memcpy (p, name, strlen (name));
  p += strlen (name);
  memcpy (p, timek, sizeof (timek) - 1);
  p += sizeof (timek) - 1;
  {
    char ts[JSON_TIME_LEN + 1];
    json_format_time (ts, now);
    memcpy (p, ts, JSON_TIME_LEN);
    p += JSON_TIME_LEN;
  }
  memcpy (p, tail, sizeof (tail) - 1);
  p += sizeof (tail) - 1;
  (void) wharf_write_all (log->fd, buf, (size_t) (p - buf));
}

/* Appends to the stream's partial buffer; false when it cannot be had. */
static int
stash (struct partial *part, const char *data, size_t len)
{
  if (part->buf == NULL)
    {
      part->buf = malloc (JSONLOG_CHUNK);
      if (part->buf == NULL)
        return -1;
    }
  memcpy (part->buf + part->len, data, len);
  part->len += len;
  return 0;
}

void
json_log_write (struct json_log *log, enum log_stream stream, const char *data, size_t len,
                const struct timespec *now)
{
  struct partial *part;
  if (log == NULL)
    return;
  part = &log->part[stream];
  while (len > 0)
    {
      size_t room = JSONLOG_CHUNK - part->len;
      size_t scan = len < room ? len : room;
      const char *nl = memchr (data, '\n', scan);
      size_t take = nl ? (size_t) (nl - data) + 1 : scan;

      if (nl == NULL && part->len + scan < JSONLOG_CHUNK)
        {
          /* No newline and the window is not full: wait for more. */
          if (stash (part, data, scan) < 0)
            emit (log, stream, data, scan, now);
          return;
        }
      if (part->len == 0)
        emit (log, stream, data, take, now);
      else
        {
          memcpy (part->buf + part->len, data, take);
          emit (log, stream, part->buf, part->len + take, now);
          part->len = 0;
        }
      data += take;
      len -= take;
    }
}

void
json_log_flush (struct json_log *log, enum log_stream stream, const struct timespec *now)
{
  struct partial *part;
  if (log == NULL)
    return;
  part = &log->part[stream];
  if (part->len > 0)
    emit (log, stream, part->buf, part->len, now);
  part->len = 0;
  free (part->buf);
  part->buf = NULL;
}

void
json_log_close (struct json_log *log)
{
  struct timespec now;
  if (log == NULL)
    return;
  clock_gettime (CLOCK_REALTIME, &now);
  json_log_flush (log, LOG_STDOUT, &now);
  json_log_flush (log, LOG_STDERR, &now);
  close (log->fd);
  free (log);
}
