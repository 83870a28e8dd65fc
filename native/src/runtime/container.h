/* Creating a container: the runtime side (create.c) and the init side
 * (init.c) of one clone, plus what `run`, `start` and `delete` share
 * (lifecycle.c). */
#ifndef WHARF_RUNTIME_CONTAINER_H
#define WHARF_RUNTIME_CONTAINER_H

#include <stdbool.h>
#include <sys/types.h>

#include "cgroup/cgroup.h"
#include "common/error.h"
#include "runtime/seccomp.h"
#include "runtime/spec.h"
#include "runtime/state.h"

struct wharf_create_opts
{
  const char *root, *id, *bundle, *pid_file, *console_socket;
  bool no_pivot;
};

/* What the init needs; filled by the runtime before the clone. */
struct wharf_init_ctx
{
  struct wharf_spec *spec;
  struct wharf_cgroup *cg;
  const struct wharf_seccomp_prog *seccomp; /* compiled before the clone, or NULL */
  const char *id, *state_dir;
  int sync_fd;    /* the init's end */
  int fifo_fd;    /* O_PATH of exec.fifo */
  int console_fd; /* connected console socket or -1 */
  bool no_pivot, new_userns, join_userns, new_cgroupns;
  pid_t host_pid; /* sent by the runtime with GO: hooks want that one */
};

/* The init: never returns. */
__attribute__ ((noreturn)) void wharf_init_main (struct wharf_init_ctx *ctx);

/* A created container, as create leaves it (run continues from here). */
struct wharf_created
{
  struct wharf_spec spec;
  struct wharf_cgroup cg;
  char *state_dir;
  pid_t pid;     /* host pid of the init */
  bool is_child; /* the init is our child (run can wait for it) */
  unsigned long long start_time;
};

int wharf_container_create (const struct wharf_create_opts *o, struct wharf_created *c, wharf_error_t *err);
void wharf_created_free (struct wharf_created *c);

/* Releases a created container's init through exec.fifo, then runs the
 * poststart hooks. pidfd is the init's. */
int wharf_container_start (const char *state_dir, int pidfd, const struct wharf_spec *spec, const char *state_json,
                           wharf_error_t *err);

/* Forwards signals we get to pid (through its pidfd) until it exits;
 * returns its wait status. */
int wharf_wait_forwarding (pid_t pid, int pidfd, wharf_error_t *err);

/* Kills what is left (only with force, or when `created`), removes the
 * cgroup and the state, then runs the poststop hooks. */
int wharf_container_destroy (const char *state_dir, struct wharf_state *st, bool force, wharf_error_t *err);

/* The default device cgroup rules (null, zero, ..., pts) appended after
 * the config's own rules, plus one per linux.devices entry. */
int wharf_resources_add_default_devices (struct wharf_resources *r, const struct wharf_spec *spec, wharf_error_t *err);

#endif
