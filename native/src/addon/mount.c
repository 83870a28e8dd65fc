/* mount(2), umount2(2) and the new mount API (fsopen/fsconfig/fsmount/
 * move_mount). The new API lets overlay take its lower layers one fsconfig
 * "lowerdir+" call at a time, so a deep image never hits mount(2)'s one-page
 * limit on the data string. */
#include "addon/mount.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

#include "common/utils.h"

static const struct wharf_flag mount_flags[] = {
  { "MS_RDONLY", MS_RDONLY },
  { "MS_NOSUID", MS_NOSUID },
  { "MS_NODEV", MS_NODEV },
  { "MS_NOEXEC", MS_NOEXEC },
  { "MS_SYNCHRONOUS", MS_SYNCHRONOUS },
  { "MS_REMOUNT", MS_REMOUNT },
  { "MS_MANDLOCK", MS_MANDLOCK },
  { "MS_DIRSYNC", MS_DIRSYNC },
  { "MS_NOSYMFOLLOW", 256 },
  { "MS_NOATIME", MS_NOATIME },
  { "MS_NODIRATIME", MS_NODIRATIME },
  { "MS_BIND", MS_BIND },
  { "MS_MOVE", MS_MOVE },
  { "MS_REC", MS_REC },
  { "MS_SILENT", MS_SILENT },
  { "MS_UNBINDABLE", MS_UNBINDABLE },
  { "MS_PRIVATE", MS_PRIVATE },
  { "MS_SLAVE", MS_SLAVE },
  { "MS_SHARED", MS_SHARED },
  { "MS_RELATIME", MS_RELATIME },
  { "MS_STRICTATIME", MS_STRICTATIME },
  { "MS_LAZYTIME", MS_LAZYTIME },
  { NULL, 0 },
};

static const struct wharf_flag umount_flags[] = {
  { "MNT_FORCE", MNT_FORCE },
  { "MNT_DETACH", MNT_DETACH },
  { "MNT_EXPIRE", MNT_EXPIRE },
  { "UMOUNT_NOFOLLOW", UMOUNT_NOFOLLOW },
  { NULL, 0 },
};

static const struct wharf_flag attr_flags[] = {
  { "MOUNT_ATTR_RDONLY", MOUNT_ATTR_RDONLY },
  { "MOUNT_ATTR_NOSUID", MOUNT_ATTR_NOSUID },
  { "MOUNT_ATTR_NODEV", MOUNT_ATTR_NODEV },
  { "MOUNT_ATTR_NOEXEC", MOUNT_ATTR_NOEXEC },
  { "MOUNT_ATTR_NOATIME", MOUNT_ATTR_NOATIME },
  { "MOUNT_ATTR_STRICTATIME", MOUNT_ATTR_STRICTATIME },
  { "MOUNT_ATTR_NODIRATIME", MOUNT_ATTR_NODIRATIME },
  { "MOUNT_ATTR_NOSYMFOLLOW", 0x00200000 },
  { NULL, 0 },
};

/* str[0] source, str[1] target, str[2] fstype, str[3] data */
static int
run_mount (struct wharf_job *job, wharf_error_t *err)
{
  if (mount (job->str[0], job->str[1], job->str[2], job->flags, job->str[3]) < 0)
    return wharf_make_error (err, errno, "mount %s `%s` on `%s`", job->str[2] ? job->str[2] : "(bind/move)",
                             job->str[0] ? job->str[0] : "none", job->str[1]);
  return 0;
}

napi_value
wharf_js_mount (napi_env env, napi_callback_info info)
{
  napi_value argv[5];
  struct wharf_job *job;

  if (!wharf_args (env, info, 5, argv))
    return NULL;
  job = wharf_job_new (run_mount, "mount");
  if (job == NULL)
    return wharf_job_queue (env, NULL);
  if (!wharf_arg_string (env, argv[0], true, "source", &job->str[0])
      || !wharf_arg_string (env, argv[1], false, "target", &job->str[1])
      || !wharf_arg_string (env, argv[2], true, "fstype", &job->str[2])
      || !wharf_arg_flags (env, argv[3], mount_flags, "flags", &job->flags)
      || !wharf_arg_string (env, argv[4], true, "data", &job->str[3]))
    {
      wharf_job_free (job);
      return NULL;
    }
  return wharf_job_queue (env, job);
}

static int
run_umount2 (struct wharf_job *job, wharf_error_t *err)
{
  if (umount2 (job->str[0], (int) job->flags) < 0)
    return wharf_make_error (err, errno, "unmount `%s`", job->str[0]);
  return 0;
}

napi_value
wharf_js_umount2 (napi_env env, napi_callback_info info)
{
  napi_value argv[2];
  struct wharf_job *job;

  if (!wharf_args (env, info, 2, argv))
    return NULL;
  job = wharf_job_new (run_umount2, "umount2");
  if (job == NULL)
    return wharf_job_queue (env, NULL);
  if (!wharf_arg_string (env, argv[0], false, "target", &job->str[0])
      || !wharf_arg_flags (env, argv[1], umount_flags, "flags", &job->flags))
    {
      wharf_job_free (job);
      return NULL;
    }
  return wharf_job_queue (env, job);
}

/* Appends the kernel's messages about the failed fsconfig (read from the fs
 * context fd, one "e <text>" line per read) to the error. */
static int
fs_context_error (int fsfd, wharf_error_t *err, int status, const char *what, const char *key)
{
  char log[512];
  char msgs[1024] = "";
  ssize_t n;
  int saved = status;

  while ((n = read (fsfd, log, sizeof (log) - 1)) > 0)
    {
      log[n] = '\0';
      if (strlen (msgs) + (size_t) n + 3 < sizeof (msgs))
        {
          if (msgs[0] != '\0')
            strcat (msgs, "; ");
          strcat (msgs, log[1] == ' ' ? log + 2 : log);
        }
    }
  if (msgs[0] != '\0')
    return wharf_make_error (err, saved, "%s `%s` (%s)", what, key ? key : "", msgs);
  return wharf_make_error (err, saved, "%s `%s`", what, key ? key : "");
}

/* str[0] fstype, str[1] target; list = key,value pairs (value NULL = flag);
 * flags = MOUNT_ATTR_* */
static int
run_fsmount (struct wharf_job *job, wharf_error_t *err)
{
  cleanup_close int fsfd = -1;
  cleanup_close int mfd = -1;
  size_t i;

  fsfd = fsopen (job->str[0], FSOPEN_CLOEXEC);
  if (fsfd < 0)
    return wharf_make_error (err, errno, "fsopen `%s`", job->str[0]);
  for (i = 0; i + 1 < job->list_len; i += 2)
    {
      const char *key = job->list[i], *value = job->list[i + 1];
      int ret = value ? fsconfig (fsfd, FSCONFIG_SET_STRING, key, value, 0)
                      : fsconfig (fsfd, FSCONFIG_SET_FLAG, key, NULL, 0);
      if (ret < 0)
        {
          int saved = errno;
          fs_context_error (fsfd, err, saved, "fsconfig", key);
          return wharf_error_wrap (err, "%s on `%s`", job->str[0], job->str[1]);
        }
    }
  if (fsconfig (fsfd, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
    {
      fs_context_error (fsfd, err, errno, "create", job->str[0]);
      return wharf_error_wrap (err, "mount %s on `%s`", job->str[0], job->str[1]);
    }
  mfd = fsmount (fsfd, FSMOUNT_CLOEXEC, (unsigned int) job->flags);
  if (mfd < 0)
    return wharf_make_error (err, errno, "fsmount %s for `%s`", job->str[0], job->str[1]);
  if (move_mount (mfd, "", AT_FDCWD, job->str[1], MOVE_MOUNT_F_EMPTY_PATH) < 0)
    return wharf_make_error (err, errno, "move_mount %s to `%s`", job->str[0], job->str[1]);
  return 0;
}

static bool
get_params (napi_env env, napi_value v, struct wharf_job *job)
{
  bool is_array = false;
  uint32_t n, i;

  if (napi_is_array (env, v, &is_array) != napi_ok || !is_array)
    {
      napi_throw_type_error (env, "ERR_INVALID_ARG_TYPE", "params must be an array of [key, value|null]");
      return false;
    }
  napi_get_array_length (env, v, &n);
  job->list = calloc ((size_t) n * 2 + 1, sizeof (char *));
  if (job->list == NULL)
    return false;
  for (i = 0; i < n; i++)
    {
      napi_value pair, key, value;
      bool pair_is_array = false;
      uint32_t len = 0;

      napi_get_element (env, v, i, &pair);
      if (napi_is_array (env, pair, &pair_is_array) != napi_ok || !pair_is_array)
        {
          napi_throw_type_error (env, "ERR_INVALID_ARG_TYPE", "each param must be [key, value|null]");
          return false;
        }
      napi_get_array_length (env, pair, &len);
      napi_get_element (env, pair, 0, &key);
      napi_get_element (env, pair, 1, &value);
      job->list_len += 2;
      if (!wharf_arg_string (env, key, false, "param key", &job->list[2 * i])
          || !wharf_arg_string (env, value, true, "param value", &job->list[2 * i + 1]))
        return false;
    }
  return true;
}

napi_value
wharf_js_fsmount (napi_env env, napi_callback_info info)
{
  napi_value argv[4];
  struct wharf_job *job;

  if (!wharf_args (env, info, 4, argv))
    return NULL;
  job = wharf_job_new (run_fsmount, "fsmount");
  if (job == NULL)
    return wharf_job_queue (env, NULL);
  if (!wharf_arg_string (env, argv[0], false, "fstype", &job->str[0])
      || !wharf_arg_string (env, argv[1], false, "target", &job->str[1]) || !get_params (env, argv[2], job)
      || !wharf_arg_flags (env, argv[3], attr_flags, "attrs", &job->flags))
    {
      wharf_job_free (job);
      return NULL;
    }
  return wharf_job_queue (env, job);
}
