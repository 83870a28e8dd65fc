/* cgroup v1: writes linux.resources into the per-controller files. The
 * kernel keeps memory.limit_in_bytes <= memory.memsw.limit_in_bytes at all
 * times, so the two are written in the order that never breaks it. */
#include "cgroup/cgroup-internal.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/utils.h"

/* The kernel reports "unlimited" as PAGE_COUNTER_MAX * PAGE_SIZE
 * (9223372036854771712 with 4 KiB pages); -1 means unlimited here. */
static uint64_t
as_limit (int64_t v)
{
  return v < 0 ? UINT64_MAX : (uint64_t) v;
}

static int
write_i64 (const char *dir, const char *file, int64_t v, wharf_error_t *err)
{
  return wharf_cgroup_writef (dir, file, err, "%" PRId64, v < 0 ? (int64_t) -1 : v);
}

static int
memory_limits (const char *dir, const struct wharf_resources *r, bool memsw, wharf_error_t *err)
{
  bool swap = r->has_memory_swap && memsw;
  if (r->has_memory_limit && swap)
    {
      cleanup_free char *cur = NULL;
      uint64_t cur_swap;
      if (r->memory_swap >= 0 && r->memory_limit < 0)
        return wharf_make_error (err, EINVAL, "cannot set a swap limit with unlimited memory");
      if (r->memory_swap >= 0 && r->memory_swap < r->memory_limit)
        return wharf_make_error (err, EINVAL, "memory+swap limit %" PRId64 " is lower than the memory limit %" PRId64,
                                 r->memory_swap, r->memory_limit);
      if (wharf_cgroup_read (dir, "memory.memsw.limit_in_bytes", &cur, err) < 0)
        return -1;
      cur_swap = strtoull (cur, NULL, 10);
      if (as_limit (r->memory_swap) > cur_swap)
        {
          /* Raising memsw: memsw first, then the memory limit below it. */
          if (write_i64 (dir, "memory.memsw.limit_in_bytes", r->memory_swap, err) < 0)
            return -1;
          return write_i64 (dir, "memory.limit_in_bytes", r->memory_limit, err);
        }
      /* Lowering memsw: memory limit first (it is <= the new memsw, hence
       * <= the current one), then memsw. */
      if (write_i64 (dir, "memory.limit_in_bytes", r->memory_limit, err) < 0)
        return -1;
      return write_i64 (dir, "memory.memsw.limit_in_bytes", r->memory_swap, err);
    }
  if (r->has_memory_limit && write_i64 (dir, "memory.limit_in_bytes", r->memory_limit, err) < 0)
    {
      if ((*err)->status == EINVAL && memsw)
        wharf_error_wrap (err, "memory limit above the current memory+swap limit (set memory-swap too)");
      return -1;
    }
  if (swap && write_i64 (dir, "memory.memsw.limit_in_bytes", r->memory_swap, err) < 0)
    return -1;
  return 0;
}

static int
apply_memory (struct wharf_cgroup *cg, const struct wharf_resources *r, wharf_error_t *err)
{
  cleanup_free char *dir = NULL;
  bool memsw;
  if (!r->has_memory_limit && !r->has_memory_reservation && !r->has_memory_swap && !r->has_memory_swappiness)
    return 0;
  dir = wharf_cgroup_v1_dir (cg, "memory", true);
  if (dir == NULL)
    return wharf_make_error (err, ENOENT, "memory cgroup controller is not mounted");
  memsw = wharf_cgroup_file_exists (dir, "memory.memsw.limit_in_bytes");
  if (r->has_memory_swap && !memsw && r->memory_swap != -1)
    return wharf_make_error (err, ENOTSUP, "a swap limit was requested but the kernel has no swap accounting "
                                           "(memory.memsw.limit_in_bytes is missing; boot with swapaccount=1)");
  if (memory_limits (dir, r, memsw, err) < 0)
    return -1;
  if (r->has_memory_reservation && write_i64 (dir, "memory.soft_limit_in_bytes", r->memory_reservation, err) < 0)
    return -1;
  if (r->has_memory_swappiness)
    {
      if (r->memory_swappiness > 100)
        return wharf_make_error (err, EINVAL, "memory swappiness %" PRIu64 " out of range 0-100", r->memory_swappiness);
      if (wharf_cgroup_writef (dir, "memory.swappiness", err, "%" PRIu64, r->memory_swappiness) < 0)
        return -1;
    }
  return 0;
}

static int
apply_cpu (struct wharf_cgroup *cg, const struct wharf_resources *r, wharf_error_t *err)
{
  cleanup_free char *dir = NULL;
  bool quota = r->has_cpu_quota && r->cpu_quota != 0, period = r->has_cpu_period && r->cpu_period != 0;
  bool shares = r->has_cpu_shares && r->cpu_shares != 0;
  if (!quota && !period && !shares)
    return 0;
  dir = wharf_cgroup_v1_dir (cg, "cpu", true);
  if (dir == NULL)
    return wharf_make_error (err, ENOENT, "cpu cgroup controller is not mounted");
  if (shares && wharf_cgroup_writef (dir, "cpu.shares", err, "%" PRIu64, r->cpu_shares) < 0)
    return -1;
  if (period && wharf_cgroup_writef (dir, "cpu.cfs_period_us", err, "%" PRIu64, r->cpu_period) < 0)
    {
      /* The period may be refused while the old quota does not fit it:
       * write the quota first, then retry. */
      if (!quota || (*err)->status != EINVAL)
        return -1;
      wharf_error_release (err);
      if (write_i64 (dir, "cpu.cfs_quota_us", r->cpu_quota, err) < 0)
        return -1;
      return wharf_cgroup_writef (dir, "cpu.cfs_period_us", err, "%" PRIu64, r->cpu_period);
    }
  if (quota && write_i64 (dir, "cpu.cfs_quota_us", r->cpu_quota, err) < 0)
    return -1;
  return 0;
}

static int
apply_cpuset (struct wharf_cgroup *cg, const struct wharf_resources *r, wharf_error_t *err)
{
  cleanup_free char *dir = NULL;
  bool cpus = r->cpuset_cpus && *r->cpuset_cpus, mems = r->cpuset_mems && *r->cpuset_mems;
  if (!cpus && !mems)
    return 0;
  dir = wharf_cgroup_v1_dir (cg, "cpuset", true);
  if (dir == NULL)
    return wharf_make_error (err, ENOENT, "cpuset cgroup controller is not mounted");
  if (cpus && wharf_cgroup_write (dir, "cpuset.cpus", r->cpuset_cpus, err) < 0)
    return -1;
  if (mems && wharf_cgroup_write (dir, "cpuset.mems", r->cpuset_mems, err) < 0)
    return -1;
  return 0;
}

static int
apply_pids (struct wharf_cgroup *cg, const struct wharf_resources *r, wharf_error_t *err)
{
  cleanup_free char *dir = NULL;
  if (!r->has_pids_limit)
    return 0;
  dir = wharf_cgroup_v1_dir (cg, "pids", true);
  if (dir == NULL)
    return wharf_make_error (err, ENOENT, "pids cgroup controller is not mounted");
  if (r->pids_limit <= 0)
    return wharf_cgroup_write (dir, "pids.max", "max", err);
  return wharf_cgroup_writef (dir, "pids.max", err, "%" PRId64, r->pids_limit);
}

static int
write_devices (const char *dir, const char *file, const struct wharf_blkio_device *d, size_t n, bool weight,
               wharf_error_t *err)
{
  for (size_t i = 0; i < n; i++)
    if (wharf_cgroup_writef (dir, file, err, "%" PRId64 ":%" PRId64 " %" PRIu64, d[i].major, d[i].minor,
                             weight ? (uint64_t) d[i].weight : d[i].rate)
        < 0)
      return -1;
  return 0;
}

static int
apply_blkio (struct wharf_cgroup *cg, const struct wharf_resources *r, wharf_error_t *err)
{
  cleanup_free char *dir = NULL;
  bool bfq;
  if (!r->has_blkio_weight && !r->n_weight_device && !r->n_throttle_read_bps && !r->n_throttle_write_bps
      && !r->n_throttle_read_iops && !r->n_throttle_write_iops)
    return 0;
  dir = wharf_cgroup_v1_dir (cg, "blkio", true);
  if (dir == NULL)
    return wharf_make_error (err, ENOENT, "blkio cgroup controller is not mounted");
  /* CFQ is gone from current kernels; BFQ exposes blkio.bfq.weight. */
  bfq = !wharf_cgroup_file_exists (dir, "blkio.weight");
  if (r->has_blkio_weight
      && wharf_cgroup_writef (dir, bfq ? "blkio.bfq.weight" : "blkio.weight", err, "%u", (unsigned) r->blkio_weight) < 0)
    return wharf_error_wrap (err, "blkio weight (is the BFQ I/O scheduler available?)");
  if (write_devices (dir, bfq ? "blkio.bfq.weight_device" : "blkio.weight_device", r->weight_device,
                     r->n_weight_device, true, err) < 0
      || write_devices (dir, "blkio.throttle.read_bps_device", r->throttle_read_bps, r->n_throttle_read_bps, false, err) < 0
      || write_devices (dir, "blkio.throttle.write_bps_device", r->throttle_write_bps, r->n_throttle_write_bps, false,
                        err) < 0
      || write_devices (dir, "blkio.throttle.read_iops_device", r->throttle_read_iops, r->n_throttle_read_iops, false,
                        err) < 0
      || write_devices (dir, "blkio.throttle.write_iops_device", r->throttle_write_iops, r->n_throttle_write_iops,
                        false, err) < 0)
    return -1;
  return 0;
}

static int
apply_devices (struct wharf_cgroup *cg, const struct wharf_resources *r, wharf_error_t *err)
{
  cleanup_free char *dir = NULL;
  if (r->n_devices == 0)
    return 0;
  dir = wharf_cgroup_v1_dir (cg, "devices", true);
  if (dir == NULL)
    return wharf_make_error (err, ENOENT, "devices cgroup controller is not mounted");
  for (size_t i = 0; i < r->n_devices; i++)
    {
      const struct wharf_device_rule *d = &r->devices[i];
      const char *file = d->allow ? "devices.allow" : "devices.deny";
      char maj[24] = "*", min[24] = "*";
      int ret;
      if (d->type == 'a')
        ret = wharf_cgroup_write (dir, file, "a", err);
      else
        {
          if (d->major >= 0)
            snprintf (maj, sizeof (maj), "%" PRId64, d->major);
          if (d->minor >= 0)
            snprintf (min, sizeof (min), "%" PRId64, d->minor);
          ret = wharf_cgroup_writef (dir, file, err, "%c %s:%s %s", d->type, maj, min, d->access);
        }
      if (ret < 0)
        return -1;
    }
  return 0;
}

int
wharf_cgroup_v1_apply (struct wharf_cgroup *cg, const struct wharf_resources *r, wharf_error_t *err)
{
  if (apply_memory (cg, r, err) < 0 || apply_cpu (cg, r, err) < 0 || apply_cpuset (cg, r, err) < 0
      || apply_pids (cg, r, err) < 0 || apply_blkio (cg, r, err) < 0 || apply_devices (cg, r, err) < 0)
    return wharf_error_wrap (err, "cgroup v1");
  return 0;
}
