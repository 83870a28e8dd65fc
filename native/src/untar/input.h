/* The layer stream as the tar reader sees it: an fd (stdin), optionally
 * gunzipped and optionally hashed.
 *
 * gzip: zlib's inflate, members one after another (multi-member streams),
 * each checked against its CRC-32 and length; anything after the last
 * member other than another member is an error. (libarchive's own gzip
 * filter does not check the CRC, so it is not used for this.)
 * digest: sha256 of every uncompressed byte, those after the end-of-archive
 * blocks included (the caller drains them with untar_input_drain), i.e. the
 * layer's diffID.
 * max_size bounds the uncompressed bytes (decompression bombs).
 *
 * untar_input_open hands the stream to a tar reader through libarchive's
 * client callbacks; a failure of the stream is reported by the tar reader
 * with this stream's message. */
#ifndef WHARF_UNTAR_INPUT_H
#define WHARF_UNTAR_INPUT_H

#include <archive.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/error.h"

#define UNTAR_DIGEST_LEN 71 /* "sha256:" + 64 hex digits */

struct untar_input;

int untar_input_new (int fd, bool gzip, bool digest, uint64_t max_size, struct untar_input **out,
                     wharf_error_t *err);
void untar_input_free (struct untar_input *in);
void cleanup_input_ptr (struct untar_input **in);
#define cleanup_input __attribute__ ((cleanup (cleanup_input_ptr)))

/* archive_read_open on `tar` with this stream as its source. */
int untar_input_open (struct untar_input *in, struct archive *tar, wharf_error_t *err);

/* Reads (and hashes) whatever is left of the stream. */
int untar_input_drain (struct untar_input *in, wharf_error_t *err);

/* Uncompressed bytes read so far. */
uint64_t untar_input_bytes (const struct untar_input *in);

/* "sha256:<hex>" of the whole stream (only with digest, after drain). */
void untar_input_digest (struct untar_input *in, char out[UNTAR_DIGEST_LEN + 1]);

#endif
