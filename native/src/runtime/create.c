/* `create`, the runtime's side: clone the init into its namespaces, write
 * its id maps, put it into its cgroup, run the runtime-namespace hooks and
 * wait until it blocks on exec.fifo. */
#include "runtime/container.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "common/utils.h"
#include "runtime/hooks.h"
#include "runtime/sync.h"
#include "runtime/terminal.h"

static int
write_idmap (pid_t pid, const char *file, const struct wharf_idmap *m, size_t n, wharf_error_t *err)
{
  char path[64], buf[4096];
  size_t len = 0;
  for (size_t i = 0; i < n && len < sizeof (buf) - 40; i++)
    len += (size_t) snprintf (buf + len, sizeof (buf) - len, "%u %u %u\n", m[i].container, m[i].host, m[i].size);
  snprintf (path, sizeof (path), "/proc/%d/%s", (int) pid, file);
  if (wharf_write_file_at (AT_FDCWD, path, buf, len, err) < 0)
    return wharf_error_wrap (err, "write %s", file);
  return 0;
}

static pid_t
raw_clone (unsigned long flags)
{
  return (pid_t) syscall (SYS_clone, flags | SIGCHLD, NULL, NULL, NULL, NULL);
}

/* Joins the namespaces given by path, then clones the init with
 * CLONE_PARENT so it is still our child. Runs in a helper process. */
__attribute__ ((noreturn)) static void
helper_main (struct wharf_init_ctx *ctx, unsigned long flags)
{
  struct wharf_spec *spec = ctx->spec;
  wharf_error_t err = NULL;
  int fds[WHARF_NS_KINDS];
  pid_t pid;
  for (int k = 0; k < WHARF_NS_KINDS; k++)
    {
      fds[k] = -1;
      if (spec->ns[k].present && spec->ns[k].path)
        {
          fds[k] = open (spec->ns[k].path, O_RDONLY | O_CLOEXEC);
          if (fds[k] < 0)
            {
              wharf_make_error (&err, errno, "open %s namespace `%s`", wharf_ns_name (k), spec->ns[k].path);
              goto fail;
            }
        }
    }
  /* Everything else first, as host root; the user namespace last. */
  for (int k = WHARF_NS_KINDS - 1; k >= 0; k--)
    if (fds[k] >= 0 && setns (fds[k], wharf_ns_flag (k)) < 0)
      {
        wharf_make_error (&err, errno, "join %s namespace `%s`", wharf_ns_name (k), spec->ns[k].path);
        goto fail;
      }
  pid = raw_clone (flags | CLONE_PARENT);
  if (pid < 0)
    {
      wharf_make_error (&err, errno, "clone the container init");
      goto fail;
    }
  if (pid == 0)
    wharf_init_main (ctx);
  if (wharf_sync_send (ctx->sync_fd, WHARF_SYNC_PID, pid, &err) < 0)
    _exit (1);
  _exit (0);
fail:
  wharf_sync_send_error (ctx->sync_fd, &err);
  _exit (1);
}

static int
spawn_init (struct wharf_init_ctx *ctx, int parent_end, pid_t *pid, wharf_error_t *err)
{
  struct wharf_spec *spec = ctx->spec;
  unsigned long flags = 0;
  bool helper = false;
  for (int k = 0; k < WHARF_NS_KINDS; k++)
    {
      if (!spec->ns[k].present)
        continue;
      if (spec->ns[k].path)
        helper = true;
      else if (k == WHARF_NS_TIME)
        return wharf_make_error (err, 0, "config: a new time namespace is not supported (join one with `path`)");
      else if (k != WHARF_NS_CGROUP)
        flags |= (unsigned long) wharf_ns_flag (k);
    }
  ctx->new_userns = spec->ns[WHARF_NS_USER].present && !spec->ns[WHARF_NS_USER].path;
  ctx->join_userns = spec->ns[WHARF_NS_USER].present && spec->ns[WHARF_NS_USER].path;
  ctx->new_cgroupns = spec->ns[WHARF_NS_CGROUP].present && !spec->ns[WHARF_NS_CGROUP].path;
  if (!helper)
    {
      *pid = raw_clone (flags);
      if (*pid < 0)
        return wharf_make_error (err, errno, "clone the container init");
      if (*pid == 0)
        {
          close (parent_end);
          wharf_init_main (ctx);
        }
      return 0;
    }
  {
    struct wharf_sync_msg msg;
    pid_t h = fork ();
    int r;
    if (h < 0)
      return wharf_make_error (err, errno, "fork");
    if (h == 0)
      {
        close (parent_end);
        helper_main (ctx, flags);
      }
    r = wharf_sync_expect (parent_end, WHARF_SYNC_PID, "namespace helper", &msg, err);
    waitpid (h, NULL, 0);
    if (r < 0)
      return -1;
    *pid = msg.value;
  }
  return 0;
}

static int
check_spec (const struct wharf_create_opts *o, const struct wharf_spec *spec, wharf_error_t *err)
{
  struct stat sb;
  if (!spec->has_process || spec->process.args == NULL || spec->process.args[0] == NULL)
    return wharf_make_error (err, 0, "config: process.args must not be empty");
  if (stat (spec->rootfs, &sb) < 0)
    return wharf_make_error (err, errno, "rootfs `%s`", spec->rootfs);
  if (!S_ISDIR (sb.st_mode))
    return wharf_make_error (err, ENOTDIR, "rootfs `%s`", spec->rootfs);
  if (!spec->ns[WHARF_NS_MOUNT].present)
    return wharf_make_error (err, 0, "config: a mount namespace is required");
  if (spec->process.terminal && o->console_socket == NULL)
    return wharf_make_error (err, 0, "process.terminal needs --console-socket");
  return 0;
}

static int
write_pid_file (const char *path, pid_t pid, wharf_error_t *err)
{
  cleanup_free char *tmp = NULL;
  char buf[16];
  int n = snprintf (buf, sizeof (buf), "%d", (int) pid), fd;
  if (asprintf (&tmp, "%s.tmp", path) < 0)
    return wharf_make_error (err, ENOMEM, "pid file");
  fd = open (tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0)
    return wharf_make_error (err, errno, "create pid file `%s`", tmp);
  if (wharf_write_all (fd, buf, (size_t) n) < 0)
    {
      close (fd);
      return wharf_make_error (err, errno, "write pid file `%s`", tmp);
    }
  close (fd);
  if (rename (tmp, path) < 0)
    return wharf_make_error (err, errno, "rename pid file `%s`", path);
  return 0;
}

static int
talk_to_init (const struct wharf_create_opts *o, struct wharf_created *c, struct wharf_init_ctx *ctx, int sync,
              const struct wharf_resources *res, wharf_error_t *err)
{
  struct wharf_spec *spec = &c->spec;
  struct wharf_sync_msg msg;
  if (ctx->new_userns
      && (write_idmap (c->pid, "uid_map", spec->uid_mappings, spec->n_uid_mappings, err) < 0
          || write_idmap (c->pid, "gid_map", spec->gid_mappings, spec->n_gid_mappings, err) < 0))
    return -1;
  if (c->cg.manager->enter (&c->cg, c->pid, err) < 0 || c->cg.manager->apply (&c->cg, res, err) < 0)
    return wharf_error_wrap (err, "cgroup `%s`", c->cg.path);
  if (wharf_sync_send (sync, WHARF_SYNC_GO, c->pid, err) < 0)
    return -1;
  for (;;)
    {
      int r = wharf_sync_recv (sync, &msg, err);
      if (r < 0)
        return -1;
      if (r == 0)
        return wharf_make_error (err, 0, "container init exited unexpectedly");
      if (msg.type == WHARF_SYNC_ERROR)
        return wharf_make_error (err, msg.status, "%s", msg.text);
      if (msg.type == WHARF_SYNC_READY)
        return 0;
      if (msg.type == WHARF_SYNC_HOOKS)
        {
          cleanup_free char *state = wharf_state_oci_json (o->id, "creating", c->pid, spec->bundle,
                                                           spec->annotations, NULL, NULL);
          if (wharf_hooks_run (&spec->hooks[WHARF_HOOK_PRESTART], "prestart", state, err) < 0
              || wharf_hooks_run (&spec->hooks[WHARF_HOOK_CREATE_RUNTIME], "createRuntime", state, err) < 0
              || wharf_sync_send (sync, WHARF_SYNC_HOOKS_DONE, c->pid, err) < 0)
            return -1;
        }
    }
}

int
wharf_container_create (const struct wharf_create_opts *o, struct wharf_created *c, wharf_error_t *err)
{
  struct wharf_resources res;
  struct wharf_init_ctx ctx = { .console_fd = -1, .fifo_fd = -1, .sync_fd = -1 };
  cleanup_free char *fifo = NULL, *cgpath = NULL, *seccomp_cache = NULL;
  cleanup_free struct wharf_seccomp_prog *seccomp = NULL;
  cleanup_close int console = -1, fifo_fd = -1, sync_parent = -1;
  int sv[2];
  bool have_res = false, have_cg = false;
  cJSON *state = NULL;

  memset (c, 0, sizeof (*c));
  memset (&res, 0, sizeof (res));
  if (wharf_state_dir (o->root, o->id, &c->state_dir, err) < 0)
    return -1;
  if (wharf_spec_load (o->bundle ? o->bundle : ".", &c->spec, err) < 0 || check_spec (o, &c->spec, err) < 0)
    return -1;
  if (wharf_mkdir_all (o->root, 0711, err) < 0)
    return -1;
  if (mkdir (c->state_dir, 0700) < 0)
    return errno == EEXIST ? wharf_make_error (err, 0, "container `%s` already exists", o->id)
                           : wharf_make_error (err, errno, "mkdir `%s`", c->state_dir);

  if (c->spec.resources && wharf_resources_parse (c->spec.resources, &res, err) < 0)
    goto fail;
  have_res = true;
  if (asprintf (&seccomp_cache, "%s/seccomp", o->root) < 0)
    {
      wharf_make_error (err, ENOMEM, "seccomp cache path");
      goto fail;
    }
  if (wharf_seccomp_compile (c->spec.seccomp, seccomp_cache, &seccomp, err) < 0)
    goto fail;
  if (wharf_resources_add_default_devices (&res, &c->spec, err) < 0)
    goto fail;
  if (c->spec.cgroups_path == NULL && asprintf (&cgpath, "/wharf-runtime/%s", o->id) < 0)
    {
      wharf_make_error (err, ENOMEM, "cgroup path");
      goto fail;
    }
  if (wharf_cgroup_open (NULL, c->spec.cgroups_path ? c->spec.cgroups_path : cgpath, &c->cg, err) < 0)
    goto fail;
  have_cg = true;

  /* 0622 whatever our umask: the init may run as another (mapped) uid. */
  if (asprintf (&fifo, "%s/exec.fifo", c->state_dir) < 0 || mkfifo (fifo, 0622) < 0 || chmod (fifo, 0622) < 0
      || (fifo_fd = open (fifo, O_PATH | O_CLOEXEC)) < 0)
    {
      wharf_make_error (err, errno, "exec.fifo");
      goto fail;
    }
  if (c->spec.process.terminal && (console = wharf_console_connect (o->console_socket, err)) < 0)
    goto fail;
  if (socketpair (AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
    {
      wharf_make_error (err, errno, "socketpair");
      goto fail;
    }
  sync_parent = sv[0];
  ctx = (struct wharf_init_ctx){ .spec = &c->spec, .cg = &c->cg, .seccomp = seccomp, .id = o->id, .state_dir = c->state_dir,
                                 .sync_fd = sv[1], .fifo_fd = fifo_fd, .console_fd = console,
                                 .no_pivot = o->no_pivot };
  if (spawn_init (&ctx, sync_parent, &c->pid, err) < 0)
    {
      close (sv[1]);
      goto fail;
    }
  close (sv[1]);
  c->is_child = true;
  if (talk_to_init (o, c, &ctx, sync_parent, &res, err) < 0)
    goto fail;
  if (wharf_proc_stat (c->pid, &c->start_time, NULL) < 0)
    {
      wharf_make_error (err, 0, "container init exited unexpectedly");
      goto fail;
    }
  state = wharf_state_new (o->id, c->pid, c->start_time, c->spec.bundle, c->spec.rootfs, c->cg.path, c->spec.json);
  if (wharf_state_save (c->state_dir, state, err) < 0)
    goto fail;
  cJSON_Delete (state);
  state = NULL;
  if (o->pid_file && write_pid_file (o->pid_file, c->pid, err) < 0)
    goto fail;
  wharf_resources_free (&res);
  return 0;

fail:
  cJSON_Delete (state);
  if (c->pid > 0)
    {
      kill (c->pid, SIGKILL);
      waitpid (c->pid, NULL, 0);
      c->pid = 0;
    }
  if (have_cg)
    {
      wharf_error_t ignored = NULL;
      if (c->cg.manager->destroy (&c->cg, &ignored) < 0)
        wharf_error_release (&ignored);
    }
  if (have_res)
    wharf_resources_free (&res);
  wharf_state_remove (c->state_dir);
  return -1;
}

void
wharf_created_free (struct wharf_created *c)
{
  wharf_spec_free (&c->spec);
  if (c->cg.manager)
    wharf_cgroup_close (&c->cg);
  free (c->state_dir);
  memset (c, 0, sizeof (*c));
}
