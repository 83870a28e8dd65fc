/* cgroup v2: writes linux.resources into the unified cgroup's files, with
 * the conversions runc and crun apply (Documentation/admin-guide/cgroup-v2.rst
 * for the formats):
 *   memory.swap.max = swap - memory (swap is memory+swap, as on v1)
 *   cpu.weight      = wharf_cpu_shares_to_weight (cpu.shares)
 *   cpu.max         = "$QUOTA $PERIOD" ("max" when unlimited)
 *   io.weight       = 1 + (w - 10) * 9999 / 990, or io.bfq.weight = w
 *   io.max          = "MAJ:MIN rbps=N wbps=N riops=N wiops=N" per device */
#include "cgroup/cgroup-internal.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/utils.h"

static int
write_max (const char *dir, const char *file, int64_t v, wharf_error_t *err)
{
  if (v < 0)
    return wharf_cgroup_write (dir, file, "max", err);
  return wharf_cgroup_writef (dir, file, err, "%" PRId64, v);
}

/* memory.max as a number, -1 for "max". */
static int
current_memory_max (const char *dir, int64_t *out, wharf_error_t *err)
{
  cleanup_free char *cur = NULL;
  if (wharf_cgroup_read (dir, "memory.max", &cur, err) < 0)
    return -1;
  *out = strcmp (cur, "max") == 0 ? -1 : strtoll (cur, NULL, 10);
  return 0;
}

static int
apply_memory (const char *dir, const struct wharf_resources *r, wharf_error_t *err)
{
  int64_t memory = r->memory_limit, swap = 0;
  bool set_swap = false;
  if (r->has_memory_swap && r->memory_swap != 0)
    {
      if (!r->has_memory_limit && current_memory_max (dir, &memory, err) < 0)
        return -1;
      if (r->memory_swap < 0)
        swap = -1;
      else if (memory <= 0)
        return wharf_make_error (err, EINVAL, "cannot set a swap limit without a memory limit");
      else if (r->memory_swap < memory)
        return wharf_make_error (err, EINVAL, "memory+swap limit %" PRId64 " is lower than the memory limit %" PRId64,
                                 r->memory_swap, memory);
      else
        swap = r->memory_swap - memory;
      set_swap = true;
    }
  else if (r->has_memory_limit && r->memory_limit < 0)
    {
      /* Unlimited memory without a swap value: unlimited swap too. */
      swap = -1;
      set_swap = true;
    }
  if (set_swap && !wharf_cgroup_file_exists (dir, "memory.swap.max"))
    {
      if (swap >= 0)
        return wharf_make_error (err, ENOTSUP, "a swap limit was requested but `%s/memory.swap.max` is missing "
                                               "(swap accounting disabled?)", dir);
      set_swap = false;
    }
  if (r->has_memory_limit && write_max (dir, "memory.max", r->memory_limit, err) < 0)
    return -1;
  if (set_swap && write_max (dir, "memory.swap.max", swap, err) < 0)
    return -1;
  if (r->has_memory_reservation && write_max (dir, "memory.low", r->memory_reservation, err) < 0)
    return -1;
  /* memory.swappiness does not exist on v2. runc ignores the value there
   * (crun refuses it, which broke containers created for v1 hosts:
   * containers/podman#22712); Docker's daemon drops it with a warning.
   * Ignored here too. */
  return 0;
}

static int
apply_cpu (const char *dir, const struct wharf_resources *r, wharf_error_t *err)
{
  bool quota = r->has_cpu_quota && r->cpu_quota != 0, period = r->has_cpu_period && r->cpu_period != 0;
  if (r->has_cpu_shares && r->cpu_shares != 0
      && wharf_cgroup_writef (dir, "cpu.weight", err, "%" PRIu64, wharf_cpu_shares_to_weight (r->cpu_shares)) < 0)
    return -1;
  if (quota || period)
    {
      cleanup_free char *cur = NULL;
      char qbuf[32] = "max";
      uint64_t p = 100000;
      if (wharf_cgroup_read (dir, "cpu.max", &cur, err) < 0)
        return -1;
      /* Keep the half that was not given. */
      if (sscanf (cur, "%31s %" SCNu64, qbuf, &p) < 1)
        snprintf (qbuf, sizeof (qbuf), "max");
      if (period)
        p = r->cpu_period;
      if (quota && r->cpu_quota < 0)
        snprintf (qbuf, sizeof (qbuf), "max");
      else if (quota)
        snprintf (qbuf, sizeof (qbuf), "%" PRId64, r->cpu_quota);
      if (wharf_cgroup_writef (dir, "cpu.max", err, "%s %" PRIu64, qbuf, p) < 0)
        return -1;
    }
  if (r->cpuset_cpus && *r->cpuset_cpus && wharf_cgroup_write (dir, "cpuset.cpus", r->cpuset_cpus, err) < 0)
    return -1;
  if (r->cpuset_mems && *r->cpuset_mems && wharf_cgroup_write (dir, "cpuset.mems", r->cpuset_mems, err) < 0)
    return -1;
  return 0;
}

static uint64_t
blkio_to_io_weight (uint64_t w)
{
  return 1 + (w - 10) * 9999 / 990;
}

static int
io_max_add (char **line, const char *key, uint64_t v, wharf_error_t *err)
{
  char *n = NULL;
  if (asprintf (&n, "%s %s=%" PRIu64, *line, key, v) < 0)
    return wharf_make_error (err, ENOMEM, "io.max");
  free (*line);
  *line = n;
  return 0;
}

/* One io.max write per device, carrying every limit given for it. */
static int
apply_io_max (const char *dir, const struct wharf_resources *r, wharf_error_t *err)
{
  const struct wharf_blkio_device *lists[4]
      = { r->throttle_read_bps, r->throttle_write_bps, r->throttle_read_iops, r->throttle_write_iops };
  const size_t counts[4]
      = { r->n_throttle_read_bps, r->n_throttle_write_bps, r->n_throttle_read_iops, r->n_throttle_write_iops };
  static const char *const keys[4] = { "rbps", "wbps", "riops", "wiops" };
  for (int l = 0; l < 4; l++)
    for (size_t i = 0; i < counts[l]; i++)
      {
        const struct wharf_blkio_device *d = &lists[l][i];
        cleanup_free char *line = NULL;
        bool seen = false;
        /* Skip devices an earlier list already wrote. */
        for (int pl = 0; pl < l && !seen; pl++)
          for (size_t j = 0; j < counts[pl] && !seen; j++)
            seen = lists[pl][j].major == d->major && lists[pl][j].minor == d->minor;
        for (size_t j = 0; j < i && !seen; j++)
          seen = lists[l][j].major == d->major && lists[l][j].minor == d->minor;
        if (seen)
          continue;
        if (asprintf (&line, "%" PRId64 ":%" PRId64, d->major, d->minor) < 0)
          return wharf_make_error (err, ENOMEM, "io.max");
        for (int k = l; k < 4; k++)
          for (size_t j = 0; j < counts[k]; j++)
            if (lists[k][j].major == d->major && lists[k][j].minor == d->minor)
              {
                if (io_max_add (&line, keys[k], lists[k][j].rate, err) < 0)
                  return -1;
                break;
              }
        if (wharf_cgroup_write (dir, "io.max", line, err) < 0)
          return -1;
      }
  return 0;
}

static int
apply_io (const char *dir, const struct wharf_resources *r, wharf_error_t *err)
{
  bool bfq = wharf_cgroup_file_exists (dir, "io.bfq.weight");
  if (r->has_blkio_weight)
    {
      int ret = bfq ? wharf_cgroup_writef (dir, "io.bfq.weight", err, "%u", (unsigned) r->blkio_weight)
                    : wharf_cgroup_writef (dir, "io.weight", err, "default %" PRIu64,
                                           blkio_to_io_weight (r->blkio_weight));
      if (ret < 0)
        return -1;
    }
  for (size_t i = 0; i < r->n_weight_device; i++)
    {
      const struct wharf_blkio_device *d = &r->weight_device[i];
      uint64_t w = bfq ? d->weight : blkio_to_io_weight (d->weight < 10 ? 10 : d->weight);
      if (wharf_cgroup_writef (dir, bfq ? "io.bfq.weight" : "io.weight", err, "%" PRId64 ":%" PRId64 " %" PRIu64,
                               d->major, d->minor, w)
          < 0)
        return -1;
    }
  return apply_io_max (dir, r, err);
}

int
wharf_cgroup_v2_apply (struct wharf_cgroup *cg, const struct wharf_resources *r, wharf_error_t *err)
{
  cleanup_free char *dir = wharf_cgroup_v2_dir (cg);
  if (dir == NULL)
    return wharf_make_error (err, ENOMEM, "apply cgroup limits");
  if (apply_memory (dir, r, err) < 0 || apply_cpu (dir, r, err) < 0 || apply_io (dir, r, err) < 0)
    return wharf_error_wrap (err, "cgroup v2");
  if (r->has_pids_limit && write_max (dir, "pids.max", r->pids_limit <= 0 ? -1 : r->pids_limit, err) < 0)
    return wharf_error_wrap (err, "cgroup v2");
  if (r->n_devices > 0 && wharf_cgroup_v2_apply_devices (dir, r->devices, r->n_devices, err) < 0)
    return wharf_error_wrap (err, "cgroup v2 devices");
  return 0;
}
