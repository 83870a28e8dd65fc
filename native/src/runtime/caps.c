#include "runtime/caps.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <grp.h>
#include <linux/capability.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

static const char *const cap_names[] = {
  "CHOWN",           "DAC_OVERRIDE",   "DAC_READ_SEARCH", "FOWNER",          "FSETID",
  "KILL",            "SETGID",         "SETUID",          "SETPCAP",         "LINUX_IMMUTABLE",
  "NET_BIND_SERVICE", "NET_BROADCAST", "NET_ADMIN",       "NET_RAW",         "IPC_LOCK",
  "IPC_OWNER",       "SYS_MODULE",     "SYS_RAWIO",       "SYS_CHROOT",      "SYS_PTRACE",
  "SYS_PACCT",       "SYS_ADMIN",      "SYS_BOOT",        "SYS_NICE",        "SYS_RESOURCE",
  "SYS_TIME",        "SYS_TTY_CONFIG", "MKNOD",           "LEASE",           "AUDIT_WRITE",
  "AUDIT_CONTROL",   "SETFCAP",        "MAC_OVERRIDE",    "MAC_ADMIN",       "SYSLOG",
  "WAKE_ALARM",      "BLOCK_SUSPEND",  "AUDIT_READ",      "PERFMON",         "BPF",
  "CHECKPOINT_RESTORE",
};
#define N_CAPS ((int) (sizeof (cap_names) / sizeof (cap_names[0])))

int
wharf_cap_from_name (const char *name)
{
  if (strncasecmp (name, "CAP_", 4) == 0)
    name += 4;
  for (int i = 0; i < N_CAPS; i++)
    if (strcasecmp (name, cap_names[i]) == 0)
      return i;
  return -1;
}

int
wharf_caps_parse (const cJSON *arr, uint64_t *mask, wharf_error_t *err)
{
  const cJSON *it;
  *mask = 0;
  if (arr == NULL)
    return 0;
  if (!cJSON_IsArray (arr))
    return wharf_make_error (err, 0, "capabilities must be arrays of names");
  cJSON_ArrayForEach (it, arr)
  {
    int c;
    if (!cJSON_IsString (it))
      return wharf_make_error (err, 0, "capabilities must be arrays of names");
    c = wharf_cap_from_name (it->valuestring);
    if (c >= 0)
      *mask |= 1ULL << c;
  }
  return 0;
}

static int
last_cap (void)
{
  int c = N_CAPS - 1;
  /* The kernel may know fewer (or more) than this table. */
  while (c > 0 && prctl (PR_CAPBSET_READ, c, 0, 0, 0) < 0)
    c--;
  while (c < 63 && prctl (PR_CAPBSET_READ, c + 1, 0, 0, 0) >= 0)
    c++;
  return c;
}

int
wharf_caps_apply_with_user (const struct wharf_process *p, wharf_error_t *err)
{
  struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
  struct __user_cap_data_struct data[2];
  int last = last_cap ();
  uint64_t all = last >= 63 ? ~0ULL : ((1ULL << (last + 1)) - 1);
  uint64_t caps[WHARF_CAP_SETS];

  for (int s = 0; s < WHARF_CAP_SETS; s++)
    caps[s] = p->has_caps ? (p->caps[s] & all) : 0;

  if (prctl (PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
    return wharf_make_error (err, errno, "prctl PR_SET_KEEPCAPS");
  for (int c = 0; c <= last; c++)
    if (!(caps[WHARF_CAP_BOUNDING] & (1ULL << c)) && prctl (PR_CAPBSET_DROP, c, 0, 0, 0) < 0 && errno != EINVAL)
      return wharf_make_error (err, errno, "drop capability %d from the bounding set", c);

  if (setgroups (p->n_additional_gids, p->additional_gids) < 0 && !(errno == EPERM && p->n_additional_gids == 0))
    return wharf_make_error (err, errno, "setgroups");
  if (setresgid (p->gid, p->gid, p->gid) < 0)
    return wharf_make_error (err, errno, "setresgid %u", (unsigned) p->gid);
  if (setresuid (p->uid, p->uid, p->uid) < 0)
    return wharf_make_error (err, errno, "setresuid %u", (unsigned) p->uid);

  memset (data, 0, sizeof (data));
  data[0].effective = (uint32_t) caps[WHARF_CAP_EFFECTIVE];
  data[1].effective = (uint32_t) (caps[WHARF_CAP_EFFECTIVE] >> 32);
  data[0].permitted = (uint32_t) caps[WHARF_CAP_PERMITTED];
  data[1].permitted = (uint32_t) (caps[WHARF_CAP_PERMITTED] >> 32);
  data[0].inheritable = (uint32_t) caps[WHARF_CAP_INHERITABLE];
  data[1].inheritable = (uint32_t) (caps[WHARF_CAP_INHERITABLE] >> 32);
  if (syscall (SYS_capset, &hdr, data) < 0)
    return wharf_make_error (err, errno, "capset");

  if (prctl (PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
    return wharf_make_error (err, errno, "clear ambient capabilities");
  for (int c = 0; c <= last; c++)
    if (caps[WHARF_CAP_AMBIENT] & (1ULL << c))
      /* Like runc: a cap missing from permitted or inheritable simply
         stays out of the ambient set. */
      (void) prctl (PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, c, 0, 0);
  if (prctl (PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0)
    return wharf_make_error (err, errno, "prctl PR_SET_KEEPCAPS");
  return 0;
}
