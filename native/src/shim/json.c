#include "shim/json.h"

#include <stdio.h>
#include <string.h>

static const char hex[] = "0123456789abcdef";

/* Length of the valid UTF-8 sequence at s (1..4), or 0 when s[0] does not
 * start one. Mirrors Go's utf8.DecodeRune acceptance ranges. */
static size_t
utf8_seq_len (const unsigned char *s, size_t avail)
{
  unsigned char b = s[0];
  unsigned char lo = 0x80, hi = 0xBF;
  size_t need;
  if (b >= 0xC2 && b <= 0xDF)
    need = 2;
  else if (b >= 0xE0 && b <= 0xEF)
    {
      need = 3;
      if (b == 0xE0)
        lo = 0xA0;
      else if (b == 0xED)
        hi = 0x9F;
    }
  else if (b >= 0xF0 && b <= 0xF4)
    {
      need = 4;
      if (b == 0xF0)
        lo = 0x90;
      else if (b == 0xF4)
        hi = 0x8F;
    }
  else
    return 0;
  if (avail < need || s[1] < lo || s[1] > hi)
    return 0;
  for (size_t i = 2; i < need; i++)
    if (s[i] < 0x80 || s[i] > 0xBF)
      return 0;
  return need;
}

static size_t
put (char *out, size_t pos, const char *s, size_t n)
{
  if (out)
    memcpy (out + pos, s, n);
  return pos + n;
}

size_t
json_escape (char *out, const char *in, size_t len)
{
  const unsigned char *s = (const unsigned char *) in;
  size_t pos = 0, i = 0, start = 0;
  while (i < len)
    {
      unsigned char b = s[i];
      char esc[6];
      size_t esc_len, adv = 1;
      if (b < 0x80)
        {
          if (b >= 0x20 && b != '\\' && b != '"' && b != '<' && b != '>' && b != '&')
            {
              i++;
              continue;
            }
          if (b == '\\' || b == '"' || b == '\n' || b == '\r')
            {
              esc[0] = '\\';
              esc[1] = b == '\n' ? 'n' : b == '\r' ? 'r' : (char) b;
              esc_len = 2;
            }
          else
            {
              memcpy (esc, "\\u00", 4);
              esc[4] = hex[b >> 4];
              esc[5] = hex[b & 0xF];
              esc_len = 6;
            }
        }
      else
        {
          size_t n = utf8_seq_len (s + i, len - i);
          if (n == 3 && b == 0xE2 && s[i + 1] == 0x80 && (s[i + 2] == 0xA8 || s[i + 2] == 0xA9))
            {
              memcpy (esc, "\\u202", 5);
              esc[5] = s[i + 2] == 0xA8 ? '8' : '9';
              esc_len = 6;
              adv = 3;
            }
          else if (n == 0)
            {
              memcpy (esc, "\\ufffd", 6);
              esc_len = 6;
            }
          else
            {
              i += n;
              continue;
            }
        }
      pos = put (out, pos, in + start, i - start);
      pos = put (out, pos, esc, esc_len);
      i += adv;
      start = i;
    }
  return put (out, pos, in + start, len - start);
}

void
json_format_time (char *buf, const struct timespec *ts)
{
  struct tm tm;
  char tmp[96];
  gmtime_r (&ts->tv_sec, &tm);
  snprintf (tmp, sizeof (tmp), "%04d-%02d-%02dT%02d:%02d:%02d.%09ldZ", tm.tm_year + 1900, tm.tm_mon + 1,
            tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (long) ts->tv_nsec);
  memcpy (buf, tmp, JSON_TIME_LEN);
  buf[JSON_TIME_LEN] = '\0';
}
