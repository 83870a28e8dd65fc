/* state, list and ps. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "cgroup/cgroup.h"
#include "common/utils.h"
#include "runtime/cli.h"
#include "runtime/state.h"

static const cJSON *
annotations_of (const struct wharf_state *st)
{
  const cJSON *a = cJSON_GetObjectItemCaseSensitive (st->config, "annotations");
  return cJSON_IsObject (a) ? a : NULL;
}

int
wharf_cmd_state (struct wharf_globals *g, int argc, char **argv, wharf_error_t *err)
{
  const struct wharf_opt opts[] = { { NULL, 0, NULL, NULL, NULL, NULL } };
  struct wharf_state st;
  cleanup_free char *dir = NULL, *json = NULL;
  const char *id;
  int idx = wharf_parse_opts (argc, argv, opts, err);
  if (idx < 0 || wharf_one_id (argc, argv, idx, "state", &id, err) < 0 || wharf_state_dir (g->root, id, &dir, err) < 0)
    return -1;
  if (wharf_state_load (g->root, id, &st, err) < 0)
    return -1;
  json = wharf_state_oci_json (id, wharf_state_status (dir, &st), st.pid, st.bundle, annotations_of (&st), st.rootfs,
                               st.created);
  wharf_state_free (&st);
  puts (json ? json : "{}");
  return 0;
}

int
wharf_cmd_list (struct wharf_globals *g, int argc, char **argv, wharf_error_t *err)
{
  const char *format = "table";
  bool quiet = false;
  const struct wharf_opt opts[] = { { "format", 'f', &format, NULL, NULL, NULL },
                                    { "quiet", 'q', NULL, &quiet, NULL, NULL },
                                    { NULL, 0, NULL, NULL, NULL, NULL } };
  bool json = false;
  cJSON *arr = cJSON_CreateArray ();
  DIR *d;
  struct dirent *de;
  if (wharf_parse_opts (argc, argv, opts, err) < 0)
    return -1;
  json = strcmp (format, "json") == 0;
  d = opendir (g->root);
  if (!json && !quiet)
    printf ("%-20s %-8s %-10s %-40s %s\n", "ID", "PID", "STATUS", "BUNDLE", "CREATED");
  while (d && (de = readdir (d)) != NULL)
    {
      struct wharf_state st;
      wharf_error_t ignored = NULL;
      cleanup_free char *dir = NULL, *one = NULL;
      const char *status;
      if (de->d_name[0] == '.' || wharf_state_load (g->root, de->d_name, &st, &ignored) < 0)
        {
          wharf_error_release (&ignored);
          continue;
        }
      if (wharf_state_dir (g->root, de->d_name, &dir, &ignored) < 0)
        {
          wharf_error_release (&ignored);
          wharf_state_free (&st);
          continue;
        }
      status = wharf_state_status (dir, &st);
      if (json)
        {
          one = wharf_state_oci_json (de->d_name, status, st.pid, st.bundle, annotations_of (&st), st.rootfs,
                                      st.created);
          cJSON_AddItemToArray (arr, cJSON_Parse (one));
        }
      else if (quiet)
        puts (de->d_name);
      else
        printf ("%-20s %-8d %-10s %-40s %s\n", de->d_name, strcmp (status, "stopped") ? (int) st.pid : 0, status,
                st.bundle, st.created);
      wharf_state_free (&st);
    }
  if (d)
    closedir (d);
  if (json)
    {
      char *text = cJSON_PrintUnformatted (arr);
      puts (text ? text : "[]");
      free (text);
    }
  cJSON_Delete (arr);
  return 0;
}

int
wharf_cmd_ps (struct wharf_globals *g, int argc, char **argv, wharf_error_t *err)
{
  const char *format = "table";
  const struct wharf_opt opts[] = { { "format", 'f', &format, NULL, NULL, NULL }, { NULL, 0, NULL, NULL, NULL, NULL } };
  struct wharf_state st;
  struct wharf_cgroup cg;
  cleanup_free pid_t *pids = NULL;
  size_t n = 0;
  const char *id;
  int idx = wharf_parse_opts (argc, argv, opts, err);
  if (idx < 0 || wharf_one_id (argc, argv, idx, "ps", &id, err) < 0 || wharf_state_load (g->root, id, &st, err) < 0)
    return -1;
  if (wharf_cgroup_open (NULL, st.cgroup_path, &cg, err) < 0)
    {
      wharf_state_free (&st);
      return -1;
    }
  if (cg.manager->pids (&cg, &pids, &n, err) < 0)
    n = (size_t) -1;
  wharf_cgroup_close (&cg);
  wharf_state_free (&st);
  if (n == (size_t) -1)
    return -1;
  if (strcmp (format, "json") == 0)
    {
      putchar ('[');
      for (size_t i = 0; i < n; i++)
        printf ("%s%d", i ? "," : "", (int) pids[i]);
      puts ("]");
      return 0;
    }
  printf ("%-8s %s\n", "PID", "CMD");
  for (size_t i = 0; i < n; i++)
    {
      char path[64], cmd[4096];
      wharf_error_t ignored = NULL;
      char *text = NULL;
      size_t len = 0;
      snprintf (path, sizeof (path), "/proc/%d/cmdline", (int) pids[i]);
      cmd[0] = '\0';
      if (wharf_read_file_at (AT_FDCWD, path, &text, &len, &ignored) == 0)
        {
          for (size_t k = 0; k + 1 < len; k++)
            if (text[k] == '\0')
              text[k] = ' ';
          snprintf (cmd, sizeof (cmd), "%s", text);
          free (text);
        }
      wharf_error_release (&ignored);
      printf ("%-8d %s\n", (int) pids[i], cmd);
    }
  return 0;
}
