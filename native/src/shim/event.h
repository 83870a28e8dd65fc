/* Epoll sources of the shim's event loop. Every registered fd has an
 * ep_src (first member of its owner) in epoll_event.data.ptr, so the loop
 * dispatches on kind. ep_src_set keeps the registration in step with the
 * wanted mask: 0 unregisters. Always unregister before closing: a dup'd fd
 * (the pty master) keeps a registration alive past close(2). */
#ifndef WHARF_SHIM_EVENT_H
#define WHARF_SHIM_EVENT_H

#include <stdbool.h>
#include <stdint.h>

enum ep_kind
{
  EP_SIGNAL,
  EP_STDOUT,
  EP_STDERR,
  EP_STDIN,
  EP_LISTEN,
  EP_CLIENT,
  EP_ORPHAN,
};

struct ep_src
{
  enum ep_kind kind;
  int fd;
  uint32_t events; /* currently registered mask, 0 = not registered */
};

/* Returns 0, or -1 with errno. */
int ep_src_set (int epfd, struct ep_src *src, uint32_t events);

/* Unregisters (when registered) and closes src->fd; sets it to -1. */
void ep_src_close (int epfd, struct ep_src *src);

#endif
