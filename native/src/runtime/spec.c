#include "runtime/spec.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
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

int
wharf_json_string_array (const cJSON *arr, const char *what, char ***out, size_t *n, wharf_error_t *err)
{
  size_t count = 0, i = 0;
  const cJSON *it;
  char **v;
  if (arr != NULL && !cJSON_IsArray (arr))
    return wharf_make_error (err, 0, "config: `%s` must be an array of strings", what);
  count = arr ? (size_t) cJSON_GetArraySize (arr) : 0;
  v = calloc (count + 1, sizeof (char *));
  if (v == NULL)
    return wharf_make_error (err, ENOMEM, "config: `%s`", what);
  cJSON_ArrayForEach (it, arr)
  {
    if (!cJSON_IsString (it))
      {
        free (v);
        return wharf_make_error (err, 0, "config: `%s` must be an array of strings", what);
      }
    v[i++] = it->valuestring;
  }
  *out = v;
  if (n)
    *n = count;
  return 0;
}

static const char *
opt_string (const cJSON *obj, const char *key)
{
  const cJSON *v = cJSON_GetObjectItemCaseSensitive (obj, key);
  return cJSON_IsString (v) ? v->valuestring : NULL;
}

static int
parse_u32 (const cJSON *obj, const char *key, uint32_t *out, bool required, const char *ctx, wharf_error_t *err)
{
  const cJSON *v = cJSON_GetObjectItemCaseSensitive (obj, key);
  if (v == NULL && !required)
    return 0;
  if (!cJSON_IsNumber (v) || v->valuedouble < 0 || v->valuedouble > 4294967295.0)
    return wharf_make_error (err, 0, "config: %s.%s must be a non-negative integer", ctx, key);
  *out = (uint32_t) v->valuedouble;
  return 1;
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
    if (parse_u32 (it, "containerID", &m->container, true, what, err) < 0
        || parse_u32 (it, "hostID", &m->host, true, what, err) < 0
        || parse_u32 (it, "size", &m->size, true, what, err) < 0)
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
    const char *type = opt_string (it, "type");
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
    spec->ns[k].path = opt_string (it, "path");
    if (spec->ns[k].path != NULL && spec->ns[k].path[0] != '/')
      return wharf_make_error (err, 0, "config: namespace `%s` path must be absolute", type);
  }
  return 0;
}

static int
parse_hooks (const cJSON *hooks, struct wharf_spec *spec, wharf_error_t *err)
{
  static const char *names[WHARF_HOOK_KINDS] = { "prestart",  "createRuntime", "createContainer",
                                                 "startContainer", "poststart", "poststop" };
  if (hooks == NULL)
    return 0;
  for (int k = 0; k < WHARF_HOOK_KINDS; k++)
    {
      const cJSON *arr = cJSON_GetObjectItemCaseSensitive (hooks, names[k]), *it;
      size_t i = 0;
      if (arr == NULL)
        continue;
      if (!cJSON_IsArray (arr))
        return wharf_make_error (err, 0, "config: hooks.%s must be an array", names[k]);
      spec->hooks[k].n = (size_t) cJSON_GetArraySize (arr);
      spec->hooks[k].items = calloc (spec->hooks[k].n + 1, sizeof (struct wharf_hook));
      if (spec->hooks[k].items == NULL)
        return wharf_make_error (err, ENOMEM, "config");
      cJSON_ArrayForEach (it, arr)
      {
        struct wharf_hook *h = &spec->hooks[k].items[i++];
        const cJSON *t = cJSON_GetObjectItemCaseSensitive (it, "timeout");
        h->path = opt_string (it, "path");
        if (h->path == NULL || h->path[0] != '/')
          return wharf_make_error (err, 0, "config: hooks.%s: path must be absolute", names[k]);
        if (wharf_json_string_array (cJSON_GetObjectItemCaseSensitive (it, "args"), "hook args", &h->args, NULL, err) < 0
            || wharf_json_string_array (cJSON_GetObjectItemCaseSensitive (it, "env"), "hook env", &h->env, NULL, err) < 0)
          return -1;
        if (t != NULL && (!cJSON_IsNumber (t) || t->valuedouble <= 0))
          return wharf_make_error (err, 0, "config: hooks.%s: timeout must be > 0", names[k]);
        h->timeout = t ? (int) t->valuedouble : 0;
      }
    }
  return 0;
}

static int
parse_mounts (const cJSON *arr, struct wharf_spec *spec, wharf_error_t *err)
{
  const cJSON *it;
  size_t i = 0;
  if (arr == NULL)
    return 0;
  if (!cJSON_IsArray (arr))
    return wharf_make_error (err, 0, "config: mounts must be an array");
  spec->n_mounts = (size_t) cJSON_GetArraySize (arr);
  spec->mounts = calloc (spec->n_mounts + 1, sizeof (struct wharf_mount));
  if (spec->mounts == NULL)
    return wharf_make_error (err, ENOMEM, "config");
  cJSON_ArrayForEach (it, arr)
  {
    struct wharf_mount *m = &spec->mounts[i++];
    m->destination = opt_string (it, "destination");
    m->type = opt_string (it, "type");
    m->source = opt_string (it, "source");
    if (m->destination == NULL)
      return wharf_make_error (err, 0, "config: a mount has no destination");
    if (wharf_mount_options_parse (cJSON_GetObjectItemCaseSensitive (it, "options"), m, err) < 0)
      return wharf_error_wrap (err, "config: mount `%s`", m->destination);
    if (m->type == NULL)
      m->type = m->bind ? "bind" : "none";
    if (strcmp (m->type, "bind") == 0 && !m->bind)
      m->bind = true;
    if (m->bind && m->source == NULL)
      return wharf_make_error (err, 0, "config: bind mount `%s` has no source", m->destination);
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
    const char *type = opt_string (it, "type");
    uint32_t v = 0;
    int r;
    d->path = opt_string (it, "path");
    if (d->path == NULL || d->path[0] != '/' || type == NULL || strlen (type) != 1 || strchr ("cbup", type[0]) == NULL)
      return wharf_make_error (err, 0, "config: linux.devices entry needs an absolute path and a type c, b, u or p");
    d->type = type[0];
    if (parse_u32 (it, "major", &v, d->type != 'p', "devices", err) < 0)
      return -1;
    d->major = v;
    if (parse_u32 (it, "minor", &v, d->type != 'p', "devices", err) < 0)
      return -1;
    d->minor = v;
    if ((r = parse_u32 (it, "fileMode", &v, false, "devices", err)) < 0)
      return -1;
    d->has_mode = r > 0;
    d->mode = v & 07777;
    if ((r = parse_u32 (it, "uid", &v, false, "devices", err)) < 0)
      return -1;
    d->has_uid = r > 0;
    d->uid = v;
    if ((r = parse_u32 (it, "gid", &v, false, "devices", err)) < 0)
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

static int
parse_linux (const cJSON *lx, struct wharf_spec *spec, wharf_error_t *err)
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
      || parse_propagation (opt_string (lx, "rootfsPropagation"), &spec->rootfs_propagation, err) < 0)
    return -1;
  if (wharf_json_string_array (cJSON_GetObjectItemCaseSensitive (lx, "maskedPaths"), "linux.maskedPaths",
                               (char ***) &spec->masked_paths, &spec->n_masked_paths, err) < 0
      || wharf_json_string_array (cJSON_GetObjectItemCaseSensitive (lx, "readonlyPaths"), "linux.readonlyPaths",
                                  (char ***) &spec->readonly_paths, &spec->n_readonly_paths, err) < 0)
    return -1;
  spec->cgroups_path = opt_string (lx, "cgroupsPath");
  v = cJSON_GetObjectItemCaseSensitive (lx, "resources");
  spec->resources = cJSON_IsObject (v) ? v : NULL;
  v = cJSON_GetObjectItemCaseSensitive (lx, "seccomp");
  spec->seccomp = cJSON_IsObject (v) ? v : NULL;
  if (spec->ns[WHARF_NS_USER].present && spec->ns[WHARF_NS_USER].path == NULL
      && (spec->n_uid_mappings == 0 || spec->n_gid_mappings == 0))
    return wharf_make_error (err, 0, "config: a new user namespace needs linux.uidMappings and linux.gidMappings");
  return 0;
}

int
wharf_spec_parse (cJSON *json, const char *bundle, struct wharf_spec *spec, wharf_error_t *err)
{
  const cJSON *root, *v;
  const char *path;
  memset (spec, 0, sizeof (*spec));
  spec->json = json;
  if (!cJSON_IsObject (json))
    return wharf_make_error (err, 0, "config: not a JSON object");
  spec->bundle = strdup (bundle);
  spec->oci_version = opt_string (json, "ociVersion");
  if (spec->oci_version == NULL)
    return wharf_make_error (err, 0, "config: ociVersion missing");
  if (strncmp (spec->oci_version, "1.", 2) != 0)
    return wharf_make_error (err, 0, "config: unsupported ociVersion `%s` (want 1.x)", spec->oci_version);
  root = cJSON_GetObjectItemCaseSensitive (json, "root");
  path = opt_string (root, "path");
  if (path == NULL)
    return wharf_make_error (err, 0, "config: root.path missing");
  if (path[0] == '/')
    spec->rootfs = strdup (path);
  else if (asprintf (&spec->rootfs, "%s/%s", bundle, path) < 0)
    spec->rootfs = NULL;
  if (spec->rootfs == NULL || spec->bundle == NULL)
    return wharf_make_error (err, ENOMEM, "config");
  v = cJSON_GetObjectItemCaseSensitive (root, "readonly");
  spec->root_readonly = cJSON_IsTrue (v);
  spec->hostname = opt_string (json, "hostname");
  spec->domainname = opt_string (json, "domainname");
  v = cJSON_GetObjectItemCaseSensitive (json, "process");
  if (v != NULL)
    {
      if (wharf_process_parse (v, &spec->process, err) < 0)
        return wharf_error_wrap (err, "config: process");
      spec->has_process = true;
    }
  v = cJSON_GetObjectItemCaseSensitive (json, "annotations");
  spec->annotations = cJSON_IsObject (v) ? v : NULL;
  if (parse_mounts (cJSON_GetObjectItemCaseSensitive (json, "mounts"), spec, err) < 0
      || parse_hooks (cJSON_GetObjectItemCaseSensitive (json, "hooks"), spec, err) < 0
      || parse_linux (cJSON_GetObjectItemCaseSensitive (json, "linux"), spec, err) < 0)
    return -1;
  return 0;
}

int
wharf_spec_load (const char *bundle, struct wharf_spec *spec, wharf_error_t *err)
{
  cleanup_free char *path = NULL, *text = NULL;
  char abs[PATH_MAX];
  cJSON *json;
  if (realpath (bundle, abs) == NULL)
    return wharf_make_error (err, errno, "bundle `%s`", bundle);
  if (asprintf (&path, "%s/config.json", abs) < 0)
    return wharf_make_error (err, ENOMEM, "bundle");
  if (wharf_read_file_at (AT_FDCWD, path, &text, NULL, err) < 0)
    return -1;
  json = cJSON_Parse (text);
  if (json == NULL)
    {
      const char *at = cJSON_GetErrorPtr ();
      return wharf_make_error (err, 0, "config.json: malformed JSON near offset %ld",
                               at ? (long) (at - text) : -1L);
    }
  return wharf_spec_parse (json, abs, spec, err);
}

void
wharf_spec_free (struct wharf_spec *spec)
{
  wharf_process_free (&spec->process);
  for (size_t i = 0; i < spec->n_mounts; i++)
    free (spec->mounts[i].data);
  free (spec->mounts);
  for (int k = 0; k < WHARF_HOOK_KINDS; k++)
    {
      for (size_t i = 0; i < spec->hooks[k].n; i++)
        {
          free (spec->hooks[k].items[i].args);
          free (spec->hooks[k].items[i].env);
        }
      free (spec->hooks[k].items);
    }
  free (spec->uid_mappings);
  free (spec->gid_mappings);
  free (spec->devices);
  free (spec->masked_paths);
  free (spec->readonly_paths);
  free (spec->sysctl_keys);
  free (spec->sysctl_values);
  free (spec->bundle);
  free (spec->rootfs);
  cJSON_Delete (spec->json);
  memset (spec, 0, sizeof (*spec));
}
