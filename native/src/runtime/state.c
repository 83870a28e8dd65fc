#include "runtime/state.h"

#include <cjson/cJSON.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "common/utils.h"

int
wharf_check_id (const char *id, wharf_error_t *err)
{
  size_t n = strlen (id);
  if (n == 0 || n > 1024 || strcmp (id, ".") == 0 || strcmp (id, "..") == 0)
    return wharf_make_error (err, 0, "invalid container id `%s`", id);
  for (size_t i = 0; i < n; i++)
    {
      char c = id[i];
      if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || strchr ("_.+-", c)))
        return wharf_make_error (err, 0, "invalid container id `%s`", id);
    }
  return 0;
}

int
wharf_state_dir (const char *root, const char *id, char **out, wharf_error_t *err)
{
  if (wharf_check_id (id, err) < 0)
    return -1;
  if (asprintf (out, "%s/%s", root, id) < 0)
    return wharf_make_error (err, ENOMEM, "state dir");
  return 0;
}

int
wharf_proc_stat (pid_t pid, unsigned long long *start_time, char *state)
{
  char path[64], buf[1024], *p;
  int fd, field;
  ssize_t n;
  snprintf (path, sizeof (path), "/proc/%d/stat", (int) pid);
  fd = open (path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return -1;
  n = read (fd, buf, sizeof (buf) - 1);
  close (fd);
  if (n <= 0)
    return -1;
  buf[n] = '\0';
  p = strrchr (buf, ')');
  if (p == NULL || p[1] != ' ')
    return -1;
  p += 2;
  if (state)
    *state = *p;
  /* p is at field 3; start time is field 22. */
  for (field = 3; field < 22 && p; field++)
    {
      p = strchr (p, ' ');
      if (p)
        p++;
    }
  if (p == NULL)
    return -1;
  *start_time = strtoull (p, NULL, 10);
  return 0;
}

int
wharf_state_pidfd (const struct wharf_state *st)
{
  unsigned long long t;
  char s;
  int fd;
  if (st->pid <= 0)
    return -1;
  fd = (int) syscall (SYS_pidfd_open, st->pid, 0);
  if (fd < 0)
    return -1;
  /* Checked after opening the pidfd: from here on the pid cannot be reused. */
  if (wharf_proc_stat (st->pid, &t, &s) < 0 || t != st->start_time || s == 'Z' || s == 'X')
    {
      close (fd);
      return -1;
    }
  return fd;
}

static char *
now_rfc3339 (void)
{
  struct timespec ts;
  struct tm tm;
  char buf[64], *out = NULL;
  clock_gettime (CLOCK_REALTIME, &ts);
  gmtime_r (&ts.tv_sec, &tm);
  strftime (buf, sizeof (buf), "%Y-%m-%dT%H:%M:%S", &tm);
  if (asprintf (&out, "%s.%09ldZ", buf, ts.tv_nsec) < 0)
    return NULL;
  return out;
}

cJSON *
wharf_state_new (const char *id, pid_t pid, unsigned long long start_time, const char *bundle, const char *rootfs,
                 const char *cgroup_path, const cJSON *config)
{
  cJSON *j = cJSON_CreateObject ();
  cleanup_free char *created = now_rfc3339 ();
  char st[32];
  snprintf (st, sizeof (st), "%llu", start_time);
  cJSON_AddStringToObject (j, "id", id);
  cJSON_AddNumberToObject (j, "pid", pid);
  cJSON_AddStringToObject (j, "startTime", st);
  cJSON_AddStringToObject (j, "bundle", bundle);
  cJSON_AddStringToObject (j, "rootfs", rootfs);
  cJSON_AddStringToObject (j, "created", created ? created : "");
  cJSON_AddStringToObject (j, "cgroupsPath", cgroup_path);
  cJSON_AddBoolToObject (j, "paused", 0);
  cJSON_AddItemReferenceToObject (j, "config", (cJSON *) config);
  return j;
}

int
wharf_state_save (const char *dir, cJSON *json, wharf_error_t *err)
{
  cleanup_free char *text = cJSON_PrintUnformatted (json);
  cleanup_free char *path = NULL, *tmp = NULL;
  cleanup_close int fd = -1;
  if (text == NULL || asprintf (&path, "%s/state.json", dir) < 0 || asprintf (&tmp, "%s/.state.json.tmp", dir) < 0)
    return wharf_make_error (err, ENOMEM, "save state");
  /* The state dir lives on tmpfs normally: no fsync on the hot path. */
  fd = open (tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0)
    return wharf_make_error (err, errno, "create `%s`", tmp);
  if (wharf_write_all (fd, text, strlen (text)) < 0)
    return wharf_make_error (err, errno, "write `%s`", tmp);
  if (rename (tmp, path) < 0)
    return wharf_make_error (err, errno, "rename `%s`", path);
  return 0;
}

static const char *
get_str (const cJSON *j, const char *k)
{
  const cJSON *v = cJSON_GetObjectItemCaseSensitive (j, k);
  return cJSON_IsString (v) ? v->valuestring : "";
}

int
wharf_state_load (const char *root, const char *id, struct wharf_state *st, wharf_error_t *err)
{
  cleanup_free char *dir = NULL, *path = NULL, *text = NULL;
  const cJSON *v;
  memset (st, 0, sizeof (*st));
  if (wharf_state_dir (root, id, &dir, err) < 0)
    return -1;
  if (asprintf (&path, "%s/state.json", dir) < 0)
    return wharf_make_error (err, ENOMEM, "state");
  if (wharf_read_file_at (AT_FDCWD, path, &text, NULL, err) < 0)
    {
      int e = (*err)->status;
      if (e == ENOENT)
        {
          struct stat sb;
          return wharf_make_error (err, 0, stat (dir, &sb) == 0 ? "container `%s` is still being created"
                                                                 : "container `%s` does not exist",
                                   id);
        }
      return -1;
    }
  st->json = cJSON_Parse (text);
  if (st->json == NULL)
    return wharf_make_error (err, 0, "state of `%s` is corrupt", id);
  st->id = get_str (st->json, "id");
  st->bundle = get_str (st->json, "bundle");
  st->rootfs = get_str (st->json, "rootfs");
  st->created = get_str (st->json, "created");
  st->cgroup_path = get_str (st->json, "cgroupsPath");
  v = cJSON_GetObjectItemCaseSensitive (st->json, "pid");
  st->pid = cJSON_IsNumber (v) ? (pid_t) v->valuedouble : 0;
  st->start_time = strtoull (get_str (st->json, "startTime"), NULL, 10);
  st->paused = cJSON_IsTrue (cJSON_GetObjectItemCaseSensitive (st->json, "paused"));
  st->config = cJSON_GetObjectItemCaseSensitive (st->json, "config");
  return 0;
}

void
wharf_state_free (struct wharf_state *st)
{
  cJSON_Delete (st->json);
  memset (st, 0, sizeof (*st));
}

const char *
wharf_state_status (const char *dir, const struct wharf_state *st)
{
  unsigned long long t;
  char s, fifo[4096];
  struct stat sb;
  if (st->pid <= 0)
    return "creating";
  if (wharf_proc_stat (st->pid, &t, &s) < 0 || t != st->start_time || s == 'Z' || s == 'X')
    return "stopped";
  snprintf (fifo, sizeof (fifo), "%s/exec.fifo", dir);
  if (lstat (fifo, &sb) == 0)
    return "created";
  return st->paused ? "paused" : "running";
}

char *
wharf_state_oci_json (const char *id, const char *status, pid_t pid, const char *bundle, const cJSON *annotations,
                      const char *rootfs, const char *created)
{
  cJSON *j = cJSON_CreateObject ();
  char *out;
  cJSON_AddStringToObject (j, "ociVersion", "1.2.0");
  cJSON_AddStringToObject (j, "id", id);
  cJSON_AddStringToObject (j, "status", status);
  cJSON_AddNumberToObject (j, "pid", strcmp (status, "stopped") == 0 ? 0 : pid);
  cJSON_AddStringToObject (j, "bundle", bundle);
  if (rootfs)
    cJSON_AddStringToObject (j, "rootfs", rootfs);
  if (created)
    cJSON_AddStringToObject (j, "created", created);
  cJSON_AddItemToObject (j, "annotations", annotations ? cJSON_Duplicate (annotations, 1) : cJSON_CreateObject ());
  out = cJSON_PrintUnformatted (j);
  cJSON_Delete (j);
  return out;
}

void
wharf_state_remove (const char *dir)
{
  DIR *d = opendir (dir);
  struct dirent *de;
  if (d != NULL)
    {
      while ((de = readdir (d)) != NULL)
        if (strcmp (de->d_name, ".") && strcmp (de->d_name, ".."))
          unlinkat (dirfd (d), de->d_name, 0);
      closedir (d);
    }
  rmdir (dir);
}
