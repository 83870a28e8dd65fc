/* cgroup v2 driver: one unified tree at fs_root. Controllers are enabled in
 * every ancestor's cgroup.subtree_control (never in the leaf, which holds
 * the processes: "no internal processes"). Freezing is core (cgroup.freeze). */
#include "cgroup/cgroup-internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/utils.h"

static const char *const wanted[] = { "cpuset", "cpu", "io", "memory", "pids", NULL };

char *
wharf_cgroup_v2_dir (struct wharf_cgroup *cg)
{
  return wharf_cgroup_join (cg->fs_root, cg->path);
}

static bool
has_word (const char *list, const char *word)
{
  size_t l = strlen (word);
  for (const char *p = list; (p = strstr (p, word)) != NULL; p += l)
    if ((p == list || p[-1] == ' ' || p[-1] == '\n') && (p[l] == '\0' || p[l] == ' ' || p[l] == '\n'))
      return true;
  return false;
}

/* Enables in dir's cgroup.subtree_control every wanted controller that dir
 * has (cgroup.controllers) and has not enabled yet, in one write ("+a +b");
 * when the kernel refuses that, one by one to name the culprit. */
static int
enable_controllers (const char *dir, wharf_error_t *err)
{
  cleanup_free char *avail = NULL, *enabled = NULL;
  char line[128] = "";
  size_t len = 0;
  if (wharf_cgroup_read (dir, "cgroup.controllers", &avail, err) < 0
      || wharf_cgroup_read (dir, "cgroup.subtree_control", &enabled, err) < 0)
    return -1;
  for (size_t i = 0; wanted[i]; i++)
    if (has_word (avail, wanted[i]) && !has_word (enabled, wanted[i]))
      len += (size_t) snprintf (line + len, sizeof (line) - len, "%s+%s", len ? " " : "", wanted[i]);
  if (len == 0)
    return 0;
  if (wharf_cgroup_write (dir, "cgroup.subtree_control", line, err) == 0)
    return 0;
  wharf_error_release (err);
  for (size_t i = 0; wanted[i]; i++)
    {
      if (!has_word (avail, wanted[i]) || has_word (enabled, wanted[i]))
        continue;
      if (wharf_cgroup_writef (dir, "cgroup.subtree_control", err, "+%s", wanted[i]) < 0)
        return wharf_error_wrap (err, "enable the %s controller", wanted[i]);
    }
  return 0;
}

/* Before each level is created: the controllers go down from its parent. */
static int
enable_in_parent (const char *dir, const char *parent, wharf_error_t *err)
{
  (void) dir;
  return enable_controllers (parent, err);
}

static int
v2_enter (struct wharf_cgroup *cg, pid_t pid, wharf_error_t *err)
{
  cleanup_free char *dir = NULL;
  if (wharf_cgroup_mkdirs (cg->fs_root, cg->path, enable_in_parent, NULL, &dir, err) < 0)
    return -1;
  if (pid > 0 && wharf_cgroup_writef (dir, "cgroup.procs", err, "%d", (int) pid) < 0)
    return wharf_error_wrap (err, "join cgroup");
  return 0;
}

/* Waits until cgroup.events says "frozen <want>"; the file raises POLLPRI
 * on change, and is re-read every 10ms in case a wakeup is missed. */
static int
wait_frozen (const char *dir, bool want, wharf_error_t *err)
{
  cleanup_free char *events = wharf_cgroup_join (dir, "cgroup.events");
  for (int i = 0; i < 1000; i++)
    {
      uint64_t frozen = 0;
      if (wharf_cgroup_read_key (dir, "cgroup.events", "frozen", &frozen, err) < 0)
        return -1;
      if ((frozen != 0) == want)
        return 0;
      wharf_cgroup_sleep_ms (i < 10 ? 1 : 10);
    }
  return wharf_make_error (err, EBUSY, "timed out waiting for `frozen %d` in `%s`", want, events);
}

static int
v2_freeze (struct wharf_cgroup *cg, bool frozen, wharf_error_t *err)
{
  cleanup_free char *dir = wharf_cgroup_v2_dir (cg);
  if (dir == NULL)
    return wharf_make_error (err, ENOMEM, "freeze");
  if (!wharf_cgroup_file_exists (dir, "cgroup.freeze"))
    return wharf_make_error (err, ENOTSUP, "`%s/cgroup.freeze` is missing (kernel older than 5.2?)", dir);
  if (wharf_cgroup_write (dir, "cgroup.freeze", frozen ? "1" : "0", err) < 0)
    return -1;
  if (wait_frozen (dir, frozen, err) < 0)
    {
      if (frozen)
        {
          wharf_error_t ignored = NULL;
          wharf_cgroup_write (dir, "cgroup.freeze", "0", &ignored);
          wharf_error_release (&ignored);
        }
      return -1;
    }
  return 0;
}

static int
v2_pids (struct wharf_cgroup *cg, pid_t **pids, size_t *n, wharf_error_t *err)
{
  cleanup_free char *dir = wharf_cgroup_v2_dir (cg);
  if (dir == NULL)
    return wharf_make_error (err, ENOMEM, "list pids");
  return wharf_cgroup_read_procs (dir, pids, n, err);
}

static int
v2_destroy (struct wharf_cgroup *cg, wharf_error_t *err)
{
  cleanup_free char *dir = wharf_cgroup_v2_dir (cg);
  if (dir == NULL)
    return wharf_make_error (err, ENOMEM, "destroy cgroup");
  return wharf_cgroup_rmdir (dir, err);
}

static int
v2_oom_kills (struct wharf_cgroup *cg, uint64_t *count, wharf_error_t *err)
{
  cleanup_free char *dir = wharf_cgroup_v2_dir (cg);
  *count = 0;
  if (dir == NULL)
    return wharf_make_error (err, ENOMEM, "read memory.events");
  if (!wharf_cgroup_file_exists (dir, "memory.events"))
    return 0; /* memory controller not enabled: no OOM kills can be charged here */
  return wharf_cgroup_read_key (dir, "memory.events", "oom_kill", count, err);
}

const struct wharf_cgroup_manager wharf_cgroup_manager_v2 = {
  .name = "v2",
  .enter = v2_enter,
  .apply = wharf_cgroup_v2_apply,
  .freeze = v2_freeze,
  .pids = v2_pids,
  .destroy = v2_destroy,
  .oom_kills = v2_oom_kills,
};
