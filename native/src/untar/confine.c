#include "untar/confine.h"

#include <errno.h>
#include <fcntl.h>
#include <iconv.h>
#include <langinfo.h>
#include <linux/capability.h>
#include <sched.h>
#include <seccomp.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/utils.h"

/* libarchive converts pax UTF-8 names with iconv; make glibc read its gconv
 * configuration now, from the host, not later from inside the layer. */
static void
preload_iconv (void)
{
  iconv_t cd = iconv_open (nl_langinfo (CODESET), "UTF-8");
  if (cd != (iconv_t) -1)
    iconv_close (cd);
}

int
untar_confine (const char *dir, bool read_only, wharf_error_t *err)
{
  cleanup_close int newroot = -1;

  preload_iconv ();

  if (unshare (CLONE_NEWNS) < 0)
    return wharf_make_error (err, errno, "unshare mount namespace");
  if (mount (NULL, "/", NULL, MS_PRIVATE | MS_REC, NULL) < 0)
    return wharf_make_error (err, errno, "make / private");
  if (mount (dir, dir, NULL, MS_BIND | MS_REC, NULL) < 0)
    return wharf_make_error (err, errno, "bind `%s`", dir);
  if (read_only && mount (NULL, dir, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV, NULL) < 0)
    return wharf_make_error (err, errno, "remount `%s` read-only", dir);

  newroot = open (dir, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
  if (newroot < 0)
    return wharf_make_error (err, errno, "open `%s`", dir);
  if (fchdir (newroot) < 0)
    return wharf_make_error (err, errno, "chdir `%s`", dir);
  /* runc's trick: stack the old root under the new one, then detach it.
   * pivot_root is refused on an initramfs root; chroot is the fallback there
   * (as Docker's), and seccomp forbids a second chroot to break out. */
  if (syscall (SYS_pivot_root, ".", ".") == 0)
    {
      if (umount2 (".", MNT_DETACH) < 0)
        return wharf_make_error (err, errno, "detach the old root");
    }
  else if (errno != EINVAL || chroot (".") < 0)
    return wharf_make_error (err, errno, "pivot_root `%s`", dir);
  if (chdir ("/") < 0)
    return wharf_make_error (err, errno, "chdir /");
  return 0;
}

static int
drop_capabilities (wharf_error_t *err)
{
  static const int keep[] = { CAP_CHOWN, CAP_DAC_OVERRIDE, CAP_FOWNER, CAP_FSETID,
                              CAP_MKNOD, CAP_SETFCAP,      CAP_SYS_ADMIN /* trusted.* xattrs */ };
  struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
  struct __user_cap_data_struct data[2] = { { 0 } };
  uint64_t mask = 0;

  for (size_t i = 0; i < sizeof (keep) / sizeof (keep[0]); i++)
    mask |= 1ULL << keep[i];
  for (int cap = 0; cap <= 63; cap++)
    {
      if (mask & (1ULL << cap))
        continue;
      if (prctl (PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 && errno != EINVAL)
        return wharf_make_error (err, errno, "drop capability %d", cap);
    }
  data[0].effective = data[0].permitted = (uint32_t) mask;
  data[1].effective = data[1].permitted = (uint32_t) (mask >> 32);
  if (syscall (SYS_capset, &hdr, data) < 0)
    return wharf_make_error (err, errno, "capset");
  return 0;
}

static int
install_seccomp (wharf_error_t *err)
{
  static const int denied[] = {
    SCMP_SYS (mount),        SCMP_SYS (umount2),       SCMP_SYS (pivot_root),        SCMP_SYS (chroot),
    SCMP_SYS (unshare),      SCMP_SYS (setns),         SCMP_SYS (open_by_handle_at), SCMP_SYS (name_to_handle_at),
    SCMP_SYS (ptrace),       SCMP_SYS (execve),        SCMP_SYS (execveat),          SCMP_SYS (bpf),
    SCMP_SYS (init_module),  SCMP_SYS (finit_module),  SCMP_SYS (kexec_load),        SCMP_SYS (keyctl),
    SCMP_SYS (add_key),      SCMP_SYS (request_key),   SCMP_SYS (fsopen),            SCMP_SYS (fsmount),
    SCMP_SYS (move_mount),   SCMP_SYS (open_tree),     SCMP_SYS (fspick),            SCMP_SYS (mount_setattr),
    SCMP_SYS (process_vm_writev), SCMP_SYS (userfaultfd),
  };
  scmp_filter_ctx ctx = seccomp_init (SCMP_ACT_ALLOW);
  int r = 0;

  if (ctx == NULL)
    return wharf_make_error (err, ENOMEM, "seccomp_init");
  for (size_t i = 0; r == 0 && i < sizeof (denied) / sizeof (denied[0]); i++)
    r = seccomp_rule_add (ctx, SCMP_ACT_ERRNO (EPERM), denied[i], 0);
  if (r == 0)
    r = seccomp_rule_add (ctx, SCMP_ACT_ERRNO (EPERM), SCMP_SYS (mmap), 1,
                          SCMP_A2 (SCMP_CMP_MASKED_EQ, PROT_EXEC, PROT_EXEC));
  if (r == 0)
    r = seccomp_rule_add (ctx, SCMP_ACT_ERRNO (EPERM), SCMP_SYS (mprotect), 1,
                          SCMP_A2 (SCMP_CMP_MASKED_EQ, PROT_EXEC, PROT_EXEC));
  if (r == 0)
    r = seccomp_rule_add (ctx, SCMP_ACT_ERRNO (EPERM), SCMP_SYS (pkey_mprotect), 1,
                          SCMP_A2 (SCMP_CMP_MASKED_EQ, PROT_EXEC, PROT_EXEC));
  if (r == 0)
    r = seccomp_load (ctx);
  seccomp_release (ctx);
  if (r < 0)
    return wharf_make_error (err, -r, "install the seccomp filter");
  return 0;
}

int
untar_lockdown (wharf_error_t *err)
{
  if (drop_capabilities (err) < 0)
    return -1;
  if (prctl (PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
    return wharf_make_error (err, errno, "set no_new_privs");
  return install_seccomp (err);
}
