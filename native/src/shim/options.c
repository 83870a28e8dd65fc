#include "shim/options.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/utils.h"

enum
{
  OPT_ID = 256,
  OPT_RUNTIME,
  OPT_RUNTIME_ROOT,
  OPT_BUNDLE,
  OPT_STATE_DIR,
  OPT_LOG_PATH,
  OPT_TERMINAL,
  OPT_STDIN,
  OPT_EXEC_PROCESS,
  OPT_SYNC_FD,
};

static const struct option long_options[] = {
  { "id", required_argument, NULL, OPT_ID },
  { "runtime", required_argument, NULL, OPT_RUNTIME },
  { "runtime-root", required_argument, NULL, OPT_RUNTIME_ROOT },
  { "bundle", required_argument, NULL, OPT_BUNDLE },
  { "state-dir", required_argument, NULL, OPT_STATE_DIR },
  { "log-path", required_argument, NULL, OPT_LOG_PATH },
  { "terminal", no_argument, NULL, OPT_TERMINAL },
  { "stdin", no_argument, NULL, OPT_STDIN },
  { "exec-process", required_argument, NULL, OPT_EXEC_PROCESS },
  { "sync-fd", required_argument, NULL, OPT_SYNC_FD },
  { NULL, 0, NULL, 0 },
};

/* A malloc'd absolute version of path (relative to the current dir). */
static char *
absolute (const char *path)
{
  char cwd[4096];
  char *out = NULL;
  if (path[0] == '/')
    return strdup (path);
  if (getcwd (cwd, sizeof (cwd)) == NULL)
    return NULL;
  if (asprintf (&out, "%s/%s", cwd, path) < 0)
    return NULL;
  return out;
}

static int
set_path (char **dst, const char *arg, const char *name, wharf_error_t *err)
{
  free (*dst);
  *dst = absolute (arg);
  if (*dst == NULL)
    return wharf_make_error (err, errno ? errno : ENOMEM, "--%s `%s`", name, arg);
  return 0;
}

int
shim_options_parse (struct shim_options *o, int argc, char **argv, wharf_error_t *err)
{
  int c;
  memset (o, 0, sizeof (*o));
  o->sync_fd = -1;
  opterr = 0;
  optind = 1;
  while ((c = getopt_long (argc, argv, "", long_options, NULL)) != -1)
    {
      int r = 0;
      switch (c)
        {
        case OPT_ID:
          free (o->id);
          o->id = strdup (optarg);
          break;
        case OPT_RUNTIME:
          /* A bare name is looked up in $PATH by execvp. */
          free (o->runtime);
          o->runtime = strchr (optarg, '/') ? absolute (optarg) : strdup (optarg);
          break;
        case OPT_RUNTIME_ROOT:
          r = set_path (&o->runtime_root, optarg, "runtime-root", err);
          break;
        case OPT_BUNDLE:
          r = set_path (&o->bundle, optarg, "bundle", err);
          break;
        case OPT_STATE_DIR:
          r = set_path (&o->state_dir, optarg, "state-dir", err);
          break;
        case OPT_LOG_PATH:
          r = set_path (&o->log_path, optarg, "log-path", err);
          break;
        case OPT_EXEC_PROCESS:
          r = set_path (&o->exec_process, optarg, "exec-process", err);
          break;
        case OPT_TERMINAL:
          o->terminal = true;
          break;
        case OPT_STDIN:
          o->stdin_open = true;
          break;
        case OPT_SYNC_FD:
          {
            char *end;
            long v = strtol (optarg, &end, 10);
            if (*optarg == '\0' || *end != '\0' || v < 3 || v > 65535)
              return wharf_make_error (err, 0, "--sync-fd `%s`: want a file descriptor >= 3", optarg);
            if (fcntl ((int) v, F_GETFD) < 0)
              return wharf_make_error (err, errno, "--sync-fd %ld", v);
            o->sync_fd = (int) v;
          }
          break;
        default:
          return wharf_make_error (err, 0, "unknown or incomplete option `%s`", argv[optind - 1]);
        }
      if (r < 0)
        return r;
    }
  if (optind < argc)
    return wharf_make_error (err, 0, "unexpected argument `%s`", argv[optind]);
  if (o->id == NULL || *o->id == '\0')
    return wharf_make_error (err, 0, "--id is required");
  if (o->runtime == NULL)
    return wharf_make_error (err, 0, "--runtime is required");
  if (o->runtime_root == NULL)
    return wharf_make_error (err, 0, "--runtime-root is required");
  if (o->bundle == NULL && o->exec_process == NULL)
    return wharf_make_error (err, 0, "--bundle is required");
  if (o->state_dir == NULL)
    return wharf_make_error (err, 0, "--state-dir is required");
  return 0;
}

void
shim_options_free (struct shim_options *o)
{
  free (o->id);
  free (o->runtime);
  free (o->runtime_root);
  free (o->bundle);
  free (o->state_dir);
  free (o->log_path);
  free (o->exec_process);
  memset (o, 0, sizeof (*o));
}
