/* Async jobs for the addon: every blocking syscall runs in
 * napi_create_async_work on the libuv thread pool and settles a Promise
 * (STYLE.md). A job owns its argument copies; run() executes off the JS
 * thread and must touch only the job, never napi. Failures reject with a JS
 * Error whose `code` is the errno name ('EBUSY'), plus `errno` (number) and
 * `syscall`, and whose message says what failed. */
#ifndef WHARF_ADDON_JOB_H
#define WHARF_ADDON_JOB_H

#include <node_api.h>
#include <stdbool.h>
#include <stddef.h>

#include "common/error.h"

#define WHARF_JOB_STRS 5

struct wharf_job;

/* Worker thread: returns 0, or negative with *err filled. */
typedef int (*wharf_job_run_fn) (struct wharf_job *job, wharf_error_t *err);
/* JS thread, after success: the resolved value (NULL resolves undefined). */
typedef napi_value (*wharf_job_result_fn) (napi_env env, struct wharf_job *job);

struct wharf_job
{
  napi_async_work work;
  napi_deferred deferred;
  wharf_job_run_fn run;
  wharf_job_result_fn result;
  const char *syscall;
  wharf_error_t err;
  char *str[WHARF_JOB_STRS]; /* owned; NULL when the JS value was null */
  char **list;               /* owned; list_len entries, entries may be NULL */
  size_t list_len;
  unsigned long flags;
  unsigned long flags2;
  long num[4];
  void *buf; /* owned input or output bytes */
  size_t buf_len;
  bool missing; /* output: the thing asked for does not exist (resolves null) */
};

/* Name -> bit for flag arrays such as ['MS_BIND', 'MS_REC']. */
struct wharf_flag
{
  const char *name;
  unsigned long value;
};

struct wharf_job *wharf_job_new (wharf_job_run_fn run, const char *syscall);

/* Queues the job and returns its Promise; frees the job on failure. */
napi_value wharf_job_queue (napi_env env, struct wharf_job *job);

/* Argument helpers: on a bad argument they throw a TypeError and return false. */
bool wharf_arg_string (napi_env env, napi_value v, bool nullable, const char *what, char **out);
bool wharf_arg_flags (napi_env env, napi_value v, const struct wharf_flag *table, const char *what,
                      unsigned long *out);
bool wharf_arg_long (napi_env env, napi_value v, const char *what, long *out);
bool wharf_arg_bytes (napi_env env, napi_value v, const char *what, void **out, size_t *len);

/* Fetches exactly n arguments (missing ones are undefined). */
bool wharf_args (napi_env env, napi_callback_info info, size_t n, napi_value *argv);

void wharf_job_free (struct wharf_job *job);

#endif
