/* config.json (OCI runtime spec 1.x) parsed into plain structs. Strings
 * point into the cJSON tree kept in wharf_spec.json; arrays are malloc'd.
 * Parsing validates what the runtime relies on, so a malformed or hostile
 * bundle is refused before anything is created. */
#ifndef WHARF_RUNTIME_SPEC_H
#define WHARF_RUNTIME_SPEC_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/error.h"

struct cJSON;

enum
{
  WHARF_CAP_BOUNDING,
  WHARF_CAP_EFFECTIVE,
  WHARF_CAP_INHERITABLE,
  WHARF_CAP_PERMITTED,
  WHARF_CAP_AMBIENT,
  WHARF_CAP_SETS
};

struct wharf_rlimit
{
  int resource;
  uint64_t soft, hard;
};

struct wharf_process
{
  char **args; /* NULL-terminated */
  char **env;  /* NULL-terminated, malloc'd array (strings may be malloc'd too) */
  size_t n_env;
  const char *cwd;
  bool terminal;
  unsigned short rows, cols;
  uid_t uid;
  gid_t gid;
  gid_t *additional_gids;
  size_t n_additional_gids;
  bool has_umask;
  mode_t umask;
  bool has_caps;
  uint64_t caps[WHARF_CAP_SETS];
  struct wharf_rlimit *rlimits;
  size_t n_rlimits;
  bool no_new_privileges;
  bool has_oom_score_adj;
  int oom_score_adj;
};

struct wharf_mount
{
  const char *destination, *type, *source;
  unsigned long flags;         /* MS_* from options */
  unsigned long propagation;   /* MS_PRIVATE|MS_REC etc., 0 = none */
  bool bind, recursive_bind;
  char *data; /* filesystem-specific options, comma separated */
};

enum
{
  WHARF_HOOK_PRESTART,
  WHARF_HOOK_CREATE_RUNTIME,
  WHARF_HOOK_CREATE_CONTAINER,
  WHARF_HOOK_START_CONTAINER,
  WHARF_HOOK_POSTSTART,
  WHARF_HOOK_POSTSTOP,
  WHARF_HOOK_KINDS
};

struct wharf_hook
{
  const char *path;
  char **args; /* NULL-terminated; may be {NULL} */
  char **env;
  int timeout; /* seconds, 0 = none */
};

struct wharf_hook_list
{
  struct wharf_hook *items;
  size_t n;
};

enum
{
  WHARF_NS_USER,
  WHARF_NS_MOUNT,
  WHARF_NS_PID,
  WHARF_NS_NET,
  WHARF_NS_IPC,
  WHARF_NS_UTS,
  WHARF_NS_CGROUP,
  WHARF_NS_TIME,
  WHARF_NS_KINDS
};

struct wharf_namespace
{
  bool present;
  const char *path; /* NULL = create a new one */
};

struct wharf_idmap
{
  uint32_t container, host, size;
};

struct wharf_device
{
  const char *path;
  char type; /* 'c', 'b', 'u' or 'p' */
  int64_t major, minor;
  bool has_mode, has_uid, has_gid;
  mode_t mode;
  uid_t uid;
  gid_t gid;
};

struct wharf_spec
{
  struct cJSON *json; /* owns every string below */
  const char *oci_version;
  char *bundle;    /* absolute */
  char *rootfs;    /* absolute */
  bool root_readonly;
  const char *hostname, *domainname;
  struct wharf_process process;
  bool has_process;
  struct wharf_mount *mounts;
  size_t n_mounts;
  struct wharf_hook_list hooks[WHARF_HOOK_KINDS];
  struct wharf_namespace ns[WHARF_NS_KINDS];
  struct wharf_idmap *uid_mappings, *gid_mappings;
  size_t n_uid_mappings, n_gid_mappings;
  struct wharf_device *devices;
  size_t n_devices;
  const char **masked_paths, **readonly_paths;
  size_t n_masked_paths, n_readonly_paths;
  const char **sysctl_keys, **sysctl_values;
  size_t n_sysctl;
  unsigned long rootfs_propagation; /* 0 = default (rslave) */
  const char *cgroups_path;
  const struct cJSON *resources; /* linux.resources or NULL */
  const struct cJSON *seccomp;   /* linux.seccomp or NULL */
  const struct cJSON *annotations;
};

/* Namespace name in config.json ("pid", "network", ...) and CLONE_* flag. */
const char *wharf_ns_name (int kind);
const char *wharf_ns_proc_name (int kind); /* name under /proc/PID/ns */
int wharf_ns_flag (int kind);

/* Reads and parses <bundle>/config.json. */
int wharf_spec_load (const char *bundle, struct wharf_spec *spec, wharf_error_t *err);
/* Parses an already loaded tree (json ownership moves into spec). */
int wharf_spec_parse (struct cJSON *json, const char *bundle, struct wharf_spec *spec, wharf_error_t *err);
void wharf_spec_free (struct wharf_spec *spec);

/* Parses a "process" object (also what `exec --process FILE` reads). */
int wharf_process_parse (const struct cJSON *json, struct wharf_process *p, wharf_error_t *err);
void wharf_process_free (struct wharf_process *p);

/* Mount options -> flags/propagation/data. */
int wharf_mount_options_parse (const struct cJSON *options, struct wharf_mount *m, wharf_error_t *err);

/* Helpers for the parsers. */
int wharf_json_string_array (const struct cJSON *arr, const char *what, char ***out, size_t *n,
                             wharf_error_t *err);
/* obj[key] when it is a string, else NULL. */
const char *wharf_json_opt_string (const struct cJSON *obj, const char *key);
/* obj[key] as a uint32: 1 when set, 0 when absent and not required, -1 on error. */
int wharf_json_u32 (const struct cJSON *obj, const char *key, uint32_t *out, bool required, const char *ctx,
                    wharf_error_t *err);

/* The "linux" object (spec_linux.c). */
int wharf_spec_parse_linux (const struct cJSON *lx, struct wharf_spec *spec, wharf_error_t *err);

#endif
