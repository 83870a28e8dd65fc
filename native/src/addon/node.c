#include "addon/node.h"

#include <errno.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

/* str[0] path; num[0] mode, num[1] major, num[2] minor */
static int
run_mknod (struct wharf_job *job, wharf_error_t *err)
{
  if (mknod (job->str[0], (mode_t) job->num[0], makedev ((unsigned) job->num[1], (unsigned) job->num[2])) < 0)
    return wharf_make_error (err, errno, "mknod `%s` (%ld:%ld)", job->str[0], job->num[1], job->num[2]);
  return 0;
}

napi_value
wharf_js_mknod (napi_env env, napi_callback_info info)
{
  napi_value argv[4];
  struct wharf_job *job;

  if (!wharf_args (env, info, 4, argv))
    return NULL;
  job = wharf_job_new (run_mknod, "mknod");
  if (job == NULL)
    return wharf_job_queue (env, NULL);
  if (!wharf_arg_string (env, argv[0], false, "path", &job->str[0])
      || !wharf_arg_long (env, argv[1], "mode", &job->num[0]) || !wharf_arg_long (env, argv[2], "major", &job->num[1])
      || !wharf_arg_long (env, argv[3], "minor", &job->num[2]))
    {
      wharf_job_free (job);
      return NULL;
    }
  return wharf_job_queue (env, job);
}
