/* delete, update and spec. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "cgroup/cgroup.h"
#include "common/utils.h"
#include "runtime/cli.h"
#include "runtime/container.h"
#include "runtime/spec_default.h"

int
wharf_cmd_delete (struct wharf_globals *g, int argc, char **argv, wharf_error_t *err)
{
  bool force = false;
  const struct wharf_opt opts[] = { { "force", 'f', NULL, &force, NULL, NULL }, { NULL, 0, NULL, NULL, NULL, NULL } };
  struct wharf_state st;
  cleanup_free char *dir = NULL;
  const char *id;
  int idx = wharf_parse_opts (argc, argv, opts, err), r;
  struct stat sb;
  if (idx < 0 || wharf_one_id (argc, argv, idx, "delete", &id, err) < 0 || wharf_state_dir (g->root, id, &dir, err) < 0)
    return -1;
  if (wharf_state_load (g->root, id, &st, err) < 0)
    {
      /* A create that died half way leaves a dir without state.json. */
      if (force && stat (dir, &sb) == 0)
        {
          wharf_error_release (err);
          wharf_state_remove (dir);
          return 0;
        }
      return -1;
    }
  r = wharf_container_destroy (dir, &st, force, err);
  wharf_state_free (&st);
  return r;
}

static int
read_stdin (char **out, wharf_error_t *err)
{
  size_t cap = 4096, len = 0;
  char *buf = malloc (cap + 1);
  for (;;)
    {
      ssize_t n;
      if (buf == NULL)
        return wharf_make_error (err, ENOMEM, "read stdin");
      n = read (0, buf + len, cap - len);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        {
          free (buf);
          return wharf_make_error (err, errno, "read stdin");
        }
      if (n == 0)
        break;
      len += (size_t) n;
      if (len == cap)
        {
          char *m = realloc (buf, cap * 2 + 1);
          if (m == NULL)
            free (buf);
          buf = m;
          cap *= 2;
        }
    }
  buf[len] = '\0';
  *out = buf;
  return 0;
}

int
wharf_cmd_update (struct wharf_globals *g, int argc, char **argv, wharf_error_t *err)
{
  const char *file = NULL;
  const struct wharf_opt opts[] = { { "resources", 'r', &file, NULL, NULL, NULL }, { NULL, 0, NULL, NULL, NULL, NULL } };
  struct wharf_state st;
  struct wharf_cgroup cg;
  struct wharf_resources res;
  cleanup_free char *text = NULL;
  const char *id;
  cJSON *json;
  int idx = wharf_parse_opts (argc, argv, opts, err), ret = 0;
  if (idx < 0 || wharf_one_id (argc, argv, idx, "update", &id, err) < 0)
    return -1;
  if (file == NULL)
    return wharf_make_error (err, 0, "update: --resources FILE is required");
  /* "-": fd 0 itself (it may be a socket, which /dev/stdin can't reopen). */
  if (strcmp (file, "-") == 0 ? read_stdin (&text, err) < 0 : wharf_read_file_at (AT_FDCWD, file, &text, NULL, err) < 0)
    return -1;
  json = cJSON_Parse (text);
  if (json == NULL)
    return wharf_make_error (err, 0, "update: `%s` is not valid JSON", file);
  memset (&res, 0, sizeof (res));
  if (wharf_resources_parse (json, &res, err) < 0)
    {
      cJSON_Delete (json);
      return -1;
    }
  cJSON_Delete (json);
  if (wharf_state_load (g->root, id, &st, err) < 0)
    {
      wharf_resources_free (&res);
      return -1;
    }
  if (wharf_cgroup_open (NULL, st.cgroup_path, &cg, err) < 0)
    ret = -1;
  else
    {
      ret = cg.manager->apply (&cg, &res, err);
      wharf_cgroup_close (&cg);
    }
  wharf_resources_free (&res);
  wharf_state_free (&st);
  return ret < 0 ? -1 : 0;
}

int
wharf_cmd_spec (struct wharf_globals *g, int argc, char **argv, wharf_error_t *err)
{
  const char *bundle = ".";
  bool rootless = false;
  const struct wharf_opt opts[] = { { "bundle", 'b', &bundle, NULL, NULL, NULL },
                                    { "rootless", 0, NULL, &rootless, NULL, NULL },
                                    { NULL, 0, NULL, NULL, NULL, NULL } };
  cleanup_free char *path = NULL;
  struct stat sb;
  int fd;
  (void) g;
  if (wharf_parse_opts (argc, argv, opts, err) < 0)
    return -1;
  if (asprintf (&path, "%s/config.json", bundle) < 0)
    return wharf_make_error (err, ENOMEM, "spec");
  if (stat (path, &sb) == 0)
    return wharf_make_error (err, EEXIST, "spec: `%s`", path);
  fd = open (path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0)
    return wharf_make_error (err, errno, "spec: create `%s`", path);
  if (wharf_write_all (fd, wharf_default_spec, strlen (wharf_default_spec)) < 0)
    {
      close (fd);
      return wharf_make_error (err, errno, "spec: write `%s`", path);
    }
  close (fd);
  return 0;
}
