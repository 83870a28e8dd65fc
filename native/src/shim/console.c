#include "shim/console.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/utils.h"
#include "shim/unixsock.h"

int
console_socket_listen (const char *path, wharf_error_t *err)
{
  return unix_listen (path, 1, err);
}

int
console_socket_receive (int listen_fd, wharf_error_t *err)
{
  cleanup_close int conn = -1;
  char name[256];
  union
  {
    char buf[CMSG_SPACE (sizeof (int))];
    struct cmsghdr align;
  } control;
  struct iovec iov = { .iov_base = name, .iov_len = sizeof (name) };
  struct msghdr msg = {
    .msg_iov = &iov,
    .msg_iovlen = 1,
    .msg_control = control.buf,
    .msg_controllen = sizeof (control.buf),
  };
  struct cmsghdr *cmsg;
  struct pollfd pfd;
  ssize_t n;
  int fd, flags;

  conn = accept4 (listen_fd, NULL, NULL, SOCK_CLOEXEC);
  if (conn < 0)
    return wharf_make_error (err, errno == EAGAIN ? 0 : errno, "the runtime sent no terminal on the console socket");
  /* The runtime has exited, so the message is there or never comes. */
  pfd.fd = conn;
  pfd.events = POLLIN;
  if (poll (&pfd, 1, 5000) <= 0)
    return wharf_make_error (err, 0, "the runtime sent no terminal on the console socket");
  do
    n = recvmsg (conn, &msg, MSG_CMSG_CLOEXEC);
  while (n < 0 && errno == EINTR);
  if (n < 0)
    return wharf_make_error (err, errno, "receive terminal");
  cmsg = CMSG_FIRSTHDR (&msg);
  if (cmsg == NULL || cmsg->cmsg_level != SOL_SOCKET || cmsg->cmsg_type != SCM_RIGHTS
      || cmsg->cmsg_len != CMSG_LEN (sizeof (int)))
    return wharf_make_error (err, 0, "receive terminal: no file descriptor in the message");
  memcpy (&fd, CMSG_DATA (cmsg), sizeof (int));
  flags = fcntl (fd, F_GETFL);
  if (flags < 0 || fcntl (fd, F_SETFL, flags | O_NONBLOCK) < 0)
    {
      int e = errno;
      close (fd);
      return wharf_make_error (err, e, "terminal: set O_NONBLOCK");
    }
  return fd;
}
