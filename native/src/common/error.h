/* Error values for native/: library code never exits; it returns a negative
 * value and fills a wharf_error. Callers add context with wharf_error_wrap. */
#ifndef WHARF_ERROR_H
#define WHARF_ERROR_H

#include <stdarg.h>

typedef struct wharf_error_s
{
  int status; /* errno, or 0 when the failure has no errno */
  char *msg;  /* malloc'd, human readable, no trailing newline */
} *wharf_error_t;

/* Allocates *err and returns -1 (or -status when status > 0). */
int wharf_make_error (wharf_error_t *err, int status, const char *fmt, ...)
    __attribute__ ((format (printf, 3, 4)));

/* Prefixes the message of an existing error with "<context>: ". Returns -1. */
int wharf_error_wrap (wharf_error_t *err, const char *fmt, ...)
    __attribute__ ((format (printf, 2, 3)));

/* Prints "<prog>: <msg>[: strerror]" to stderr, frees err. */
void wharf_error_print (const char *prog, wharf_error_t *err);

void wharf_error_release (wharf_error_t *err);

#endif
