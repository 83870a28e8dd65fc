/* Command line parsing in runc's (urfave/cli) style: `--name value`,
 * `--name=value`, `-name value`, short `-x`; options stop at the first
 * argument that is not one, or at `--`. */
#ifndef WHARF_RUNTIME_CLI_H
#define WHARF_RUNTIME_CLI_H

#include <stdbool.h>
#include <stddef.h>

#include "common/error.h"

struct wharf_opt
{
  const char *name;  /* long name without dashes */
  char short_name;   /* 0 = none */
  const char **value; /* option with an argument (last one wins) */
  bool *flag;        /* boolean option */
  const char ***list; /* repeatable option with an argument */
  size_t *n_list;
};

struct wharf_globals
{
  const char *root, *log, *log_format;
};

/* Parses argv[0..argc) and returns the index of the first positional
 * argument. */
int wharf_parse_opts (int argc, char **argv, const struct wharf_opt *opts, wharf_error_t *err);

/* Verb entry points: return the exit code, or -1 with *err set. */
typedef int (*wharf_verb_fn) (struct wharf_globals *g, int argc, char **argv, wharf_error_t *err);

int wharf_cmd_create (struct wharf_globals *g, int argc, char **argv, wharf_error_t *err);
int wharf_cmd_start (struct wharf_globals *g, int argc, char **argv, wharf_error_t *err);
int wharf_cmd_state (struct wharf_globals *g, int argc, char **argv, wharf_error_t *err);
int wharf_cmd_kill (struct wharf_globals *g, int argc, char **argv, wharf_error_t *err);
int wharf_cmd_delete (struct wharf_globals *g, int argc, char **argv, wharf_error_t *err);
int wharf_cmd_run (struct wharf_globals *g, int argc, char **argv, wharf_error_t *err);
int wharf_cmd_exec (struct wharf_globals *g, int argc, char **argv, wharf_error_t *err);
int wharf_cmd_pause (struct wharf_globals *g, int argc, char **argv, wharf_error_t *err);
int wharf_cmd_resume (struct wharf_globals *g, int argc, char **argv, wharf_error_t *err);
int wharf_cmd_update (struct wharf_globals *g, int argc, char **argv, wharf_error_t *err);
int wharf_cmd_ps (struct wharf_globals *g, int argc, char **argv, wharf_error_t *err);
int wharf_cmd_list (struct wharf_globals *g, int argc, char **argv, wharf_error_t *err);
int wharf_cmd_spec (struct wharf_globals *g, int argc, char **argv, wharf_error_t *err);

/* Exactly one positional argument (the container id). */
int wharf_one_id (int argc, char **argv, int idx, const char *verb, const char **id, wharf_error_t *err);

#endif
