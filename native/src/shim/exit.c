#include "shim/exit.h"

#include <stdio.h>
#include <sys/wait.h>

#include "common/utils.h"
#include "shim/json.h"

int
exit_file_write (const char *path, int wait_status, bool oom_killed, const struct timespec *finished,
                 wharf_error_t *err)
{
  char ts[JSON_TIME_LEN + 1];
  char buf[160];
  char sig[16] = "null";
  int code, len;
  if (WIFSIGNALED (wait_status))
    {
      code = 128 + WTERMSIG (wait_status);
      snprintf (sig, sizeof (sig), "%d", WTERMSIG (wait_status));
    }
  else
    code = WEXITSTATUS (wait_status);
  json_format_time (ts, finished);
  len = snprintf (buf, sizeof (buf), "{\"exitCode\":%d,\"signal\":%s,\"oomKilled\":%s,\"finishedAt\":\"%s\"}\n", code,
                  sig, oom_killed ? "true" : "false", ts);
  return wharf_write_file_atomic (path, buf, (size_t) len, 0644, err);
}
