/* cgroup v1 driver: one hierarchy per controller under fs_root/<controller>,
 * the container at <hierarchy>/<cgroupsPath> (not below the runtime's own
 * cgroup). On a hybrid host the container also gets a directory in the
 * cgroup2 mount at fs_root/unified, for process tracking only. */
#include "cgroup/cgroup-internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/utils.h"

/* Hierarchies the container joins. "unified" is the hybrid cgroup2 mount;
 * name=systemd is left alone. */
static const char *const controllers[] = { "cpu", "cpuacct", "cpuset", "memory", "devices",
                                           "freezer", "blkio", "pids", NULL };

char *
wharf_cgroup_v1_dir (struct wharf_cgroup *cg, const char *controller, bool must_exist)
{
  cleanup_free char *root = wharf_cgroup_join (cg->fs_root, controller);
  struct stat st;
  if (root == NULL)
    return NULL;
  if (must_exist && stat (root, &st) < 0)
    return NULL;
  return wharf_cgroup_join (root, cg->path);
}

/* Before a cpuset child can take tasks its cpus and mems must be set; new
 * cpuset cgroups start empty, so copy them down from the parent. */
static int
cpuset_init (const char *dir, const char *parent, wharf_error_t *err)
{
  static const char *const files[] = { "cpuset.cpus", "cpuset.mems" };
  for (int i = 0; i < 2; i++)
    {
      cleanup_free char *cur = NULL, *up = NULL;
      if (wharf_cgroup_read (dir, files[i], &cur, err) < 0)
        return wharf_error_wrap (err, "initialise cpuset");
      if (*cur != '\0')
        continue;
      if (wharf_cgroup_read (parent, files[i], &up, err) < 0 || wharf_cgroup_write (dir, files[i], up, err) < 0)
        return wharf_error_wrap (err, "initialise cpuset");
    }
  return 0;
}

static int
v1_enter (struct wharf_cgroup *cg, pid_t pid, wharf_error_t *err)
{
  char pidbuf[32];
  snprintf (pidbuf, sizeof (pidbuf), "%d", (int) pid);
  for (size_t i = 0; controllers[i]; i++)
    {
      cleanup_free char *root = wharf_cgroup_join (cg->fs_root, controllers[i]);
      cleanup_free char *dir = NULL;
      struct stat st;
      if (root == NULL)
        return wharf_make_error (err, ENOMEM, "create cgroup");
      if (stat (root, &st) < 0 || !S_ISDIR (st.st_mode))
        continue; /* controller not mounted */
      bool cpuset = strcmp (controllers[i], "cpuset") == 0;
      if (wharf_cgroup_mkdirs (root, cg->path, NULL, cpuset ? cpuset_init : NULL, &dir, err) < 0)
        return -1;
      if (pid > 0 && wharf_cgroup_write (dir, "cgroup.procs", pidbuf, err) < 0)
        return wharf_error_wrap (err, "join %s cgroup", controllers[i]);
    }
  /* Hybrid: track the container in the controller-less cgroup2 tree too;
   * best effort, like runc. */
  {
    cleanup_free char *uroot = wharf_cgroup_join (cg->fs_root, "unified");
    if (uroot != NULL && wharf_cgroup_file_exists (uroot, "cgroup.controllers"))
      {
        wharf_error_t ignored = NULL;
        cleanup_free char *udir = NULL;
        if (wharf_cgroup_mkdirs (uroot, cg->path, NULL, NULL, &udir, &ignored) == 0 && pid > 0)
          wharf_cgroup_write (udir, "cgroup.procs", pidbuf, &ignored);
        wharf_error_release (&ignored);
      }
  }
  return 0;
}

static int
read_state (const char *dir, char **state, wharf_error_t *err)
{
  return wharf_cgroup_read (dir, "freezer.state", state, err);
}

static int
v1_freeze (struct wharf_cgroup *cg, bool frozen, wharf_error_t *err)
{
  cleanup_free char *dir = wharf_cgroup_v1_dir (cg, "freezer", true);
  const char *want = frozen ? "FROZEN" : "THAWED";
  if (dir == NULL)
    return wharf_make_error (err, ENOENT, "freezer cgroup controller is not mounted");
  /* A freeze can stay in FREEZING while tasks are in uninterruptible
   * sleep: write FROZEN again until the kernel reports FROZEN (~10s). */
  for (int i = 0; i < 1000; i++)
    {
      cleanup_free char *state = NULL;
      if (i % 10 == 0 && wharf_cgroup_write (dir, "freezer.state", want, err) < 0)
        return -1;
      if (read_state (dir, &state, err) < 0)
        return -1;
      if (strcmp (state, want) == 0)
        return 0;
      wharf_cgroup_sleep_ms (i < 10 ? 1 : 10);
    }
  if (frozen)
    {
      wharf_error_t ignored = NULL;
      wharf_cgroup_write (dir, "freezer.state", "THAWED", &ignored);
      wharf_error_release (&ignored);
    }
  return wharf_make_error (err, EBUSY, "timed out waiting for freezer.state %s in `%s`", want, dir);
}

static int
v1_pids (struct wharf_cgroup *cg, pid_t **pids, size_t *n, wharf_error_t *err)
{
  static const char *const order[] = { "pids", "freezer", "memory", "cpu", "devices", NULL };
  for (size_t i = 0; order[i]; i++)
    {
      cleanup_free char *dir = wharf_cgroup_v1_dir (cg, order[i], true);
      if (dir != NULL)
        return wharf_cgroup_read_procs (dir, pids, n, err);
    }
  return wharf_make_error (err, ENOENT, "no cgroup v1 hierarchy to list processes from");
}

static int
v1_destroy (struct wharf_cgroup *cg, wharf_error_t *err)
{
  int ret = 0;
  for (size_t i = 0; controllers[i]; i++)
    {
      cleanup_free char *dir = wharf_cgroup_v1_dir (cg, controllers[i], true);
      wharf_error_t e = NULL;
      if (dir == NULL)
        continue;
      if (wharf_cgroup_rmdir (dir, &e) < 0)
        {
          if (ret == 0)
            {
              ret = -1;
              *err = e;
              e = NULL;
            }
          wharf_error_release (&e);
        }
    }
  {
    cleanup_free char *udir = wharf_cgroup_v1_dir (cg, "unified", true);
    wharf_error_t ignored = NULL;
    if (udir != NULL)
      wharf_cgroup_rmdir (udir, &ignored);
    wharf_error_release (&ignored);
  }
  return ret;
}

static int
v1_oom_kills (struct wharf_cgroup *cg, uint64_t *count, wharf_error_t *err)
{
  cleanup_free char *dir = wharf_cgroup_v1_dir (cg, "memory", true);
  *count = 0;
  if (dir == NULL)
    return wharf_make_error (err, ENOENT, "memory cgroup controller is not mounted");
  /* "oom_kill N" is in memory.oom_control since Linux 4.13. */
  return wharf_cgroup_read_key (dir, "memory.oom_control", "oom_kill", count, err);
}

const struct wharf_cgroup_manager wharf_cgroup_manager_v1 = {
  .name = "v1",
  .enter = v1_enter,
  .apply = wharf_cgroup_v1_apply,
  .freeze = v1_freeze,
  .pids = v1_pids,
  .destroy = v1_destroy,
  .oom_kills = v1_oom_kills,
};
