/* cgroup v2 has no devices.allow/deny files: access to device nodes is
 * decided by an eBPF program of type BPF_PROG_TYPE_CGROUP_DEVICE attached
 * to the cgroup (BPF_CGROUP_DEVICE). The program sees
 * struct bpf_cgroup_dev_ctx { access_type = ACC << 16 | TYPE, major, minor }
 * and returns 1 to allow, 0 to deny.
 *
 * Rules keep their v1 meaning: a type-'a' rule resets the default (deny all
 * / allow all) and drops the rules before it; later rules are exceptions,
 * the last one matching wins. An allow rule matches when every requested
 * access is in its access set; a deny rule when any requested access is.
 * With no 'a' rule the default is allow, as a fresh v1 devices cgroup
 * inherits the root's "a *:* rwm".
 *
 * Updating attaches the new program first (BPF_F_ALLOW_MULTI: every
 * program attached must allow) and then detaches the older ones, so there
 * is no window without a filter.
 *
 * Test trees ($WHARF_CGROUP_ROOT pointing at a plain directory) cannot hold
 * a program: there the program is still built and loaded (so the verifier
 * checks it) but not attached. */
#include "cgroup/cgroup-internal.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <linux/magic.h>
#include <sys/syscall.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "common/utils.h"

#define MAX_INSNS 4096

struct prog
{
  struct bpf_insn insns[MAX_INSNS];
  size_t n;
};

static void
emit (struct prog *p, struct bpf_insn insn)
{
  if (p->n < MAX_INSNS)
    p->insns[p->n] = insn;
  p->n++;
}

#define INSN(CODE, DST, SRC, OFF, IMM)                                                                                \
  ((struct bpf_insn){ .code = (CODE), .dst_reg = (DST), .src_reg = (SRC), .off = (OFF), .imm = (IMM) })

/* r1 = ctx. Loads r2 = type, r3 = access, r4 = major, r5 = minor. */
static void
emit_prologue (struct prog *p)
{
  emit (p, INSN (BPF_LDX | BPF_MEM | BPF_W, BPF_REG_2, BPF_REG_1, offsetof (struct bpf_cgroup_dev_ctx, access_type), 0));
  emit (p, INSN (BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_3, BPF_REG_2, 0, 0));
  emit (p, INSN (BPF_ALU64 | BPF_AND | BPF_K, BPF_REG_2, 0, 0, 0xffff));
  emit (p, INSN (BPF_ALU64 | BPF_RSH | BPF_K, BPF_REG_3, 0, 0, 16));
  emit (p, INSN (BPF_LDX | BPF_MEM | BPF_W, BPF_REG_4, BPF_REG_1, offsetof (struct bpf_cgroup_dev_ctx, major), 0));
  emit (p, INSN (BPF_LDX | BPF_MEM | BPF_W, BPF_REG_5, BPF_REG_1, offsetof (struct bpf_cgroup_dev_ctx, minor), 0));
}

static void
emit_return (struct prog *p, int value)
{
  emit (p, INSN (BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, value));
  emit (p, INSN (BPF_JMP | BPF_EXIT, 0, 0, 0, 0));
}

static int
access_mask (const char *access)
{
  int m = 0;
  for (const char *c = access; *c; c++)
    m |= *c == 'm' ? BPF_DEVCG_ACC_MKNOD : *c == 'r' ? BPF_DEVCG_ACC_READ : *c == 'w' ? BPF_DEVCG_ACC_WRITE : 0;
  return m;
}

/* One rule: every check jumps to the end of the block when it fails. */
static void
emit_rule (struct prog *p, const struct wharf_device_rule *d)
{
  size_t jumps[4], nj = 0;
  int mask = access_mask (d->access);
  const int all = BPF_DEVCG_ACC_MKNOD | BPF_DEVCG_ACC_READ | BPF_DEVCG_ACC_WRITE;
  jumps[nj++] = p->n;
  emit (p, INSN (BPF_JMP | BPF_JNE | BPF_K, BPF_REG_2, 0, 0, d->type == 'b' ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR));
  if (d->allow && mask != all)
    {
      /* requested & ~mask must be 0 */
      emit (p, INSN (BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_6, BPF_REG_3, 0, 0));
      emit (p, INSN (BPF_ALU64 | BPF_AND | BPF_K, BPF_REG_6, 0, 0, ~mask & all));
      jumps[nj++] = p->n;
      emit (p, INSN (BPF_JMP | BPF_JNE | BPF_K, BPF_REG_6, 0, 0, 0));
    }
  else if (!d->allow && mask != all)
    {
      /* requested & mask must be non-zero */
      emit (p, INSN (BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_6, BPF_REG_3, 0, 0));
      emit (p, INSN (BPF_ALU64 | BPF_AND | BPF_K, BPF_REG_6, 0, 0, mask));
      jumps[nj++] = p->n;
      emit (p, INSN (BPF_JMP | BPF_JEQ | BPF_K, BPF_REG_6, 0, 0, 0));
    }
  if (d->major >= 0)
    {
      jumps[nj++] = p->n;
      emit (p, INSN (BPF_JMP | BPF_JNE | BPF_K, BPF_REG_4, 0, 0, (int32_t) d->major));
    }
  if (d->minor >= 0)
    {
      jumps[nj++] = p->n;
      emit (p, INSN (BPF_JMP | BPF_JNE | BPF_K, BPF_REG_5, 0, 0, (int32_t) d->minor));
    }
  emit_return (p, d->allow ? 1 : 0);
  for (size_t i = 0; i < nj && p->n <= MAX_INSNS; i++)
    p->insns[jumps[i]].off = (int16_t) (p->n - jumps[i] - 1);
}

static int
build (struct prog *p, const struct wharf_device_rule *rules, size_t n, wharf_error_t *err)
{
  size_t first = 0;
  bool def = true;
  for (size_t i = 0; i < n; i++)
    if (rules[i].type == 'a')
      {
        first = i + 1;
        def = rules[i].allow;
      }
  p->n = 0;
  emit_prologue (p);
  for (size_t i = n; i > first; i--)
    {
      const struct wharf_device_rule *d = &rules[i - 1];
      if ((d->major > INT32_MAX) || (d->minor > INT32_MAX))
        return wharf_make_error (err, EINVAL, "device number out of range in rule %zu", i - 1);
      if (d->allow == def && (d->major < 0 && d->minor < 0 && !strcmp (d->access, "rwm")))
        continue; /* same as the default */
      emit_rule (p, d);
    }
  emit_return (p, def ? 1 : 0);
  if (p->n > MAX_INSNS)
    return wharf_make_error (err, E2BIG, "too many device rules for one eBPF program");
  return 0;
}

static int
bpf (int cmd, union bpf_attr *attr)
{
  return (int) syscall (__NR_bpf, cmd, attr, sizeof (*attr));
}

static int
load (const struct prog *p, wharf_error_t *err)
{
  static char log[8192];
  union bpf_attr attr;
  int fd;
  memset (&attr, 0, sizeof (attr));
  attr.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
  attr.insns = (uint64_t) (uintptr_t) p->insns;
  attr.insn_cnt = (uint32_t) p->n;
  attr.license = (uint64_t) (uintptr_t) "Apache-2.0";
  attr.log_buf = (uint64_t) (uintptr_t) log;
  attr.log_size = sizeof (log);
  attr.log_level = 1;
  log[0] = '\0';
  fd = bpf (BPF_PROG_LOAD, &attr);
  if (fd < 0 && errno == ENOSPC)
    {
      /* The verifier log did not fit: retry without it. */
      attr.log_buf = 0;
      attr.log_size = 0;
      attr.log_level = 0;
      fd = bpf (BPF_PROG_LOAD, &attr);
    }
  if (fd < 0)
    return wharf_make_error (err, errno, "load the device eBPF program%s%.200s", log[0] ? ": " : "", log);
  return fd;
}

/* Ids of the device programs attached to cgfd right now. */
static int
query (int cgfd, uint32_t *ids, uint32_t *n, wharf_error_t *err)
{
  union bpf_attr attr;
  memset (&attr, 0, sizeof (attr));
  attr.query.target_fd = (uint32_t) cgfd;
  attr.query.attach_type = BPF_CGROUP_DEVICE;
  attr.query.prog_ids = (uint64_t) (uintptr_t) ids;
  attr.query.prog_cnt = *n;
  if (bpf (BPF_PROG_QUERY, &attr) < 0)
    return wharf_make_error (err, errno, "query the cgroup's device programs");
  *n = attr.query.prog_cnt;
  return 0;
}

static int
detach_id (int cgfd, uint32_t id, wharf_error_t *err)
{
  union bpf_attr attr;
  cleanup_close int fd = -1;
  memset (&attr, 0, sizeof (attr));
  attr.prog_id = id;
  fd = bpf (BPF_PROG_GET_FD_BY_ID, &attr);
  if (fd < 0)
    return errno == ENOENT ? 0 : wharf_make_error (err, errno, "open device program %u", id);
  memset (&attr, 0, sizeof (attr));
  attr.target_fd = (uint32_t) cgfd;
  attr.attach_bpf_fd = (uint32_t) fd;
  attr.attach_type = BPF_CGROUP_DEVICE;
  if (bpf (BPF_PROG_DETACH, &attr) < 0 && errno != ENOENT)
    return wharf_make_error (err, errno, "detach device program %u", id);
  return 0;
}

int
wharf_cgroup_v2_apply_devices (const char *dir, const struct wharf_device_rule *rules, size_t n,
                               wharf_error_t *err)
{
  cleanup_free struct prog *p = calloc (1, sizeof (*p));
  cleanup_close int cgfd = -1, progfd = -1;
  uint32_t old[64], nold = 64;
  union bpf_attr attr;
  if (p == NULL)
    return wharf_make_error (err, ENOMEM, "device program");
  if (build (p, rules, n, err) < 0)
    return -1;
  cgfd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (cgfd < 0)
    return wharf_make_error (err, errno, "open `%s`", dir);
  progfd = load (p, err);
  if (progfd < 0)
    return -1;
  if (getenv ("WHARF_CGROUP_ROOT") != NULL)
    {
      struct statfs sfs;
      if (fstatfs (cgfd, &sfs) == 0 && sfs.f_type != CGROUP2_SUPER_MAGIC)
        return 0; /* a test tree, see above */
    }
  if (query (cgfd, old, &nold, err) < 0)
    return -1;
  if (nold > 64)
    nold = 64;
  memset (&attr, 0, sizeof (attr));
  attr.target_fd = (uint32_t) cgfd;
  attr.attach_bpf_fd = (uint32_t) progfd;
  attr.attach_type = BPF_CGROUP_DEVICE;
  attr.attach_flags = BPF_F_ALLOW_MULTI;
  if (bpf (BPF_PROG_ATTACH, &attr) < 0)
    return wharf_make_error (err, errno, "attach the device program to `%s`", dir);
  for (uint32_t i = 0; i < nold; i++)
    if (detach_id (cgfd, old[i], err) < 0)
      return -1;
  return 0;
}
