/* wharf-runtime: an OCI runtime with runc's command line (native/README.md). */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "common/error.h"
#include "runtime/cli.h"
#include "runtime/cloned_binary.h"

static const struct
{
  const char *name;
  wharf_verb_fn fn;
  bool enters_container;
} verbs[] = {
  { "create", wharf_cmd_create, true }, { "start", wharf_cmd_start, false },  { "state", wharf_cmd_state, false },
  { "kill", wharf_cmd_kill, false },    { "delete", wharf_cmd_delete, false }, { "run", wharf_cmd_run, true },
  { "exec", wharf_cmd_exec, true },     { "pause", wharf_cmd_pause, false },  { "resume", wharf_cmd_resume, false },
  { "update", wharf_cmd_update, false }, { "ps", wharf_cmd_ps, false },       { "list", wharf_cmd_list, false },
  { "spec", wharf_cmd_spec, false },
};

static void
log_error (const struct wharf_globals *g, const char *msg)
{
  FILE *f;
  if (g->log == NULL)
    return;
  f = fopen (g->log, "ae");
  if (f == NULL)
    return;
  if (g->log_format && strcmp (g->log_format, "json") == 0)
    {
      char ts[64];
      time_t now = time (NULL);
      struct tm tm;
      cJSON *j = cJSON_CreateObject ();
      char *text;
      gmtime_r (&now, &tm);
      strftime (ts, sizeof (ts), "%Y-%m-%dT%H:%M:%SZ", &tm);
      cJSON_AddStringToObject (j, "level", "error");
      cJSON_AddStringToObject (j, "msg", msg);
      cJSON_AddStringToObject (j, "time", ts);
      text = cJSON_PrintUnformatted (j);
      fprintf (f, "%s\n", text ? text : "");
      free (text);
      cJSON_Delete (j);
    }
  else
    fprintf (f, "wharf-runtime: %s\n", msg);
  fclose (f);
}

static int
fail (const struct wharf_globals *g, wharf_error_t *err)
{
  char *msg = NULL;
  if (*err == NULL)
    return 1;
  if ((*err)->status > 0)
    {
      if (asprintf (&msg, "%s: %s", (*err)->msg, strerror ((*err)->status)) < 0)
        msg = NULL;
    }
  else
    msg = strdup ((*err)->msg ? (*err)->msg : "error");
  fprintf (stderr, "wharf-runtime: %s\n", msg ? msg : "error");
  log_error (g, msg ? msg : "error");
  free (msg);
  wharf_error_release (err);
  return 1;
}

int
main (int argc, char **argv)
{
  struct wharf_globals g = { .root = "/run/wharf-runtime" };
  const char *rootless = NULL, *criu = NULL;
  bool debug = false, systemd_cgroup = false, help = false;
  const struct wharf_opt opts[] = {
    { "root", 0, &g.root, NULL, NULL, NULL },
    { "log", 0, &g.log, NULL, NULL, NULL },
    { "log-format", 0, &g.log_format, NULL, NULL, NULL },
    { "rootless", 0, &rootless, NULL, NULL, NULL },
    { "criu", 0, &criu, NULL, NULL, NULL },
    { "debug", 0, NULL, &debug, NULL, NULL },
    { "systemd-cgroup", 0, NULL, &systemd_cgroup, NULL, NULL },
    { "help", 'h', NULL, &help, NULL, NULL },
    { NULL, 0, NULL, NULL, NULL, NULL },
  };
  wharf_error_t err = NULL;
  int idx = wharf_parse_opts (argc - 1, argv + 1, opts, &err);
  if (idx < 0)
    return fail (&g, &err);
  idx++;
  if (help || idx >= argc)
    {
      fputs ("usage: wharf-runtime [--root DIR] [--log FILE] [--log-format text|json] "
             "create|start|state|kill|delete|run|exec|pause|resume|update|ps|list|spec ...\n",
             help ? stdout : stderr);
      return help ? 0 : 1;
    }
  if (strcmp (argv[idx], "--version") == 0 || strcmp (argv[idx], "-v") == 0 || strcmp (argv[idx], "version") == 0)
    {
      puts ("wharf-runtime version 0.1.0\nspec: 1.2.0");
      return 0;
    }
  for (size_t i = 0; i < sizeof (verbs) / sizeof (verbs[0]); i++)
    if (strcmp (argv[idx], verbs[i].name) == 0)
      {
        int r;
        if (verbs[i].enters_container && wharf_ensure_cloned_binary (argv, &err) < 0)
          return fail (&g, &err);
        r = verbs[i].fn (&g, argc - idx - 1, argv + idx + 1, &err);
        return r < 0 ? fail (&g, &err) : r;
      }
  wharf_make_error (&err, 0, "unknown command `%s`", argv[idx]);
  return fail (&g, &err);
}
