/* Helpers shared by the cgroup drivers (cgroup-v1.c, cgroup-v2.c). Every
 * cgroup file is written with O_WRONLY|O_TRUNC and never created: a file
 * that does not exist means the controller or feature is absent. */
#ifndef WHARF_CGROUP_INTERNAL_H
#define WHARF_CGROUP_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "cgroup/cgroup.h"

extern const struct wharf_cgroup_manager wharf_cgroup_manager_v1;
extern const struct wharf_cgroup_manager wharf_cgroup_manager_v2;

/* "<a>/<b>" (b may start with '/'); NULL on ENOMEM. */
char *wharf_cgroup_join (const char *a, const char *b);

bool wharf_cgroup_file_exists (const char *dir, const char *file);

/* Writes value to dir/file (one write(2), as the kernel parses per write). */
int wharf_cgroup_write (const char *dir, const char *file, const char *value, wharf_error_t *err);
int wharf_cgroup_writef (const char *dir, const char *file, wharf_error_t *err, const char *fmt, ...)
    __attribute__ ((format (printf, 4, 5)));

/* Reads dir/file, trailing whitespace stripped. */
int wharf_cgroup_read (const char *dir, const char *file, char **out, wharf_error_t *err);

/* Finds "key N" in a flat-keyed file (memory.events, cgroup.events,
 * memory.oom_control). Missing key: *value = 0, returns 0. */
int wharf_cgroup_read_key (const char *dir, const char *file, const char *key, uint64_t *value,
                           wharf_error_t *err);

/* Parses cgroup.procs in dir. */
int wharf_cgroup_read_procs (const char *dir, pid_t **pids, size_t *n, wharf_error_t *err);

/* rmdir, retrying a short while on EBUSY (tasks that just exited are still
 * being released). ENOENT is success. */
int wharf_cgroup_rmdir (const char *dir, wharf_error_t *err);

/* Called per level of wharf_cgroup_mkdirs with the child dir and its parent. */
typedef int (*wharf_cgroup_level_fn) (const char *dir, const char *parent, wharf_error_t *err);

/* mkdir -p <root>/<path>, one component at a time: `before` runs ahead of
 * creating each level, `after` once it exists (either may be NULL). On
 * success *dir_out (when given) is the full path, to be freed. */
int wharf_cgroup_mkdirs (const char *root, const char *path, wharf_cgroup_level_fn before,
                         wharf_cgroup_level_fn after, char **dir_out, wharf_error_t *err);

/* Sleeps ms milliseconds. */
void wharf_cgroup_sleep_ms (unsigned ms);

/* <fs_root>/<controller>/<path>; NULL when must_exist and the controller
 * is not mounted (or on ENOMEM). */
char *wharf_cgroup_v1_dir (struct wharf_cgroup *cg, const char *controller, bool must_exist);
int wharf_cgroup_v1_apply (struct wharf_cgroup *cg, const struct wharf_resources *r, wharf_error_t *err);

/* <fs_root>/<path> on a cgroup2 host. */
char *wharf_cgroup_v2_dir (struct wharf_cgroup *cg);
int wharf_cgroup_v2_apply (struct wharf_cgroup *cg, const struct wharf_resources *r, wharf_error_t *err);

/* Attaches a BPF_PROG_TYPE_CGROUP_DEVICE program implementing rules to the
 * cgroup2 directory dir, replacing the one a previous call attached
 * (cgroup-v2-devices.c). */
int wharf_cgroup_v2_apply_devices (const char *dir, const struct wharf_device_rule *rules, size_t n,
                                   wharf_error_t *err);

#endif
