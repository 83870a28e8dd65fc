/* Mount options of config.json -> mount(2) flags, propagation and data. */
#include "runtime/spec.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>

#ifndef MS_NOSYMFOLLOW
#define MS_NOSYMFOLLOW 256
#endif

static const struct
{
  const char *name;
  bool clear;
  unsigned long flag;
} flag_table[] = {
  { "ro", false, MS_RDONLY },          { "rw", true, MS_RDONLY },
  { "nosuid", false, MS_NOSUID },      { "suid", true, MS_NOSUID },
  { "nodev", false, MS_NODEV },        { "dev", true, MS_NODEV },
  { "noexec", false, MS_NOEXEC },      { "exec", true, MS_NOEXEC },
  { "sync", false, MS_SYNCHRONOUS },   { "async", true, MS_SYNCHRONOUS },
  { "dirsync", false, MS_DIRSYNC },    { "remount", false, MS_REMOUNT },
  { "mand", false, MS_MANDLOCK },      { "nomand", true, MS_MANDLOCK },
  { "noatime", false, MS_NOATIME },    { "atime", true, MS_NOATIME },
  { "nodiratime", false, MS_NODIRATIME }, { "diratime", true, MS_NODIRATIME },
  { "relatime", false, MS_RELATIME },  { "norelatime", true, MS_RELATIME },
  { "strictatime", false, MS_STRICTATIME }, { "nostrictatime", true, MS_STRICTATIME },
  { "nosymfollow", false, MS_NOSYMFOLLOW }, { "defaults", false, 0 },
};

static const struct
{
  const char *name;
  unsigned long flags;
} propagation_table[] = {
  { "private", MS_PRIVATE },       { "rprivate", MS_PRIVATE | MS_REC }, { "shared", MS_SHARED },
  { "rshared", MS_SHARED | MS_REC }, { "slave", MS_SLAVE },           { "rslave", MS_SLAVE | MS_REC },
  { "unbindable", MS_UNBINDABLE }, { "runbindable", MS_UNBINDABLE | MS_REC },
};

static int
append_data (char **data, const char *opt)
{
  char *n;
  size_t old = *data ? strlen (*data) : 0, add = strlen (opt);
  n = realloc (*data, old + add + 2);
  if (n == NULL)
    return -1;
  if (old)
    n[old++] = ',';
  memcpy (n + old, opt, add + 1);
  *data = n;
  return 0;
}

int
wharf_mount_options_parse (const cJSON *options, struct wharf_mount *m, wharf_error_t *err)
{
  const cJSON *it;
  if (options == NULL)
    return 0;
  if (!cJSON_IsArray (options))
    return wharf_make_error (err, 0, "options must be an array of strings");
  cJSON_ArrayForEach (it, options)
  {
    const char *o;
    size_t i;
    bool done = false;
    if (!cJSON_IsString (it))
      return wharf_make_error (err, 0, "options must be an array of strings");
    o = it->valuestring;
    if (strcmp (o, "bind") == 0 || strcmp (o, "rbind") == 0)
      {
        m->bind = true;
        m->recursive_bind = o[0] == 'r';
        continue;
      }
    for (i = 0; i < sizeof (flag_table) / sizeof (flag_table[0]) && !done; i++)
      if (strcmp (o, flag_table[i].name) == 0)
        {
          if (flag_table[i].clear)
            m->flags &= ~flag_table[i].flag;
          else
            m->flags |= flag_table[i].flag;
          done = true;
        }
    for (i = 0; i < sizeof (propagation_table) / sizeof (propagation_table[0]) && !done; i++)
      if (strcmp (o, propagation_table[i].name) == 0)
        {
          m->propagation = propagation_table[i].flags;
          done = true;
        }
    /* Accepted but meaningless here. */
    if (!done && (strcmp (o, "tmpcopyup") == 0 || strcmp (o, "rro") == 0))
      done = true;
    if (!done && append_data (&m->data, o) < 0)
      return wharf_make_error (err, ENOMEM, "mount options");
  }
  return 0;
}
