/* A fixed-capacity byte ring buffer for the shim's copy loops, after crun's
 * src/libcrun/ring_buffer.h: opaque struct, make/free, a cleanup macro, and
 * EAGAIN-aware fd I/O.
 *
 * The shim keeps one ring per lagging attach client and one for pending
 * stdin. Rings are allocated only when a write would block and freed once
 * drained, so an idle container costs nothing here. A ring never grows: a
 * writer that does not fit is told so and the caller decides (drop a slow
 * client, stop reading stdin). */
#ifndef WHARF_SHIM_RING_H
#define WHARF_SHIM_RING_H

#include <stddef.h>
#include <sys/types.h>

struct ring;

struct ring *ring_new (size_t capacity); /* NULL on ENOMEM */
void ring_free (struct ring *r);
void cleanup_ringp (struct ring **r);
#define cleanup_ring __attribute__ ((cleanup (cleanup_ringp)))

size_t ring_used (const struct ring *r);
size_t ring_space (const struct ring *r);

/* Copies all of data, or nothing (returns -1) when it does not fit. */
int ring_push (struct ring *r, const void *data, size_t len);

/* Reads at most max bytes from fd into the ring. Returns bytes read, 0 at
 * EOF, -1 with errno (EAGAIN when nothing is there). */
ssize_t ring_read_fd (struct ring *r, int fd, size_t max);

/* Writes as much as fd takes. Returns bytes written (0 when it would
 * block), -1 with errno on a real error. */
ssize_t ring_write_fd (struct ring *r, int fd);

#endif
