/* The container's init, from the clone to execve. Errors before READY go
 * to the runtime over the sync socket; after it (the runtime is gone by
 * then) to our stderr. */
#include "runtime/container.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/utils.h"
#include "runtime/hooks.h"
#include "runtime/mounts.h"
#include "runtime/process.h"
#include "runtime/sync.h"
#include "runtime/terminal.h"

static int
become_root (wharf_error_t *err)
{
  if (setgroups (0, NULL) < 0 && errno != EPERM)
    return wharf_make_error (err, errno, "setgroups");
  if (setresgid (0, 0, 0) < 0)
    return wharf_make_error (err, errno, "setresgid 0 in the user namespace");
  if (setresuid (0, 0, 0) < 0)
    return wharf_make_error (err, errno, "setresuid 0 in the user namespace");
  return 0;
}

/* Blocks until `start` opens exec.fifo, writes one byte and keeps the fd:
 * it is O_CLOEXEC, so `start` sees EOF exactly when we exec (or die). */
static int
wait_exec_fifo (int fifo_fd, wharf_error_t *err)
{
  char p[32];
  int fd;
  snprintf (p, sizeof (p), "/proc/self/fd/%d", fifo_fd);
  do
    fd = open (p, O_WRONLY | O_CLOEXEC);
  while (fd < 0 && errno == EINTR);
  if (fd < 0)
    return wharf_make_error (err, errno, "open exec.fifo");
  if (wharf_write_all (fd, "0", 1) < 0)
    return wharf_make_error (err, errno, "write exec.fifo");
  close (fifo_fd);
  return 0;
}

static int
setup (struct wharf_init_ctx *ctx, struct wharf_exec_plan *plan, wharf_error_t *err)
{
  struct wharf_spec *spec = ctx->spec;
  struct wharf_sync_msg msg;
  int rootfd, keep[2];
  if (wharf_sync_expect (ctx->sync_fd, WHARF_SYNC_GO, "runtime", &msg, err) < 0)
    return -1;
  ctx->host_pid = msg.value;
  if ((ctx->new_userns || ctx->join_userns) && become_root (err) < 0)
    return -1;
  if (ctx->new_cgroupns && unshare (CLONE_NEWCGROUP) < 0)
    return wharf_make_error (err, errno, "unshare the cgroup namespace");
  if (spec->hostname && sethostname (spec->hostname, strlen (spec->hostname)) < 0)
    return wharf_make_error (err, errno, "sethostname");
  if (spec->domainname && setdomainname (spec->domainname, strlen (spec->domainname)) < 0)
    return wharf_make_error (err, errno, "setdomainname");
  rootfd = wharf_rootfs_prepare (spec, ctx->cg, ctx->new_userns || ctx->join_userns, err);
  if (rootfd < 0)
    return -1;
  if (spec->hooks[WHARF_HOOK_PRESTART].n || spec->hooks[WHARF_HOOK_CREATE_RUNTIME].n
      || spec->hooks[WHARF_HOOK_CREATE_CONTAINER].n)
    {
      cleanup_free char *state = NULL;
      if (wharf_sync_send (ctx->sync_fd, WHARF_SYNC_HOOKS, 0, err) < 0
          || wharf_sync_expect (ctx->sync_fd, WHARF_SYNC_HOOKS_DONE, "runtime", &msg, err) < 0)
        return -1;
      state = wharf_state_oci_json (ctx->id, "created", ctx->host_pid, spec->bundle, spec->annotations, NULL, NULL);
      if (wharf_hooks_run (&spec->hooks[WHARF_HOOK_CREATE_CONTAINER], "createContainer", state, err) < 0)
        return -1;
    }
  if (wharf_rootfs_pivot (rootfd, ctx->no_pivot, err) < 0 || wharf_rootfs_finish (spec, err) < 0)
    return -1;
  if (ctx->console_fd >= 0)
    {
      int fd = ctx->console_fd;
      ctx->console_fd = -1;
      if (wharf_terminal_setup (fd, spec->process.rows, spec->process.cols, err) < 0)
        return -1;
    }
  if (wharf_process_limits (&spec->process, err) < 0)
    return -1;
  keep[0] = ctx->sync_fd;
  keep[1] = ctx->fifo_fd;
  return wharf_process_prepare (&spec->process, ctx->seccomp, keep, 2, plan, err);
}

void
wharf_init_main (struct wharf_init_ctx *ctx)
{
  wharf_error_t err = NULL;
  struct wharf_exec_plan plan;
  /* Until execve nobody, not even root in the container, may ptrace us or
     open our /proc/PID/exe (CVE-2019-5736). */
  prctl (PR_SET_DUMPABLE, 0, 0, 0, 0);
  umask (0);
  if (setup (ctx, &plan, &err) < 0)
    {
      wharf_sync_send_error (ctx->sync_fd, &err);
      _exit (1);
    }
  if (wharf_sync_send (ctx->sync_fd, WHARF_SYNC_READY, 0, &err) < 0)
    _exit (1);
  close (ctx->sync_fd);
  if (wait_exec_fifo (ctx->fifo_fd, &err) < 0)
    goto fail;
  if (ctx->spec->hooks[WHARF_HOOK_START_CONTAINER].n)
    {
      cleanup_free char *state = wharf_state_oci_json (ctx->id, "running", ctx->host_pid, ctx->spec->bundle,
                                                       ctx->spec->annotations, NULL, NULL);
      if (wharf_hooks_run (&ctx->spec->hooks[WHARF_HOOK_START_CONTAINER], "startContainer", state, &err) < 0)
        goto fail;
    }
  wharf_process_exec (&ctx->spec->process, &plan, &err);
fail:
  wharf_error_print ("wharf-runtime init", &err);
  _exit (127);
}
