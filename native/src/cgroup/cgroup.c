/* Picks the cgroup driver for the host: v2 when fs_root is a cgroup2 mount
 * (it has cgroup.controllers), v1 when per-controller hierarchies exist.
 * A hybrid host (v1 controllers, empty cgroup2 at fs_root/unified) is v1. */
#include "cgroup/cgroup-internal.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int
check_path (const char *path, wharf_error_t *err)
{
  const char *p = path;
  if (path == NULL || path[0] != '/' || path[1] == '\0')
    return wharf_make_error (err, EINVAL, "invalid cgroupsPath `%s`", path ? path : "");
  while ((p = strstr (p, "..")) != NULL)
    {
      if ((p == path || p[-1] == '/') && (p[2] == '/' || p[2] == '\0'))
        return wharf_make_error (err, EINVAL, "invalid cgroupsPath `%s`: contains `..`", path);
      p += 2;
    }
  return 0;
}

int
wharf_cgroup_open (const char *fs_root, const char *path, struct wharf_cgroup *cg, wharf_error_t *err)
{
  static const char *const v1_probe[] = { "memory", "cpu", "pids", "freezer", "devices", "cpuset", NULL };
  const struct wharf_cgroup_manager *m = NULL;
  memset (cg, 0, sizeof (*cg));
  if (check_path (path, err) < 0)
    return -1;
  if (fs_root == NULL)
    fs_root = getenv ("WHARF_CGROUP_ROOT");
  if (fs_root == NULL || *fs_root == '\0')
    fs_root = "/sys/fs/cgroup";

  if (wharf_cgroup_file_exists (fs_root, "cgroup.controllers"))
    m = &wharf_cgroup_manager_v2;
  else
    for (size_t i = 0; v1_probe[i] && m == NULL; i++)
      if (wharf_cgroup_file_exists (fs_root, v1_probe[i]))
        m = &wharf_cgroup_manager_v1;
  if (m == NULL)
    return wharf_make_error (err, ENOENT, "no cgroup v1 or v2 hierarchy found under `%s`", fs_root);

  cg->fs_root = strdup (fs_root);
  cg->path = strdup (path);
  if (cg->fs_root == NULL || cg->path == NULL)
    {
      wharf_cgroup_close (cg);
      return wharf_make_error (err, ENOMEM, "open cgroup");
    }
  /* Strip trailing slashes from the cgroup path. */
  for (size_t l = strlen (cg->path); l > 1 && cg->path[l - 1] == '/'; l--)
    cg->path[l - 1] = '\0';
  cg->manager = m;
  return 0;
}

void
wharf_cgroup_close (struct wharf_cgroup *cg)
{
  if (cg == NULL)
    return;
  free (cg->fs_root);
  free (cg->path);
  cg->fs_root = NULL;
  cg->path = NULL;
  cg->manager = NULL;
}

/* weight = ceil(10^((l^2 + 125 l) / 612 - 7/34)), l = log2(shares): the
 * quadratic runc (1.3+) and crun (1.23+) use, mapping 2 -> 1, 1024 -> 100
 * and 262144 -> 10000. 7/34 == 126/612, so the exponent is computed as
 * (l^2 + 125 l - 126) / 612, exact for powers of two (1024 gives 2.0, not
 * 2.0000000000000004, which would round up to 101). 0 means "unset". */
uint64_t
wharf_cpu_shares_to_weight (uint64_t shares)
{
  double l, e, w;
  if (shares == 0)
    return 0;
  if (shares <= 2)
    return 1;
  if (shares >= 262144)
    return 10000;
  l = log2 ((double) shares);
  e = (l * l + 125.0 * l - 126.0) / 612.0;
  w = ceil (pow (10.0, e));
  if (w < 1)
    return 1;
  if (w > 10000)
    return 10000;
  return (uint64_t) w;
}
