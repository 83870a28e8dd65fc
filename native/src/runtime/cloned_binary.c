#include "runtime/cloned_binary.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/utils.h"

#ifndef MFD_EXEC
#define MFD_EXEC 0x0010U
#endif

#define WANTED_SEALS (F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE)

extern char **environ;

int
wharf_ensure_cloned_binary (char **argv, wharf_error_t *err)
{
  cleanup_close int self = open ("/proc/self/exe", O_RDONLY | O_CLOEXEC);
  cleanup_close int mem = -1;
  struct stat sb;
  off_t off = 0;
  int seals;
  if (self < 0)
    return wharf_make_error (err, errno, "open /proc/self/exe");
  seals = fcntl (self, F_GET_SEALS);
  if (seals >= 0 && (seals & WANTED_SEALS) == WANTED_SEALS)
    return 0;
  mem = memfd_create ("wharf-runtime", MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_EXEC);
  if (mem < 0 && errno == EINVAL)
    mem = memfd_create ("wharf-runtime", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  if (mem < 0)
    return wharf_make_error (err, errno, "memfd_create");
  if (fstat (self, &sb) < 0)
    return wharf_make_error (err, errno, "stat /proc/self/exe");
  while (off < sb.st_size)
    {
      ssize_t n = sendfile (mem, self, &off, (size_t) (sb.st_size - off));
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        return wharf_make_error (err, n < 0 ? errno : EIO, "copy the runtime binary");
    }
  if (fcntl (mem, F_ADD_SEALS, WANTED_SEALS) < 0)
    return wharf_make_error (err, errno, "seal the runtime copy");
  syscall (SYS_execveat, mem, "", argv, environ, AT_EMPTY_PATH);
  return wharf_make_error (err, errno, "exec the sealed runtime copy");
}
