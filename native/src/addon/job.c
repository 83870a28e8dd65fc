#include "addon/job.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct wharf_job *
wharf_job_new (wharf_job_run_fn run, const char *syscall)
{
  struct wharf_job *job = calloc (1, sizeof (*job));
  if (job == NULL)
    return NULL;
  job->run = run;
  job->syscall = syscall;
  return job;
}

void
wharf_job_free (struct wharf_job *job)
{
  size_t i;
  if (job == NULL)
    return;
  for (i = 0; i < WHARF_JOB_STRS; i++)
    free (job->str[i]);
  for (i = 0; i < job->list_len; i++)
    free (job->list[i]);
  free (job->list);
  free (job->buf);
  wharf_error_release (&job->err);
  free (job);
}

static void
execute (napi_env env, void *data)
{
  struct wharf_job *job = data;
  (void) env;
  job->run (job, &job->err);
}

static napi_value
make_error (napi_env env, struct wharf_job *job)
{
  napi_value code = NULL, msg, error, num, sys;
  char *text = NULL;
  int status = job->err->status;
  const char *name = status > 0 ? strerrorname_np (status) : NULL;

  if (status > 0)
    {
      if (asprintf (&text, "%s: %s", job->err->msg ? job->err->msg : job->syscall, strerror (status)) < 0)
        text = NULL;
    }
  napi_create_string_utf8 (env, text ? text : (job->err->msg ? job->err->msg : "native call failed"),
                           NAPI_AUTO_LENGTH, &msg);
  free (text);
  if (name != NULL)
    napi_create_string_utf8 (env, name, NAPI_AUTO_LENGTH, &code);
  napi_create_error (env, code, msg, &error);
  napi_create_int32 (env, status, &num);
  napi_set_named_property (env, error, "errno", num);
  napi_create_string_utf8 (env, job->syscall, NAPI_AUTO_LENGTH, &sys);
  napi_set_named_property (env, error, "syscall", sys);
  return error;
}

static void
complete (napi_env env, napi_status status, void *data)
{
  struct wharf_job *job = data;
  napi_value value = NULL;

  if (status != napi_ok && job->err == NULL)
    wharf_make_error (&job->err, ECANCELED, "%s was cancelled", job->syscall);
  if (job->err != NULL)
    napi_reject_deferred (env, job->deferred, make_error (env, job));
  else
    {
      if (job->result != NULL)
        value = job->result (env, job);
      if (value == NULL)
        napi_get_undefined (env, &value);
      napi_resolve_deferred (env, job->deferred, value);
    }
  napi_delete_async_work (env, job->work);
  wharf_job_free (job);
}

napi_value
wharf_job_queue (napi_env env, struct wharf_job *job)
{
  napi_value promise = NULL, name;

  if (job == NULL)
    {
      napi_throw_error (env, "ENOMEM", "out of memory");
      return NULL;
    }
  if (napi_create_promise (env, &job->deferred, &promise) != napi_ok)
    goto fail;
  napi_create_string_utf8 (env, job->syscall, NAPI_AUTO_LENGTH, &name);
  if (napi_create_async_work (env, NULL, name, execute, complete, job, &job->work) != napi_ok)
    goto fail;
  if (napi_queue_async_work (env, job->work) != napi_ok)
    {
      napi_delete_async_work (env, job->work);
      goto fail;
    }
  return promise;

fail:
  wharf_job_free (job);
  napi_throw_error (env, NULL, "cannot queue native work");
  return NULL;
}

bool
wharf_args (napi_env env, napi_callback_info info, size_t n, napi_value *argv)
{
  size_t argc = n;
  return napi_get_cb_info (env, info, &argc, argv, NULL, NULL) == napi_ok;
}

static bool
type_error (napi_env env, const char *what, const char *expected)
{
  char msg[256];
  snprintf (msg, sizeof (msg), "%s must be %s", what, expected);
  napi_throw_type_error (env, "ERR_INVALID_ARG_TYPE", msg);
  return false;
}

bool
wharf_arg_string (napi_env env, napi_value v, bool nullable, const char *what, char **out)
{
  napi_valuetype t;
  size_t len;
  char *s;

  *out = NULL;
  if (napi_typeof (env, v, &t) != napi_ok)
    return type_error (env, what, "a string");
  if (nullable && (t == napi_null || t == napi_undefined))
    return true;
  if (t != napi_string)
    return type_error (env, what, nullable ? "a string or null" : "a string");
  napi_get_value_string_utf8 (env, v, NULL, 0, &len);
  s = malloc (len + 1);
  if (s == NULL)
    return type_error (env, what, "smaller");
  napi_get_value_string_utf8 (env, v, s, len + 1, &len);
  if (strlen (s) != len)
    {
      free (s);
      return type_error (env, what, "a string without NUL bytes");
    }
  *out = s;
  return true;
}

bool
wharf_arg_flags (napi_env env, napi_value v, const struct wharf_flag *table, const char *what,
                 unsigned long *out)
{
  bool is_array = false;
  napi_valuetype t;
  uint32_t n, i;

  *out = 0;
  if (napi_typeof (env, v, &t) == napi_ok && (t == napi_undefined || t == napi_null))
    return true;
  if (napi_is_array (env, v, &is_array) != napi_ok || !is_array)
    return type_error (env, what, "an array of flag names");
  napi_get_array_length (env, v, &n);
  for (i = 0; i < n; i++)
    {
      napi_value item;
      char name[64];
      size_t len;
      const struct wharf_flag *f;

      napi_get_element (env, v, i, &item);
      if (napi_get_value_string_utf8 (env, item, name, sizeof (name), &len) != napi_ok)
        return type_error (env, what, "an array of flag names");
      for (f = table; f->name != NULL; f++)
        if (strcmp (f->name, name) == 0)
          break;
      if (f->name == NULL)
        {
          char msg[160];
          snprintf (msg, sizeof (msg), "%s: unknown flag `%s`", what, name);
          napi_throw_range_error (env, "ERR_INVALID_ARG_VALUE", msg);
          return false;
        }
      *out |= f->value;
    }
  return true;
}

bool
wharf_arg_long (napi_env env, napi_value v, const char *what, long *out)
{
  int64_t n;
  if (napi_get_value_int64 (env, v, &n) != napi_ok)
    return type_error (env, what, "a number");
  *out = (long) n;
  return true;
}

bool
wharf_arg_bytes (napi_env env, napi_value v, const char *what, void **out, size_t *len)
{
  bool is_buffer = false;
  napi_valuetype t;
  void *data;

  *out = NULL;
  *len = 0;
  if (napi_typeof (env, v, &t) == napi_ok && t == napi_string)
    {
      char *s;
      if (!wharf_arg_string (env, v, false, what, &s))
        return false;
      *out = s;
      *len = strlen (s);
      return true;
    }
  if (napi_is_buffer (env, v, &is_buffer) != napi_ok || !is_buffer)
    return type_error (env, what, "a Buffer or string");
  napi_get_buffer_info (env, v, &data, len);
  *out = malloc (*len ? *len : 1);
  if (*out == NULL)
    return type_error (env, what, "smaller");
  memcpy (*out, data, *len);
  return true;
}
