#include "common/error.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *
vformat (const char *fmt, va_list ap)
{
  char *out = NULL;
  if (vasprintf (&out, fmt, ap) < 0)
    return NULL;
  return out;
}

int
wharf_make_error (wharf_error_t *err, int status, const char *fmt, ...)
{
  va_list ap;
  struct wharf_error_s *e = calloc (1, sizeof (*e));
  if (e == NULL)
    abort ();
  va_start (ap, fmt);
  e->msg = vformat (fmt, ap);
  va_end (ap);
  e->status = status;
  if (*err != NULL)
    wharf_error_release (err);
  *err = e;
  return status > 0 ? -status : -1;
}

int
wharf_error_wrap (wharf_error_t *err, const char *fmt, ...)
{
  va_list ap;
  char *ctx, *joined = NULL;
  if (*err == NULL)
    return -1;
  va_start (ap, fmt);
  ctx = vformat (fmt, ap);
  va_end (ap);
  if (ctx != NULL && asprintf (&joined, "%s: %s", ctx, (*err)->msg ? (*err)->msg : "") >= 0)
    {
      free ((*err)->msg);
      (*err)->msg = joined;
    }
  free (ctx);
  return -1;
}

void
wharf_error_print (const char *prog, wharf_error_t *err)
{
  if (err == NULL || *err == NULL)
    return;
  if ((*err)->status > 0)
    fprintf (stderr, "%s: %s: %s\n", prog, (*err)->msg, strerror ((*err)->status));
  else
    fprintf (stderr, "%s: %s\n", prog, (*err)->msg);
  wharf_error_release (err);
}

void
wharf_error_release (wharf_error_t *err)
{
  if (err == NULL || *err == NULL)
    return;
  free ((*err)->msg);
  free (*err);
  *err = NULL;
}
