/* `wharf-untar --create`: writes the cwd (made "/" by untar_confine, mounted
 * read-only) as a pax tar to an fd. Names are relative ("bin/", "bin/sh"),
 * siblings sorted so the same content gives the same bytes (and diffID);
 * hard links are found by inode; ids stay numeric (no NSS). Only user.*,
 * security.capability and POSIX ACL xattrs are written.
 *
 * With whiteouts, overlay whiteouts (0/0 character devices) become
 * ".wh.NAME" and opaque directories get a ".wh..wh..opq" member, as Docker's
 * overlay driver writes a layer diff. */
#ifndef WHARF_UNTAR_CREATE_H
#define WHARF_UNTAR_CREATE_H

#include <stdbool.h>
#include <stdint.h>

#include "common/error.h"

int untar_create (int out_fd, bool whiteouts, uint64_t *entries, wharf_error_t *err);

#endif
