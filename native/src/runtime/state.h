/* Container state on disk: <root>/<id>/state.json (written atomically by
 * create, updated by pause/resume) next to exec.fifo while the container
 * is `created`. The status is derived from the init process, never stored:
 * an init that died (or a pid reused by another process, detected by its
 * start time) is `stopped`. */
#ifndef WHARF_RUNTIME_STATE_H
#define WHARF_RUNTIME_STATE_H

#include <stdbool.h>
#include <sys/types.h>

#include "common/error.h"

struct cJSON;

struct wharf_state
{
  struct cJSON *json; /* state.json tree (owns the strings below) */
  const char *id, *bundle, *rootfs, *created, *cgroup_path;
  pid_t pid;
  unsigned long long start_time;
  bool paused;
  struct cJSON *config; /* the container's config.json, as created */
};

int wharf_state_dir (const char *root, const char *id, char **out, wharf_error_t *err);
int wharf_check_id (const char *id, wharf_error_t *err);

/* Builds the state.json tree for a new container (takes no ownership). */
struct cJSON *wharf_state_new (const char *id, pid_t pid, unsigned long long start_time, const char *bundle,
                               const char *rootfs, const char *cgroup_path, const struct cJSON *config);
int wharf_state_save (const char *dir, struct cJSON *json, wharf_error_t *err);
/* Fails with "container `id` does not exist" when missing. */
int wharf_state_load (const char *root, const char *id, struct wharf_state *st, wharf_error_t *err);
void wharf_state_free (struct wharf_state *st);

/* "creating", "created", "running", "paused" or "stopped". */
const char *wharf_state_status (const char *dir, const struct wharf_state *st);
/* The OCI state JSON (malloc'd string). */
char *wharf_state_oci_json (const char *id, const char *status, pid_t pid, const char *bundle,
                            const struct cJSON *annotations, const char *rootfs, const char *created);

/* Start time (field 22 of /proc/PID/stat); state letter in *state. */
int wharf_proc_stat (pid_t pid, unsigned long long *start_time, char *state);
/* A pidfd for st->pid when it is still the container's init, else -1. */
int wharf_state_pidfd (const struct wharf_state *st);

/* Removes the state dir and its files. */
void wharf_state_remove (const char *dir);

#endif
