/* The "linux" object of config.json: namespaces (and their names and
 * CLONE_* flags), id mappings, devices, sysctl, rootfs propagation, masked
 * and read-only paths, the cgroups path and resources. */
#include "runtime/spec.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include "common/utils.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

static const struct
{
  const char *name, *proc;
  int flag;
} ns_table[WHARF_NS_KINDS] = {
  [WHARF_NS_USER] = { "user", "user", CLONE_NEWUSER },
  [WHARF_NS_MOUNT] = { "mount", "mnt", CLONE_NEWNS },
  [WHARF_NS_PID] = { "pid", "pid", CLONE_NEWPID },
  [WHARF_NS_NET] = { "network", "net", CLONE_NEWNET },
  [WHARF_NS_IPC] = { "ipc", "ipc", CLONE_NEWIPC },
  [WHARF_NS_UTS] = { "uts", "uts", CLONE_NEWUTS },
  [WHARF_NS_CGROUP] = { "cgroup", "cgroup", CLONE_NEWCGROUP },
  [WHARF_NS_TIME] = { "time", "time", CLONE_NEWTIME },
};

const char *
wharf_ns_name (int kind)
{
  return ns_table[kind].name;
}

const char *
wharf_ns_proc_name (int kind)
{
  return ns_table[kind].proc;
}

int
wharf_ns_flag (int kind)
{
  return ns_table[kind].flag;
}

static int
parse_idmaps (const cJSON *arr, const char *what, struct wharf_idmap **out, size_t *n, wharf_error_t *err)
{
  const cJSON *it;
  size_t i = 0;
  if (arr == NULL)
    return 0;
  if (!cJSON_IsArray (arr))
    return wharf_make_error (err, 0, "config: linux.%s must be an array", what);
  *n = (size_t) cJSON_GetArraySize (arr);
  *out = calloc (*n + 1, sizeof (**out));
  if (*out == NULL)
    return wharf_make_error (err, ENOMEM, "config");
  cJSON_ArrayForEach (it, arr)
  {
    struct wharf_idmap *m = &(*out)[i++];
    if (wharf_json_u32 (it, "containerID", &m->container, true, what, err) < 0
        || wharf_json_u32 (it, "hostID", &m->host, true, what, err) < 0
        || wharf_json_u32 (it, "size", &m->size, true, what, err) < 0)
      return -1;
  }
  return 0;
}

static int
parse_namespaces (const cJSON *arr, struct wharf_spec *spec, wharf_error_t *err)
{
  const cJSON *it;
  if (arr == NULL)
    return 0;
  if (!cJSON_IsArray (arr))
    return wharf_make_error (err, 0, "config: linux.namespaces must be an array");
  cJSON_ArrayForEach (it, arr)
  {
    const char *type = wharf_json_opt_string (it, "type");
    int k;
    if (type == NULL)
      return wharf_make_error (err, 0, "config: linux.namespaces entry without a type");
    for (k = 0; k < WHARF_NS_KINDS; k++)
      if (strcmp (type, ns_table[k].name) == 0)
        break;
    if (k == WHARF_NS_KINDS)
      return wharf_make_error (err, 0, "config: unknown namespace type `%s`", type);
    if (spec->ns[k].present)
      return wharf_make_error (err, 0, "config: namespace `%s` listed twice", type);
    spec->ns[k].present = true;
    spec->ns[k].path = wharf_json_opt_string (it, "path");
    if (spec->ns[k].path != NULL && spec->ns[k].path[0] != '/')
      return wharf_make_error (err, 0, "config: namespace `%s` path must be absolute", type);
  }
  return 0;
}

static int
parse_devices (const cJSON *arr, struct wharf_spec *spec, wharf_error_t *err)
{
  const cJSON *it;
  size_t i = 0;
  if (arr == NULL)
    return 0;
  if (!cJSON_IsArray (arr))
    return wharf_make_error (err, 0, "config: linux.devices must be an array");
  spec->n_devices = (size_t) cJSON_GetArraySize (arr);
  spec->devices = calloc (spec->n_devices + 1, sizeof (struct wharf_device));
  if (spec->devices == NULL)
    return wharf_make_error (err, ENOMEM, "config");
  cJSON_ArrayForEach (it, arr)
  {
    struct wharf_device *d = &spec->devices[i++];
    const char *type = wharf_json_opt_string (it, "type");
    uint32_t v = 0;
    int r;
    d->path = wharf_json_opt_string (it, "path");
    if (d->path == NULL || d->path[0] != '/' || type == NULL || strlen (type) != 1 || strchr ("cbup", type[0]) == NULL)
      return wharf_make_error (err, 0, "config: linux.devices entry needs an absolute path and a type c, b, u or p");
    d->type = type[0];
    if (wharf_json_u32 (it, "major", &v, d->type != 'p', "devices", err) < 0)
      return -1;
    d->major = v;
    if (wharf_json_u32 (it, "minor", &v, d->type != 'p', "devices", err) < 0)
      return -1;
    d->minor = v;
    if ((r = wharf_json_u32 (it, "fileMode", &v, false, "devices", err)) < 0)
      return -1;
    d->has_mode = r > 0;
    d->mode = v & 07777;
    if ((r = wharf_json_u32 (it, "uid", &v, false, "devices", err)) < 0)
      return -1;
    d->has_uid = r > 0;
    d->uid = v;
    if ((r = wharf_json_u32 (it, "gid", &v, false, "devices", err)) < 0)
      return -1;
    d->has_gid = r > 0;
    d->gid = v;
  }
  return 0;
}

static int
parse_sysctl (const cJSON *obj, struct wharf_spec *spec, wharf_error_t *err)
{
  const cJSON *it;
  size_t i = 0;
  if (obj == NULL)
    return 0;
  if (!cJSON_IsObject (obj))
    return wharf_make_error (err, 0, "config: linux.sysctl must be an object");
  spec->n_sysctl = (size_t) cJSON_GetArraySize (obj);
  spec->sysctl_keys = calloc (spec->n_sysctl + 1, sizeof (char *));
  spec->sysctl_values = calloc (spec->n_sysctl + 1, sizeof (char *));
  if (spec->sysctl_keys == NULL || spec->sysctl_values == NULL)
    return wharf_make_error (err, ENOMEM, "config");
  cJSON_ArrayForEach (it, obj)
  {
    if (!cJSON_IsString (it) || strstr (it->string, "..") || strchr (it->string, '/'))
      return wharf_make_error (err, 0, "config: invalid sysctl `%s`", it->string);
    spec->sysctl_keys[i] = it->string;
    spec->sysctl_values[i++] = it->valuestring;
  }
  return 0;
}

static int
parse_propagation (const char *s, unsigned long *out, wharf_error_t *err)
{
  static const struct
  {
    const char *name;
    unsigned long flags;
  } t[] = { { "private", MS_PRIVATE },          { "rprivate", MS_PRIVATE | MS_REC },
            { "slave", MS_SLAVE },              { "rslave", MS_SLAVE | MS_REC },
            { "shared", MS_SHARED },            { "rshared", MS_SHARED | MS_REC },
            { "unbindable", MS_UNBINDABLE },    { "runbindable", MS_UNBINDABLE | MS_REC } };
  if (s == NULL)
    return 0;
  for (size_t i = 0; i < sizeof (t) / sizeof (t[0]); i++)
    if (strcmp (s, t[i].name) == 0)
      {
        *out = t[i].flags;
        return 0;
      }
  return wharf_make_error (err, 0, "config: unknown rootfsPropagation `%s`", s);
}

int
wharf_spec_parse_linux (const cJSON *lx, struct wharf_spec *spec, wharf_error_t *err)
{
  const cJSON *v;
  if (lx == NULL)
    return 0;
  if (!cJSON_IsObject (lx))
    return wharf_make_error (err, 0, "config: lx must be an object");
  if (parse_namespaces (cJSON_GetObjectItemCaseSensitive (lx, "namespaces"), spec, err) < 0
      || parse_idmaps (cJSON_GetObjectItemCaseSensitive (lx, "uidMappings"), "uidMappings", &spec->uid_mappings,
                       &spec->n_uid_mappings, err) < 0
      || parse_idmaps (cJSON_GetObjectItemCaseSensitive (lx, "gidMappings"), "gidMappings", &spec->gid_mappings,
                       &spec->n_gid_mappings, err) < 0
      || parse_devices (cJSON_GetObjectItemCaseSensitive (lx, "devices"), spec, err) < 0
      || parse_sysctl (cJSON_GetObjectItemCaseSensitive (lx, "sysctl"), spec, err) < 0
      || parse_propagation (wharf_json_opt_string (lx, "rootfsPropagation"), &spec->rootfs_propagation, err) < 0)
    return -1;
  if (wharf_json_string_array (cJSON_GetObjectItemCaseSensitive (lx, "maskedPaths"), "linux.maskedPaths",
                               (char ***) &spec->masked_paths, &spec->n_masked_paths, err) < 0
      || wharf_json_string_array (cJSON_GetObjectItemCaseSensitive (lx, "readonlyPaths"), "linux.readonlyPaths",
                                  (char ***) &spec->readonly_paths, &spec->n_readonly_paths, err) < 0)
    return -1;
  spec->cgroups_path = wharf_json_opt_string (lx, "cgroupsPath");
  v = cJSON_GetObjectItemCaseSensitive (lx, "resources");
  spec->resources = cJSON_IsObject (v) ? v : NULL;
  v = cJSON_GetObjectItemCaseSensitive (lx, "seccomp");
  spec->seccomp = cJSON_IsObject (v) ? v : NULL;
  if (spec->ns[WHARF_NS_USER].present && spec->ns[WHARF_NS_USER].path == NULL
      && (spec->n_uid_mappings == 0 || spec->n_gid_mappings == 0))
    return wharf_make_error (err, 0, "config: a new user namespace needs linux.uidMappings and linux.gidMappings");
  return 0;
}
