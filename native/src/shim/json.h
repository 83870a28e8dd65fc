/* The shim's only JSON: string escaping the way Docker's json-file driver
 * does it (moby daemon/logger/jsonfilelog/jsonlog/jsonlogbytes.go) and
 * RFC3339Nano timestamps. No parser; the shim never reads JSON.
 *
 * Escaping: `"` and `\` backslashed, \n and \r as such, every other byte
 * below 0x20 plus `<`, `>`, `&` as \u00XX, U+2028/U+2029 as \u2028/\u2029,
 * and each byte that does not start a valid UTF-8 sequence (Go's
 * utf8.DecodeRune rules: no overlongs, surrogates or > U+10FFFF) as \ufffd. */
#ifndef WHARF_SHIM_JSON_H
#define WHARF_SHIM_JSON_H

#include <stddef.h>
#include <time.h>

/* Escapes in[0..len) into out (no quotes added) and returns the escaped
 * length. With out == NULL only counts. */
size_t json_escape (char *out, const char *in, size_t len);

/* "2024-01-01T00:00:00.123456789Z" (fixed nine digits, like Docker's
 * RFC3339NanoFixed). buf needs JSON_TIME_LEN + 1 bytes. */
#define JSON_TIME_LEN 30
void json_format_time (char *buf, const struct timespec *ts);

#endif
