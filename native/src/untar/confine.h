/* Confinement of wharf-untar to one directory, before any tar byte is parsed.
 *
 * untar_confine: a private mount namespace (so nothing we mount is seen
 * outside and everything vanishes with the process), DIR bind-mounted on
 * itself (read-only for --create), pivot_root into it and the old root
 * detached. From then on "/" is the layer directory: an absolute or ".."
 * name, or a symlink to "/etc", can only ever reach something inside it.
 *
 * untar_lockdown: drops every capability the writer does not need, sets
 * no_new_privs and installs a seccomp filter that refuses mount, chroot,
 * namespace and exec calls and any executable mapping. The last one is the
 * guarantee that no library is ever loaded from the (attacker-controlled)
 * layer: glibc's iconv and NSS would dlopen modules by absolute path, which
 * after pivot_root resolve inside the layer. */
#ifndef WHARF_UNTAR_CONFINE_H
#define WHARF_UNTAR_CONFINE_H

#include <stdbool.h>

#include "common/error.h"

int untar_confine (const char *dir, bool read_only, wharf_error_t *err);
int untar_lockdown (wharf_error_t *err);

#endif
