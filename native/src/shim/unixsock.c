#include "shim/unixsock.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "common/utils.h"

int
unix_listen (const char *path, int backlog, wharf_error_t *err)
{
  struct sockaddr_un addr = { .sun_family = AF_UNIX };
  cleanup_close int fd = -1;
  int ret;
  if (strlen (path) >= sizeof (addr.sun_path))
    return wharf_make_error (err, ENAMETOOLONG, "socket path `%s`", path);
  strcpy (addr.sun_path, path);
  fd = socket (AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (UNLIKELY (fd < 0))
    return wharf_make_error (err, errno, "socket");
  if (unlink (path) < 0 && errno != ENOENT)
    return wharf_make_error (err, errno, "unlink `%s`", path);
  if (UNLIKELY (bind (fd, (struct sockaddr *) &addr, sizeof (addr)) < 0))
    return wharf_make_error (err, errno, "bind `%s`", path);
  if (UNLIKELY (listen (fd, backlog) < 0))
    return wharf_make_error (err, errno, "listen `%s`", path);
  ret = fd;
  fd = -1;
  return ret;
}
