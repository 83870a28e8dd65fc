#include "runtime/seccomp_cache.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <nettle/sha2.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>

#include "common/utils.h"
#include "runtime/seccomp.h"

/* Bump when the file format or the way profiles are compiled changes. */
#define CACHE_FORMAT "wharf-seccomp-1"

char *
wharf_seccomp_cache_key (const cJSON *profile)
{
  struct sha256_ctx sha;
  uint8_t digest[SHA256_DIGEST_SIZE];
  const struct scmp_version *v = seccomp_version ();
  struct utsname u;
  char head[512];
  cleanup_free char *json = cJSON_PrintUnformatted (profile);
  char *hex;
  int n;
  if (json == NULL || uname (&u) < 0)
    return NULL;
  n = snprintf (head, sizeof (head), "%s\n%u.%u.%u\n%s\n%s\n", CACHE_FORMAT, v ? v->major : 0, v ? v->minor : 0,
                v ? v->micro : 0, u.release, u.machine);
  sha256_init (&sha);
  sha256_update (&sha, (size_t) n, (const uint8_t *) head);
  sha256_update (&sha, strlen (json), (const uint8_t *) json);
  sha256_digest (&sha, sizeof (digest), digest);
  hex = malloc (2 * sizeof (digest) + 1);
  if (hex == NULL)
    return NULL;
  for (size_t i = 0; i < sizeof (digest); i++)
    sprintf (hex + 2 * i, "%02x", digest[i]);
  return hex;
}

int
wharf_seccomp_cache_get (const char *dir, const char *key, struct wharf_seccomp_prog **out)
{
  cleanup_free char *path = NULL, *data = NULL;
  wharf_error_t err = NULL;
  struct wharf_seccomp_prog *prog;
  size_t len = 0;
  if (asprintf (&path, "%s/%s.bpf", dir, key) < 0)
    return -1;
  if (wharf_read_file_at (AT_FDCWD, path, &data, &len, &err) < 0)
    {
      wharf_error_release (&err);
      return -1;
    }
  prog = wharf_seccomp_prog_new (len, &err);
  if (prog == NULL)
    {
      wharf_error_release (&err);
      return -1;
    }
  memcpy (prog->filter, data, len);
  *out = prog;
  return 0;
}

void
wharf_seccomp_cache_put (const char *dir, const char *key, const struct wharf_seccomp_prog *prog)
{
  cleanup_free char *path = NULL;
  wharf_error_t err = NULL;
  if (asprintf (&path, "%s/%s.bpf", dir, key) < 0)
    return;
  if ((mkdir (dir, 0700) < 0 && errno != EEXIST)
      || wharf_write_file_atomic (path, prog->filter, prog->len * sizeof (struct sock_filter), 0600, &err) < 0)
    wharf_error_release (&err);
}
