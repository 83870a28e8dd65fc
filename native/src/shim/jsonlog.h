/* Docker's json-file log format, written by the shim for the container's
 * stdout and stderr:
 *
 *   {"log":"text\n","stream":"stdout","time":"2024-01-01T00:00:00.123456789Z"}
 *
 * One object per line, appended with one write(2) each. Output is cut at
 * '\n' (kept in "log"); a line that fills Docker's 16 KiB copy buffer
 * without a newline is written as a piece without one (moby
 * daemon/logger/copier.go), as is a last unterminated line at EOF. A
 * partial line waits in a per-stream buffer that is allocated only when a
 * read ends mid-line. Write errors (disk full) drop the record: the
 * container's output is never held back for the log. */
#ifndef WHARF_SHIM_JSONLOG_H
#define WHARF_SHIM_JSONLOG_H

#include <stddef.h>
#include <time.h>

#include "common/error.h"

#define JSONLOG_CHUNK (16 * 1024)

enum log_stream
{
  LOG_STDOUT = 0,
  LOG_STDERR = 1,
};

struct json_log;

/* Opens (creates, appends to) path. */
int json_log_open (struct json_log **out, const char *path, wharf_error_t *err);

/* Logs data read from the container. now is the read's time. */
void json_log_write (struct json_log *log, enum log_stream stream, const char *data, size_t len,
                     const struct timespec *now);

/* The stream hit EOF: writes out its unterminated last line, if any. */
void json_log_flush (struct json_log *log, enum log_stream stream, const struct timespec *now);

/* Flushes both streams and frees. NULL is fine. */
void json_log_close (struct json_log *log);

#endif
