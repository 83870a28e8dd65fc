/* create, start and run. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "common/utils.h"
#include "runtime/cli.h"
#include "runtime/container.h"

struct create_args
{
  struct wharf_create_opts o;
  bool detach, keep;
  const char *preserve_fds;
};

static int
parse_create (struct wharf_globals *g, int argc, char **argv, struct create_args *a, const char *verb,
              wharf_error_t *err)
{
  bool no_new_keyring = false;
  const struct wharf_opt opts[] = {
    { "bundle", 'b', &a->o.bundle, NULL, NULL, NULL },
    { "pid-file", 0, &a->o.pid_file, NULL, NULL, NULL },
    { "console-socket", 0, &a->o.console_socket, NULL, NULL, NULL },
    { "no-pivot", 0, NULL, &a->o.no_pivot, NULL, NULL },
    { "no-new-keyring", 0, NULL, &no_new_keyring, NULL, NULL },
    { "preserve-fds", 0, &a->preserve_fds, NULL, NULL, NULL },
    { "detach", 'd', NULL, &a->detach, NULL, NULL },
    { "keep", 0, NULL, &a->keep, NULL, NULL },
    { NULL, 0, NULL, NULL, NULL, NULL },
  };
  int idx = wharf_parse_opts (argc, argv, opts, err);
  if (idx < 0 || wharf_one_id (argc, argv, idx, verb, &a->o.id, err) < 0)
    return -1;
  a->o.root = g->root;
  return 0;
}

int
wharf_cmd_create (struct wharf_globals *g, int argc, char **argv, wharf_error_t *err)
{
  struct create_args a = { 0 };
  struct wharf_created c;
  if (parse_create (g, argc, argv, &a, "create", err) < 0 || wharf_container_create (&a.o, &c, err) < 0)
    return -1;
  wharf_created_free (&c);
  return 0;
}

static int
start_loaded (const char *root, const char *id, wharf_error_t *err)
{
  struct wharf_state st;
  struct wharf_spec spec;
  cleanup_free char *dir = NULL, *json = NULL;
  cleanup_close int pidfd = -1;
  const char *status;
  cJSON *config;
  int r;
  if (wharf_state_load (root, id, &st, err) < 0 || wharf_state_dir (root, id, &dir, err) < 0)
    return -1;
  status = wharf_state_status (dir, &st);
  if (strcmp (status, "created") != 0)
    {
      wharf_state_free (&st);
      return wharf_make_error (err, 0, "cannot start a container that is %s", status);
    }
  pidfd = wharf_state_pidfd (&st);
  config = cJSON_Duplicate (st.config, 1);
  if (config == NULL || wharf_spec_parse (config, st.bundle, &spec, err) < 0)
    {
      wharf_state_free (&st);
      return config == NULL ? wharf_make_error (err, 0, "state of `%s` has no config", id) : -1;
    }
  json = wharf_state_oci_json (id, "running", st.pid, st.bundle, spec.annotations, NULL, NULL);
  r = wharf_container_start (dir, pidfd, &spec, json, err);
  wharf_spec_free (&spec);
  wharf_state_free (&st);
  return r;
}

int
wharf_cmd_start (struct wharf_globals *g, int argc, char **argv, wharf_error_t *err)
{
  const struct wharf_opt opts[] = { { NULL, 0, NULL, NULL, NULL, NULL } };
  const char *id;
  int idx = wharf_parse_opts (argc, argv, opts, err);
  if (idx < 0 || wharf_one_id (argc, argv, idx, "start", &id, err) < 0)
    return -1;
  return start_loaded (g->root, id, err) < 0 ? -1 : 0;
}

int
wharf_cmd_run (struct wharf_globals *g, int argc, char **argv, wharf_error_t *err)
{
  struct create_args a = { 0 };
  struct wharf_created c;
  struct wharf_state st;
  cleanup_free char *json = NULL;
  cleanup_close int pidfd = -1;
  int status = 0, code = -1;
  if (parse_create (g, argc, argv, &a, "run", err) < 0 || wharf_container_create (&a.o, &c, err) < 0)
    return -1;
  pidfd = (int) syscall (SYS_pidfd_open, c.pid, 0);
  json = wharf_state_oci_json (a.o.id, "running", c.pid, c.spec.bundle, c.spec.annotations, NULL, NULL);
  if (pidfd < 0)
    wharf_make_error (err, errno, "pidfd_open");
  else if (wharf_container_start (c.state_dir, pidfd, &c.spec, json, err) == 0)
    {
      if (a.detach)
        code = 0;
      else if ((status = wharf_wait_forwarding (c.pid, pidfd, err)) >= 0)
        code = WIFEXITED (status) ? WEXITSTATUS (status) : 128 + WTERMSIG (status);
    }
  if (!a.detach || code < 0)
    {
      wharf_error_t derr = NULL;
      if (wharf_state_load (g->root, a.o.id, &st, &derr) == 0)
        {
          if (wharf_container_destroy (c.state_dir, &st, true, &derr) < 0 && code >= 0)
            {
              wharf_created_free (&c);
              wharf_state_free (&st);
              *err = derr;
              return -1;
            }
          wharf_state_free (&st);
        }
      wharf_error_release (&derr);
    }
  wharf_created_free (&c);
  return code;
}
