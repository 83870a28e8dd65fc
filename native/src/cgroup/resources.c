/* Parses OCI linux.resources (config.json, and the file `update --resources`
 * reads) into struct wharf_resources. Unknown fields are ignored; fields of
 * the wrong type are errors. */
#include "cgroup/cgroup.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

static const cJSON *
field (const cJSON *obj, const char *name)
{
  const cJSON *v = cJSON_GetObjectItemCaseSensitive (obj, name);
  return (v == NULL || cJSON_IsNull (v)) ? NULL : v;
}

static int
get_int (const cJSON *obj, const char *name, bool *has, int64_t *out, wharf_error_t *err)
{
  const cJSON *v = field (obj, name);
  if (v == NULL)
    return 0;
  if (!cJSON_IsNumber (v))
    return wharf_make_error (err, EINVAL, "linux.resources: `%s` must be a number", name);
  if (v->valuedouble >= 9.2233720368547758e18)
    *out = INT64_MAX;
  else if (v->valuedouble <= -9.2233720368547758e18)
    *out = INT64_MIN;
  else
    *out = (int64_t) v->valuedouble;
  if (has)
    *has = true;
  return 0;
}

static int
get_uint (const cJSON *obj, const char *name, bool *has, uint64_t *out, wharf_error_t *err)
{
  int64_t v = 0;
  bool h = false;
  if (get_int (obj, name, &h, &v, err) < 0)
    return -1;
  if (!h)
    return 0;
  if (v < 0)
    return wharf_make_error (err, EINVAL, "linux.resources: `%s` must not be negative", name);
  *out = (uint64_t) v;
  if (has)
    *has = true;
  return 0;
}

static int
get_string (const cJSON *obj, const char *name, char **out, wharf_error_t *err)
{
  const cJSON *v = field (obj, name);
  if (v == NULL)
    return 0;
  if (!cJSON_IsString (v))
    return wharf_make_error (err, EINVAL, "linux.resources: `%s` must be a string", name);
  free (*out);
  *out = strdup (v->valuestring);
  if (*out == NULL)
    return wharf_make_error (err, ENOMEM, "linux.resources");
  return 0;
}

static int
parse_devices_list (const cJSON *obj, const char *name, bool weight, struct wharf_blkio_device **out,
                    size_t *n, wharf_error_t *err)
{
  const cJSON *arr = field (obj, name), *it;
  size_t i = 0;
  if (arr == NULL)
    return 0;
  if (!cJSON_IsArray (arr))
    return wharf_make_error (err, EINVAL, "linux.resources.blockIO: `%s` must be an array", name);
  *out = calloc ((size_t) cJSON_GetArraySize (arr) + 1, sizeof (**out));
  if (*out == NULL)
    return wharf_make_error (err, ENOMEM, "linux.resources");
  cJSON_ArrayForEach (it, arr)
  {
    struct wharf_blkio_device *d = &(*out)[i];
    bool hmaj = false, hmin = false, hval = false;
    int64_t val = 0;
    if (get_int (it, "major", &hmaj, &d->major, err) < 0 || get_int (it, "minor", &hmin, &d->minor, err) < 0
        || get_int (it, weight ? "weight" : "rate", &hval, &val, err) < 0)
      return wharf_error_wrap (err, "blockIO.%s", name);
    if (!hmaj || !hmin || d->major < 0 || d->minor < 0)
      return wharf_make_error (err, EINVAL, "linux.resources.blockIO.%s: entry needs major and minor", name);
    if (!hval || val < 0)
      continue; /* weightDevice may carry only leafWeight: nothing to set */
    if (weight)
      d->weight = (uint16_t) val;
    else
      d->rate = (uint64_t) val;
    i++;
  }
  *n = i;
  return 0;
}

static int
parse_device_rules (const cJSON *arr, struct wharf_resources *r, wharf_error_t *err)
{
  const cJSON *it;
  if (!cJSON_IsArray (arr))
    return wharf_make_error (err, EINVAL, "linux.resources: `devices` must be an array");
  r->devices = calloc ((size_t) cJSON_GetArraySize (arr) + 1, sizeof (*r->devices));
  if (r->devices == NULL)
    return wharf_make_error (err, ENOMEM, "linux.resources");
  cJSON_ArrayForEach (it, arr)
  {
    struct wharf_device_rule *d = &r->devices[r->n_devices];
    const cJSON *allow = field (it, "allow"), *type = field (it, "type"), *access = field (it, "access");
    bool h = false;
    if (!cJSON_IsBool (allow))
      return wharf_make_error (err, EINVAL, "linux.resources.devices: `allow` must be a boolean");
    d->allow = cJSON_IsTrue (allow);
    d->type = 'a';
    if (type != NULL)
      {
        if (!cJSON_IsString (type) || strlen (type->valuestring) != 1 || strchr ("acb", type->valuestring[0]) == NULL)
          return wharf_make_error (err, EINVAL, "linux.resources.devices: `type` must be a, c or b");
        d->type = type->valuestring[0];
      }
    d->major = d->minor = -1;
    if (get_int (it, "major", &h, &d->major, err) < 0 || get_int (it, "minor", &h, &d->minor, err) < 0)
      return wharf_error_wrap (err, "devices");
    strcpy (d->access, "rwm");
    if (access != NULL)
      {
        const char *a = cJSON_IsString (access) ? access->valuestring : NULL;
        if (a == NULL || strlen (a) > 3 || strspn (a, "rwm") != strlen (a))
          return wharf_make_error (err, EINVAL, "linux.resources.devices: `access` must be a subset of rwm");
        if (*a)
          strcpy (d->access, a);
      }
    r->n_devices++;
  }
  return 0;
}

static int
parse (const cJSON *json, struct wharf_resources *r, wharf_error_t *err)
{
  const cJSON *mem = field (json, "memory"), *cpu = field (json, "cpu"), *pids = field (json, "pids");
  const cJSON *bio = field (json, "blockIO"), *dev = field (json, "devices");
  if (mem && (get_int (mem, "limit", &r->has_memory_limit, &r->memory_limit, err) < 0
              || get_int (mem, "reservation", &r->has_memory_reservation, &r->memory_reservation, err) < 0
              || get_int (mem, "swap", &r->has_memory_swap, &r->memory_swap, err) < 0
              || get_uint (mem, "swappiness", &r->has_memory_swappiness, &r->memory_swappiness, err) < 0))
    return -1;
  /* As in runc, 0 means "not set" for these (-1 is unlimited). */
  if (r->has_memory_limit && r->memory_limit == 0)
    r->has_memory_limit = false;
  if (r->has_memory_swap && r->memory_swap == 0)
    r->has_memory_swap = false;
  if (r->has_memory_reservation && r->memory_reservation == 0)
    r->has_memory_reservation = false;
  if (cpu && (get_uint (cpu, "shares", &r->has_cpu_shares, &r->cpu_shares, err) < 0
              || get_int (cpu, "quota", &r->has_cpu_quota, &r->cpu_quota, err) < 0
              || get_uint (cpu, "period", &r->has_cpu_period, &r->cpu_period, err) < 0
              || get_string (cpu, "cpus", &r->cpuset_cpus, err) < 0
              || get_string (cpu, "mems", &r->cpuset_mems, err) < 0))
    return -1;
  if (pids && get_int (pids, "limit", &r->has_pids_limit, &r->pids_limit, err) < 0)
    return -1;
  if (bio)
    {
      int64_t w = 0;
      if (get_int (bio, "weight", &r->has_blkio_weight, &w, err) < 0)
        return -1;
      if (r->has_blkio_weight && w == 0)
        r->has_blkio_weight = false;
      else if (r->has_blkio_weight && (w < 10 || w > 1000))
        return wharf_make_error (err, EINVAL, "linux.resources.blockIO.weight %lld out of range 10-1000",
                                 (long long) w);
      r->blkio_weight = (uint16_t) w;
      if (parse_devices_list (bio, "weightDevice", true, &r->weight_device, &r->n_weight_device, err) < 0
          || parse_devices_list (bio, "throttleReadBpsDevice", false, &r->throttle_read_bps,
                                 &r->n_throttle_read_bps, err) < 0
          || parse_devices_list (bio, "throttleWriteBpsDevice", false, &r->throttle_write_bps,
                                 &r->n_throttle_write_bps, err) < 0
          || parse_devices_list (bio, "throttleReadIOPSDevice", false, &r->throttle_read_iops,
                                 &r->n_throttle_read_iops, err) < 0
          || parse_devices_list (bio, "throttleWriteIOPSDevice", false, &r->throttle_write_iops,
                                 &r->n_throttle_write_iops, err) < 0)
        return -1;
    }
  if (dev && parse_device_rules (dev, r, err) < 0)
    return -1;
  return 0;
}

int
wharf_resources_parse (const cJSON *json, struct wharf_resources *out, wharf_error_t *err)
{
  memset (out, 0, sizeof (*out));
  if (json == NULL || cJSON_IsNull (json))
    return 0;
  if (!cJSON_IsObject (json))
    return wharf_make_error (err, EINVAL, "linux.resources must be an object");
  if (parse (json, out, err) < 0)
    {
      wharf_resources_free (out);
      return -1;
    }
  return 0;
}

void
wharf_resources_free (struct wharf_resources *r)
{
  if (r == NULL)
    return;
  free (r->cpuset_cpus);
  free (r->cpuset_mems);
  free (r->weight_device);
  free (r->throttle_read_bps);
  free (r->throttle_write_bps);
  free (r->throttle_read_iops);
  free (r->throttle_write_iops);
  free (r->devices);
  memset (r, 0, sizeof (*r));
}
