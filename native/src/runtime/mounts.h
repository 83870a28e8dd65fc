/* config.json mounts, devices and the rootfs switch, all done by the init
 * inside its new mount namespace. Destinations are resolved inside the
 * rootfs (resolve.h) and mounted through /proc/self/fd/N. */
#ifndef WHARF_RUNTIME_MOUNTS_H
#define WHARF_RUNTIME_MOUNTS_H

#include <stdbool.h>

#include "cgroup/cgroup.h"
#include "common/error.h"
#include "runtime/spec.h"

/* One mount of the config. */
int wharf_mount_one (int rootfd, const struct wharf_spec *spec, const struct wharf_mount *m,
                     const struct wharf_cgroup *cg, wharf_error_t *err);

/* type "cgroup": the container's own cgroup dirs, read-only by default. */
int wharf_mount_cgroupfs (int rootfd, const struct wharf_mount *m, const struct wharf_cgroup *cg, wharf_error_t *err);

/* Remounts the mount at fd (a bind mount) with flags, keeping the flags the
 * kernel locked (nosuid, nodev, noexec in a user namespace). */
int wharf_remount_bind (int fd, unsigned long flags, wharf_error_t *err);

/* Default devices, linux.devices and /dev symlinks. bind: bind-mount the
 * host's nodes instead of mknod (user namespaces). */
int wharf_devices_setup (int rootfd, const struct wharf_spec *spec, bool bind, wharf_error_t *err);

/* Whole rootfs: propagation, bind of the rootfs, mounts, devices.
 * Returns an O_PATH fd of the rootfs. */
int wharf_rootfs_prepare (const struct wharf_spec *spec, const struct wharf_cgroup *cg, bool bind_devices,
                          wharf_error_t *err);
/* pivot_root (or MS_MOVE + chroot with no_pivot) into rootfd; closes it. */
int wharf_rootfs_pivot (int rootfd, bool no_pivot, wharf_error_t *err);
/* After the pivot: sysctl, masked and read-only paths, read-only root,
 * rootfsPropagation. */
int wharf_rootfs_finish (const struct wharf_spec *spec, wharf_error_t *err);

#endif
