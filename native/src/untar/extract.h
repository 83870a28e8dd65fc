/* Extraction of one layer tar read from an fd into the cwd (which
 * untar_confine made "/"). Names go through untar/names.h, whiteouts through
 * untar/whiteout.h, everything else through libarchive's disk writer with
 * its SECURE_* checks on. Ownership, modes (setuid included, as Docker keeps
 * them), mtimes, xattrs, hard links and symlinks are preserved; trusted.*
 * xattrs from the tar are dropped (only whiteout conversion may set
 * trusted.overlay.*). */
#ifndef WHARF_UNTAR_EXTRACT_H
#define WHARF_UNTAR_EXTRACT_H

#include <stdbool.h>
#include <stdint.h>

#include "common/error.h"
#include "untar/input.h"
#include "untar/names.h"

struct untar_extract_opts
{
  struct untar_limits limits;
  uint64_t max_size;    /* sum of member sizes (sparse files count their full size) */
  uint64_t max_entries; /* members, whiteouts included */
  bool allow_devices;   /* block/char devices and fifos other than whiteouts */
  bool gzip;            /* the fd carries gzip (untar/input.h) */
  bool digest;          /* compute the diffID */
};

struct untar_result
{
  uint64_t size;
  uint64_t entries;
  uint64_t stream_bytes;                  /* uncompressed tar bytes */
  char diff_id[UNTAR_DIGEST_LEN + 1];     /* with opts->digest, else "" */
};

int untar_extract (int fd, const struct untar_extract_opts *opts, struct untar_result *res, wharf_error_t *err);

#endif
