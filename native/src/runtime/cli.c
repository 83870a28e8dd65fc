#include "runtime/cli.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static const struct wharf_opt *
find (const struct wharf_opt *opts, const char *name, size_t len, char short_name)
{
  for (const struct wharf_opt *o = opts; o->name; o++)
    {
      if (short_name && o->short_name == short_name)
        return o;
      if (!short_name && strlen (o->name) == len && strncmp (o->name, name, len) == 0)
        return o;
    }
  return NULL;
}

static int
store (const struct wharf_opt *o, const char *value, wharf_error_t *err)
{
  if (o->value)
    *o->value = value;
  else if (o->list)
    {
      const char **n = realloc (*o->list, (*o->n_list + 2) * sizeof (char *));
      if (n == NULL)
        return wharf_make_error (err, ENOMEM, "options");
      n[(*o->n_list)++] = value;
      n[*o->n_list] = NULL;
      *o->list = n;
    }
  return 0;
}

int
wharf_parse_opts (int argc, char **argv, const struct wharf_opt *opts, wharf_error_t *err)
{
  int i = 0;
  while (i < argc)
    {
      const char *a = argv[i], *name, *eq;
      const struct wharf_opt *o;
      size_t len;
      if (strcmp (a, "--") == 0)
        return i + 1;
      if (a[0] != '-' || a[1] == '\0')
        return i;
      name = a + (a[1] == '-' ? 2 : 1);
      eq = strchr (name, '=');
      len = eq ? (size_t) (eq - name) : strlen (name);
      o = find (opts, name, len, 0);
      if (o == NULL && a[1] != '-' && len == 1)
        o = find (opts, NULL, 0, name[0]);
      if (o == NULL)
        return wharf_make_error (err, 0, "unknown option `%s`", a);
      i++;
      if (o->flag)
        {
          *o->flag = eq ? strcmp (eq + 1, "false") != 0 : true;
          continue;
        }
      if (eq)
        {
          if (store (o, eq + 1, err) < 0)
            return -1;
          continue;
        }
      if (i >= argc)
        return wharf_make_error (err, 0, "option `%s` needs a value", a);
      if (store (o, argv[i++], err) < 0)
        return -1;
    }
  return i;
}

int
wharf_one_id (int argc, char **argv, int idx, const char *verb, const char **id, wharf_error_t *err)
{
  if (idx >= argc)
    return wharf_make_error (err, 0, "%s: missing container id", verb);
  if (argc - idx > 1)
    return wharf_make_error (err, 0, "%s: too many arguments", verb);
  *id = argv[idx];
  return 0;
}
