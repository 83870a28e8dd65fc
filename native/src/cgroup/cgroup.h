/* cgroup manager interface shared by wharf-runtime's verbs. One
 * implementation per cgroup version (cgroup-v1.c, cgroup-v2.c), chosen by
 * wharf_cgroup_open from what the host mounts. A "hybrid" host (v1
 * controllers plus a cgroup2 mount at /sys/fs/cgroup/unified) uses v1. */
#ifndef WHARF_CGROUP_H
#define WHARF_CGROUP_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/error.h"

/* linux.resources from config.json, parsed. has_* marks fields present. */
struct wharf_blkio_device
{
  int64_t major, minor;
  uint64_t rate;   /* throttle entries */
  uint16_t weight; /* weightDevice entries */
};

struct wharf_resources
{
  bool has_memory_limit, has_memory_reservation, has_memory_swap, has_memory_swappiness;
  int64_t memory_limit, memory_reservation, memory_swap; /* -1 = unlimited */
  uint64_t memory_swappiness;
  bool has_cpu_shares, has_cpu_quota, has_cpu_period;
  uint64_t cpu_shares, cpu_period;
  int64_t cpu_quota; /* -1 = unlimited */
  char *cpuset_cpus, *cpuset_mems; /* NULL = unset */
  bool has_pids_limit;
  int64_t pids_limit; /* <= 0 = unlimited */
  bool has_blkio_weight;
  uint16_t blkio_weight;
  struct wharf_blkio_device *throttle_read_bps, *throttle_write_bps, *throttle_read_iops, *throttle_write_iops;
  size_t n_throttle_read_bps, n_throttle_write_bps, n_throttle_read_iops, n_throttle_write_iops;
  /* linux.resources.devices: allow/deny rules, applied in order. */
  struct wharf_device_rule *devices;
  size_t n_devices;
  /* blockIO.weightDevice entries ("MAJ:MIN weight"); extension. */
  struct wharf_blkio_device *weight_device;
  size_t n_weight_device;
};

struct wharf_device_rule
{
  bool allow;
  char type;             /* 'a', 'c' or 'b' */
  int64_t major, minor;  /* -1 = wildcard */
  char access[4];        /* subset of "rwm" */
};

struct cJSON;
/* Parses a linux.resources object (also the file `update --resources` reads). */
int wharf_resources_parse (const struct cJSON *json, struct wharf_resources *out, wharf_error_t *err);
void wharf_resources_free (struct wharf_resources *r);

struct wharf_cgroup;

struct wharf_cgroup_manager
{
  const char *name; /* "v1" or "v2" */
  /* Creates the cgroup (and parents, initialising cpuset on v1) and moves pid in. */
  int (*enter) (struct wharf_cgroup *cg, pid_t pid, wharf_error_t *err);
  /* Writes the limits; used at create and by `update`. Order of memory vs memsw handled here. */
  int (*apply) (struct wharf_cgroup *cg, const struct wharf_resources *r, wharf_error_t *err);
  /* Freezes or thaws, waiting until the kernel reports the new state. */
  int (*freeze) (struct wharf_cgroup *cg, bool frozen, wharf_error_t *err);
  /* Lists the pids in the cgroup (malloc'd array). */
  int (*pids) (struct wharf_cgroup *cg, pid_t **pids, size_t *n, wharf_error_t *err);
  /* Removes the cgroup directories (empty cgroups only). */
  int (*destroy) (struct wharf_cgroup *cg, wharf_error_t *err);
  /* Number of OOM kills recorded in the cgroup so far. */
  int (*oom_kills) (struct wharf_cgroup *cg, uint64_t *count, wharf_error_t *err);
};

struct wharf_cgroup
{
  const struct wharf_cgroup_manager *manager;
  char *fs_root; /* "/sys/fs/cgroup" normally; a temp tree in tests */
  char *path;    /* cgroupsPath from config.json, e.g. "/wharf/<id>" */
};

/* Detects v1/v2 under fs_root (NULL = /sys/fs/cgroup, or $WHARF_CGROUP_ROOT
 * when set, which tests use to point at a temp tree) and fills cg. */
int wharf_cgroup_open (const char *fs_root, const char *path, struct wharf_cgroup *cg, wharf_error_t *err);
void wharf_cgroup_close (struct wharf_cgroup *cg);

/* cpu.shares -> cpu.weight as current runc and crun convert it (1024 -> 100). */
uint64_t wharf_cpu_shares_to_weight (uint64_t shares);

#endif
