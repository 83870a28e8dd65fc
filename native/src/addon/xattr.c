#include "addon/xattr.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/xattr.h>

static const struct wharf_flag xattr_flags[] = {
  { "XATTR_CREATE", XATTR_CREATE },
  { "XATTR_REPLACE", XATTR_REPLACE },
  { NULL, 0 },
};

/* str[0] path, str[1] name, buf value */
static int
run_lsetxattr (struct wharf_job *job, wharf_error_t *err)
{
  if (lsetxattr (job->str[0], job->str[1], job->buf, job->buf_len, (int) job->flags) < 0)
    return wharf_make_error (err, errno, "set xattr %s on `%s`", job->str[1], job->str[0]);
  return 0;
}

napi_value
wharf_js_lsetxattr (napi_env env, napi_callback_info info)
{
  napi_value argv[4];
  struct wharf_job *job;

  if (!wharf_args (env, info, 4, argv))
    return NULL;
  job = wharf_job_new (run_lsetxattr, "lsetxattr");
  if (job == NULL)
    return wharf_job_queue (env, NULL);
  if (!wharf_arg_string (env, argv[0], false, "path", &job->str[0])
      || !wharf_arg_string (env, argv[1], false, "name", &job->str[1])
      || !wharf_arg_bytes (env, argv[2], "value", &job->buf, &job->buf_len)
      || !wharf_arg_flags (env, argv[3], xattr_flags, "flags", &job->flags))
    {
      wharf_job_free (job);
      return NULL;
    }
  return wharf_job_queue (env, job);
}

/* Reads with a size probe; retries when the value grows between the calls. */
static int
run_lgetxattr (struct wharf_job *job, wharf_error_t *err)
{
  for (int attempt = 0; attempt < 5; attempt++)
    {
      ssize_t size = lgetxattr (job->str[0], job->str[1], NULL, 0), got;
      if (size < 0)
        {
          if (errno == ENODATA)
            {
              job->missing = true;
              return 0;
            }
          return wharf_make_error (err, errno, "get xattr %s of `%s`", job->str[1], job->str[0]);
        }
      free (job->buf);
      job->buf = malloc ((size_t) size + 1);
      if (job->buf == NULL)
        return wharf_make_error (err, ENOMEM, "get xattr %s of `%s`", job->str[1], job->str[0]);
      got = lgetxattr (job->str[0], job->str[1], job->buf, (size_t) size);
      if (got >= 0)
        {
          job->buf_len = (size_t) got;
          return 0;
        }
      if (errno == ENODATA)
        {
          job->missing = true;
          return 0;
        }
      if (errno != ERANGE)
        return wharf_make_error (err, errno, "get xattr %s of `%s`", job->str[1], job->str[0]);
    }
  return wharf_make_error (err, ERANGE, "get xattr %s of `%s` (keeps changing size)", job->str[1], job->str[0]);
}

static napi_value
buffer_result (napi_env env, struct wharf_job *job)
{
  napi_value out;
  void *data;
  if (job->missing)
    {
      napi_get_null (env, &out);
      return out;
    }
  if (napi_create_buffer_copy (env, job->buf_len, job->buf ? job->buf : "", &data, &out) != napi_ok)
    return NULL;
  return out;
}

napi_value
wharf_js_lgetxattr (napi_env env, napi_callback_info info)
{
  napi_value argv[2];
  struct wharf_job *job;

  if (!wharf_args (env, info, 2, argv))
    return NULL;
  job = wharf_job_new (run_lgetxattr, "lgetxattr");
  if (job == NULL)
    return wharf_job_queue (env, NULL);
  job->result = buffer_result;
  if (!wharf_arg_string (env, argv[0], false, "path", &job->str[0])
      || !wharf_arg_string (env, argv[1], false, "name", &job->str[1]))
    {
      wharf_job_free (job);
      return NULL;
    }
  return wharf_job_queue (env, job);
}

static int
run_llistxattr (struct wharf_job *job, wharf_error_t *err)
{
  for (int attempt = 0; attempt < 5; attempt++)
    {
      ssize_t size = llistxattr (job->str[0], NULL, 0), got;
      if (size < 0)
        return wharf_make_error (err, errno, "list xattrs of `%s`", job->str[0]);
      free (job->buf);
      job->buf = malloc ((size_t) size + 1);
      if (job->buf == NULL)
        return wharf_make_error (err, ENOMEM, "list xattrs of `%s`", job->str[0]);
      got = llistxattr (job->str[0], job->buf, (size_t) size);
      if (got >= 0)
        {
          job->buf_len = (size_t) got;
          return 0;
        }
      if (errno != ERANGE)
        return wharf_make_error (err, errno, "list xattrs of `%s`", job->str[0]);
    }
  return wharf_make_error (err, ERANGE, "list xattrs of `%s` (keeps changing size)", job->str[0]);
}

static napi_value
names_result (napi_env env, struct wharf_job *job)
{
  napi_value arr, s;
  const char *p = job->buf, *end = p ? p + job->buf_len : NULL;
  uint32_t i = 0;

  napi_create_array (env, &arr);
  while (p != NULL && p < end)
    {
      size_t len = strnlen (p, (size_t) (end - p));
      if (len > 0)
        {
          napi_create_string_utf8 (env, p, len, &s);
          napi_set_element (env, arr, i++, s);
        }
      p += len + 1;
    }
  return arr;
}

napi_value
wharf_js_llistxattr (napi_env env, napi_callback_info info)
{
  napi_value argv[1];
  struct wharf_job *job;

  if (!wharf_args (env, info, 1, argv))
    return NULL;
  job = wharf_job_new (run_llistxattr, "llistxattr");
  if (job == NULL)
    return wharf_job_queue (env, NULL);
  job->result = names_result;
  if (!wharf_arg_string (env, argv[0], false, "path", &job->str[0]))
    {
      wharf_job_free (job);
      return NULL;
    }
  return wharf_job_queue (env, job);
}
