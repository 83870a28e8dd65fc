/* The "process" object of config.json (and of `exec --process`). */
#include "runtime/spec.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "runtime/caps.h"

static const struct
{
  const char *name;
  int resource;
} rlimit_names[] = {
  { "RLIMIT_AS", RLIMIT_AS },           { "RLIMIT_CORE", RLIMIT_CORE },
  { "RLIMIT_CPU", RLIMIT_CPU },         { "RLIMIT_DATA", RLIMIT_DATA },
  { "RLIMIT_FSIZE", RLIMIT_FSIZE },     { "RLIMIT_LOCKS", RLIMIT_LOCKS },
  { "RLIMIT_MEMLOCK", RLIMIT_MEMLOCK }, { "RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE },
  { "RLIMIT_NICE", RLIMIT_NICE },       { "RLIMIT_NOFILE", RLIMIT_NOFILE },
  { "RLIMIT_NPROC", RLIMIT_NPROC },     { "RLIMIT_RSS", RLIMIT_RSS },
  { "RLIMIT_RTPRIO", RLIMIT_RTPRIO },   { "RLIMIT_RTTIME", RLIMIT_RTTIME },
  { "RLIMIT_SIGPENDING", RLIMIT_SIGPENDING }, { "RLIMIT_STACK", RLIMIT_STACK },
};

static int
get_u64 (const cJSON *obj, const char *key, uint64_t *out, wharf_error_t *err)
{
  const cJSON *v = cJSON_GetObjectItemCaseSensitive (obj, key);
  if (!cJSON_IsNumber (v) || v->valuedouble < 0)
    return wharf_make_error (err, 0, "`%s` must be a non-negative number", key);
  /* cJSON keeps numbers as doubles: 2^64-1 (RLIM_INFINITY) rounds up. */
  *out = v->valuedouble >= 18446744073709551615.0 ? UINT64_MAX : (uint64_t) v->valuedouble;
  return 0;
}

static int
parse_rlimits (const cJSON *arr, struct wharf_process *p, wharf_error_t *err)
{
  const cJSON *it;
  size_t i = 0;
  if (arr == NULL)
    return 0;
  if (!cJSON_IsArray (arr))
    return wharf_make_error (err, 0, "rlimits must be an array");
  p->rlimits = calloc ((size_t) cJSON_GetArraySize (arr) + 1, sizeof (struct wharf_rlimit));
  if (p->rlimits == NULL)
    return wharf_make_error (err, ENOMEM, "rlimits");
  cJSON_ArrayForEach (it, arr)
  {
    const cJSON *type = cJSON_GetObjectItemCaseSensitive (it, "type");
    struct wharf_rlimit *r = &p->rlimits[i];
    size_t k;
    if (!cJSON_IsString (type))
      return wharf_make_error (err, 0, "rlimit without a type");
    for (k = 0; k < sizeof (rlimit_names) / sizeof (rlimit_names[0]); k++)
      if (strcmp (type->valuestring, rlimit_names[k].name) == 0)
        break;
    if (k == sizeof (rlimit_names) / sizeof (rlimit_names[0]))
      return wharf_make_error (err, 0, "unknown rlimit `%s`", type->valuestring);
    r->resource = rlimit_names[k].resource;
    if (get_u64 (it, "soft", &r->soft, err) < 0 || get_u64 (it, "hard", &r->hard, err) < 0)
      return wharf_error_wrap (err, "rlimit %s", type->valuestring);
    i++;
  }
  p->n_rlimits = i;
  return 0;
}

static int
parse_user (const cJSON *user, struct wharf_process *p, wharf_error_t *err)
{
  const cJSON *v, *it;
  size_t i = 0;
  if (user == NULL)
    return 0;
  v = cJSON_GetObjectItemCaseSensitive (user, "uid");
  if (v && (!cJSON_IsNumber (v) || v->valuedouble < 0))
    return wharf_make_error (err, 0, "user.uid must be a non-negative integer");
  p->uid = v ? (uid_t) v->valuedouble : 0;
  v = cJSON_GetObjectItemCaseSensitive (user, "gid");
  if (v && (!cJSON_IsNumber (v) || v->valuedouble < 0))
    return wharf_make_error (err, 0, "user.gid must be a non-negative integer");
  p->gid = v ? (gid_t) v->valuedouble : 0;
  v = cJSON_GetObjectItemCaseSensitive (user, "umask");
  if (cJSON_IsNumber (v))
    {
      p->has_umask = true;
      p->umask = (mode_t) v->valuedouble & 0777;
    }
  v = cJSON_GetObjectItemCaseSensitive (user, "additionalGids");
  if (v == NULL)
    return 0;
  if (!cJSON_IsArray (v))
    return wharf_make_error (err, 0, "user.additionalGids must be an array");
  p->additional_gids = calloc ((size_t) cJSON_GetArraySize (v) + 1, sizeof (gid_t));
  if (p->additional_gids == NULL)
    return wharf_make_error (err, ENOMEM, "additionalGids");
  cJSON_ArrayForEach (it, v)
  {
    if (!cJSON_IsNumber (it) || it->valuedouble < 0)
      return wharf_make_error (err, 0, "user.additionalGids must hold non-negative integers");
    p->additional_gids[i++] = (gid_t) it->valuedouble;
  }
  p->n_additional_gids = i;
  return 0;
}

static int
parse_caps (const cJSON *caps, struct wharf_process *p, wharf_error_t *err)
{
  static const char *names[WHARF_CAP_SETS] = { "bounding", "effective", "inheritable", "permitted", "ambient" };
  if (caps == NULL)
    return 0;
  if (!cJSON_IsObject (caps))
    return wharf_make_error (err, 0, "capabilities must be an object");
  p->has_caps = true;
  for (int s = 0; s < WHARF_CAP_SETS; s++)
    if (wharf_caps_parse (cJSON_GetObjectItemCaseSensitive (caps, names[s]), &p->caps[s], err) < 0)
      return wharf_error_wrap (err, "capabilities.%s", names[s]);
  return 0;
}

int
wharf_process_parse (const cJSON *json, struct wharf_process *p, wharf_error_t *err)
{
  const cJSON *v;
  memset (p, 0, sizeof (*p));
  if (!cJSON_IsObject (json))
    return wharf_make_error (err, 0, "not an object");
  if (wharf_json_string_array (cJSON_GetObjectItemCaseSensitive (json, "args"), "args", &p->args, NULL, err) < 0
      || wharf_json_string_array (cJSON_GetObjectItemCaseSensitive (json, "env"), "env", &p->env, &p->n_env, err) < 0)
    return -1;
  v = cJSON_GetObjectItemCaseSensitive (json, "cwd");
  if (v != NULL && (!cJSON_IsString (v) || v->valuestring[0] != '/'))
    return wharf_make_error (err, 0, "cwd must be an absolute path");
  p->cwd = v ? v->valuestring : "/";
  p->terminal = cJSON_IsTrue (cJSON_GetObjectItemCaseSensitive (json, "terminal"));
  v = cJSON_GetObjectItemCaseSensitive (json, "consoleSize");
  if (cJSON_IsObject (v))
    {
      const cJSON *h = cJSON_GetObjectItemCaseSensitive (v, "height"), *w = cJSON_GetObjectItemCaseSensitive (v, "width");
      p->rows = cJSON_IsNumber (h) ? (unsigned short) h->valuedouble : 0;
      p->cols = cJSON_IsNumber (w) ? (unsigned short) w->valuedouble : 0;
    }
  p->no_new_privileges = cJSON_IsTrue (cJSON_GetObjectItemCaseSensitive (json, "noNewPrivileges"));
  v = cJSON_GetObjectItemCaseSensitive (json, "oomScoreAdj");
  if (v != NULL)
    {
      if (!cJSON_IsNumber (v) || v->valuedouble < -1000 || v->valuedouble > 1000)
        return wharf_make_error (err, 0, "oomScoreAdj must be between -1000 and 1000");
      p->has_oom_score_adj = true;
      p->oom_score_adj = (int) v->valuedouble;
    }
  if (parse_user (cJSON_GetObjectItemCaseSensitive (json, "user"), p, err) < 0
      || parse_caps (cJSON_GetObjectItemCaseSensitive (json, "capabilities"), p, err) < 0
      || parse_rlimits (cJSON_GetObjectItemCaseSensitive (json, "rlimits"), p, err) < 0)
    return -1;
  return 0;
}

void
wharf_process_free (struct wharf_process *p)
{
  free (p->args);
  free (p->env);
  free (p->additional_gids);
  free (p->rlimits);
  memset (p, 0, sizeof (*p));
}
