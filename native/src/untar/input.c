#include "untar/input.h"

#include <errno.h>
#include <inttypes.h>
#include <nettle/sha2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#define INPUT_BLOCK (1024 * 1024)

struct untar_input
{
  int fd;
  bool gzip;
  bool hashing;
  bool eof;      /* no more uncompressed bytes */
  bool fd_eof;   /* no more bytes on the fd */
  bool z_ready;  /* inflateInit2 done */
  bool z_member; /* inside a gzip member */
  z_stream z;
  struct sha256_ctx sha;
  uint64_t bytes;
  uint64_t max_size;
  char msg[256]; /* why the stream failed, for the tar reader's error */
  unsigned char *out; /* what the tar reader gets */
  unsigned char *raw; /* compressed bytes read from the fd (gzip) */
};

int
untar_input_new (int fd, bool gzip, bool digest, uint64_t max_size, struct untar_input **out,
                 wharf_error_t *err)
{
  struct untar_input *in = calloc (1, sizeof (*in));

  if (in == NULL)
    return wharf_make_error (err, ENOMEM, "allocate the input");
  in->fd = fd;
  in->gzip = gzip;
  in->hashing = digest;
  in->max_size = max_size;
  sha256_init (&in->sha);
  in->out = malloc (INPUT_BLOCK);
  in->raw = gzip ? malloc (INPUT_BLOCK) : NULL;
  if (in->out == NULL || (gzip && in->raw == NULL))
    {
      untar_input_free (in);
      return wharf_make_error (err, ENOMEM, "allocate the input");
    }
  if (gzip)
    {
      /* 16 + 15: gzip wrapper only (its CRC-32 and length checked), 32 KiB window. */
      if (inflateInit2 (&in->z, 16 + 15) != Z_OK)
        {
          untar_input_free (in);
          return wharf_make_error (err, ENOMEM, "zlib");
        }
      in->z_ready = true;
    }
  *out = in;
  return 0;
}

void
untar_input_free (struct untar_input *in)
{
  if (in == NULL)
    return;
  if (in->z_ready)
    inflateEnd (&in->z);
  free (in->out);
  free (in->raw);
  free (in);
}

void
cleanup_input_ptr (struct untar_input **in)
{
  untar_input_free (*in);
  *in = NULL;
}

static ssize_t
read_fd (struct untar_input *in, unsigned char *buf)
{
  ssize_t n;
  do
    n = read (in->fd, buf, INPUT_BLOCK);
  while (n < 0 && errno == EINTR);
  if (n < 0)
    snprintf (in->msg, sizeof (in->msg), "read the layer: %s", strerror (errno));
  if (n == 0)
    in->fd_eof = true;
  return n;
}

/* Inflates into in->out: > 0 bytes, 0 at the end of the last member. */
static ssize_t
gunzip_block (struct untar_input *in)
{
  in->z.next_out = in->out;
  in->z.avail_out = INPUT_BLOCK;
  while (in->z.avail_out == INPUT_BLOCK)
    {
      int r;
      if (in->z.avail_in == 0 && !in->fd_eof)
        {
          ssize_t n = read_fd (in, in->raw);
          if (n < 0)
            return -1;
          in->z.next_in = in->raw;
          in->z.avail_in = (uInt) n;
        }
      if (in->z.avail_in == 0)
        {
          /* The input ended: fine between members (or before the first:
           * an empty input is an empty layer), not inside one. */
          if (!in->z_member)
            return 0;
          snprintf (in->msg, sizeof (in->msg), "decompress the layer: the gzip stream is truncated");
          return -1;
        }
      in->z_member = true;
      r = inflate (&in->z, Z_NO_FLUSH);
      if (r == Z_STREAM_END)
        {
          /* Another member may follow; only gzip members may. */
          in->z_member = false;
          if (inflateReset (&in->z) != Z_OK)
            {
              snprintf (in->msg, sizeof (in->msg), "decompress the layer: zlib reset failed");
              return -1;
            }
          continue;
        }
      if (r != Z_OK && r != Z_BUF_ERROR)
        {
          snprintf (in->msg, sizeof (in->msg), "decompress the layer: %s",
                    in->z.msg ? in->z.msg : "invalid gzip data");
          return -1;
        }
    }
  return (ssize_t) (INPUT_BLOCK - in->z.avail_out);
}

/* The next block of the uncompressed stream: > 0 bytes, 0 at its end, < 0
 * on failure (in->msg says why). */
static ssize_t
next_block (struct untar_input *in)
{
  ssize_t n;

  if (in->eof)
    return 0;
  n = in->gzip ? gunzip_block (in) : read_fd (in, in->out);
  if (n < 0)
    return -1;
  if (n == 0)
    {
      in->eof = true;
      return 0;
    }
  in->bytes += (uint64_t) n;
  if (in->bytes > in->max_size)
    {
      snprintf (in->msg, sizeof (in->msg), "the uncompressed layer is larger than the limit of %" PRIu64 " bytes",
                in->max_size);
      return -1;
    }
  if (in->hashing)
    sha256_update (&in->sha, (size_t) n, in->out);
  return n;
}

static la_ssize_t
input_read (struct archive *a, void *data, const void **buf)
{
  struct untar_input *in = data;
  ssize_t n = next_block (in);
  if (n < 0)
    archive_set_error (a, EIO, "%s", in->msg);
  *buf = in->out;
  return n;
}

int
untar_input_open (struct untar_input *in, struct archive *tar, wharf_error_t *err)
{
  if (archive_read_open (tar, in, NULL, input_read, NULL) != ARCHIVE_OK)
    return wharf_make_error (err, 0, "read the layer: %s", archive_error_string (tar));
  return 0;
}

int
untar_input_drain (struct untar_input *in, wharf_error_t *err)
{
  for (;;)
    {
      ssize_t n = next_block (in);
      if (n == 0)
        return 0;
      if (n < 0)
        return wharf_make_error (err, 0, "%s", in->msg);
    }
}

uint64_t
untar_input_bytes (const struct untar_input *in)
{
  return in->bytes;
}

void
untar_input_digest (struct untar_input *in, char out[UNTAR_DIGEST_LEN + 1])
{
  uint8_t d[SHA256_DIGEST_SIZE];
  sha256_digest (&in->sha, sizeof (d), d);
  memcpy (out, "sha256:", 7);
  for (size_t i = 0; i < sizeof (d); i++)
    snprintf (out + 7 + 2 * i, 3, "%02x", d[i]);
}
