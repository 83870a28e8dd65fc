/* wharf-shim's command line (native/README.md, "wharf-shim"):
 *
 *   wharf-shim --id ID --runtime PATH --runtime-root DIR --bundle DIR
 *              --state-dir DIR [--log-path FILE] [--terminal] [--stdin]
 *              [--exec-process FILE] [--sync-fd N]
 *
 * Relative paths are made absolute before the shim daemonizes (it then
 * runs with its state dir as working directory). */
#ifndef WHARF_SHIM_OPTIONS_H
#define WHARF_SHIM_OPTIONS_H

#include <stdbool.h>

#include "common/error.h"

struct shim_options
{
  char *id;
  char *runtime;
  char *runtime_root;
  char *bundle;
  char *state_dir;
  char *log_path;     /* NULL: no json-file log (exec sessions) */
  char *exec_process; /* NULL: create the container */
  bool terminal;
  bool stdin_open;
  int sync_fd; /* -1 when not given */
};

int shim_options_parse (struct shim_options *o, int argc, char **argv, wharf_error_t *err);
void shim_options_free (struct shim_options *o);

#endif
