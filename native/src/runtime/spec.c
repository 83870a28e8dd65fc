/* config.json (OCI runtime spec 1.x): loading, the top level, hooks and
 * mounts; the "process" object is in spec_process.c, "linux" in
 * spec_linux.c. */
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

const char *
wharf_json_opt_string (const cJSON *obj, const char *key)
{
  const cJSON *v = cJSON_GetObjectItemCaseSensitive (obj, key);
  return cJSON_IsString (v) ? v->valuestring : NULL;
}

int
wharf_json_u32 (const cJSON *obj, const char *key, uint32_t *out, bool required, const char *ctx, wharf_error_t *err)
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
        h->path = wharf_json_opt_string (it, "path");
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
    m->destination = wharf_json_opt_string (it, "destination");
    m->type = wharf_json_opt_string (it, "type");
    m->source = wharf_json_opt_string (it, "source");
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
  spec->oci_version = wharf_json_opt_string (json, "ociVersion");
  if (spec->oci_version == NULL)
    return wharf_make_error (err, 0, "config: ociVersion missing");
  if (strncmp (spec->oci_version, "1.", 2) != 0)
    return wharf_make_error (err, 0, "config: unsupported ociVersion `%s` (want 1.x)", spec->oci_version);
  root = cJSON_GetObjectItemCaseSensitive (json, "root");
  path = wharf_json_opt_string (root, "path");
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
  spec->hostname = wharf_json_opt_string (json, "hostname");
  spec->domainname = wharf_json_opt_string (json, "domainname");
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
      || wharf_spec_parse_linux (cJSON_GetObjectItemCaseSensitive (json, "linux"), spec, err) < 0)
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
