#include "untar/extract.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/utils.h"
#include "untar/whiteout.h"

#define EXTRACT_FLAGS                                                                                          \
  (ARCHIVE_EXTRACT_OWNER | ARCHIVE_EXTRACT_PERM | ARCHIVE_EXTRACT_TIME | ARCHIVE_EXTRACT_XATTR                 \
   | ARCHIVE_EXTRACT_SECURE_NODOTDOT | ARCHIVE_EXTRACT_SECURE_SYMLINKS | ARCHIVE_EXTRACT_SECURE_NOABSOLUTEPATHS \
   | ARCHIVE_EXTRACT_SPARSE)

static void
cleanup_read_archive (struct archive **a)
{
  if (*a)
    archive_read_free (*a);
}

static void
cleanup_write_archive (struct archive **a)
{
  if (*a)
    archive_write_free (*a);
}

#define cleanup_read __attribute__ ((cleanup (cleanup_read_archive)))
#define cleanup_write __attribute__ ((cleanup (cleanup_write_archive)))

/* Metadata of the "./" member, applied to the layer root at the end. */
struct root_meta
{
  bool set;
  mode_t mode;
  uid_t uid;
  gid_t gid;
  struct timespec mtime;
};

static bool
xattr_allowed (const char *name)
{
  return strncmp (name, "user.", 5) == 0 || strcmp (name, "security.capability") == 0
         || strcmp (name, "system.posix_acl_access") == 0 || strcmp (name, "system.posix_acl_default") == 0;
}

/* Keeps only the xattrs a layer may carry. */
static int
filter_xattrs (struct archive_entry *e, wharf_error_t *err)
{
  struct kept
  {
    char *name;
    void *value;
    size_t size;
  } *kept = NULL;
  size_t n = 0, cap = archive_entry_xattr_reset (e);
  const char *name;
  const void *value;
  size_t size;
  int ret = 0;

  if (cap == 0)
    return 0;
  kept = calloc (cap, sizeof (*kept));
  if (kept == NULL)
    return wharf_make_error (err, ENOMEM, "xattrs");
  while (archive_entry_xattr_next (e, &name, &value, &size) == ARCHIVE_OK)
    {
      if (!xattr_allowed (name) || n == cap)
        continue;
      kept[n].name = strdup (name);
      kept[n].value = malloc (size ? size : 1);
      if (kept[n].name == NULL || kept[n].value == NULL)
        ret = wharf_make_error (err, ENOMEM, "xattrs");
      else
        memcpy (kept[n].value, value, size);
      kept[n++].size = size;
    }
  archive_entry_xattr_clear (e);
  for (size_t i = 0; i < n; i++)
    {
      if (ret == 0)
        archive_entry_xattr_add_entry (e, kept[i].name, kept[i].value, kept[i].size);
      free (kept[i].name);
      free (kept[i].value);
    }
  free (kept);
  return ret;
}

static int
copy_data (struct archive *in, struct archive *out, const char *name, wharf_error_t *err)
{
  const void *buf;
  size_t size;
  la_int64_t offset;

  for (;;)
    {
      int r = archive_read_data_block (in, &buf, &size, &offset);
      if (r == ARCHIVE_EOF)
        return 0;
      if (r < ARCHIVE_WARN)
        return wharf_make_error (err, 0, "member `%s`: %s", name, archive_error_string (in));
      if (archive_write_data_block (out, buf, size, offset) < ARCHIVE_WARN)
        return wharf_make_error (err, 0, "member `%s`: %s", name, archive_error_string (out));
    }
}

static int
apply_root_meta (const struct root_meta *m, wharf_error_t *err)
{
  struct timespec times[2];
  if (!m->set)
    return 0;
  times[0] = m->mtime;
  times[1] = m->mtime;
  if (lchown (".", m->uid, m->gid) < 0 || chmod (".", m->mode & 07777) < 0
      || utimensat (AT_FDCWD, ".", times, AT_SYMLINK_NOFOLLOW) < 0)
    return wharf_make_error (err, errno, "member `./`: apply to the layer root");
  return 0;
}

/* One member that is neither the root nor a whiteout. */
static int
write_member (struct archive *in, struct archive *out, struct archive_entry *e, const char *norm,
              const struct untar_extract_opts *opts, struct untar_result *res, wharf_error_t *err)
{
  mode_t type = archive_entry_filetype (e);
  const char *link = archive_entry_hardlink (e);
  cleanup_free char *link_norm = NULL;

  archive_entry_copy_pathname (e, norm);
  if (link != NULL)
    {
      if (untar_normalize_name (link, &opts->limits, &link_norm, err) < 0)
        return wharf_error_wrap (err, "hard link `%s`", norm);
      if (link_norm[0] == '\0')
        return wharf_make_error (err, 0, "member `%s`: hard link to the layer root", norm);
      archive_entry_copy_hardlink (e, link_norm);
    }
  else if (type != AE_IFREG && type != AE_IFDIR && type != AE_IFLNK)
    {
      if (type != AE_IFCHR && type != AE_IFBLK && type != AE_IFIFO)
        return wharf_make_error (err, 0, "member `%s`: unsupported file type 0%o", norm, (unsigned) type);
      if (!opts->allow_devices)
        return wharf_make_error (err, 0, "member `%s`: device nodes are not allowed here", norm);
    }
  if (filter_xattrs (e, err) < 0)
    return -1;

  if (archive_entry_size_is_set (e) && archive_entry_size (e) > 0)
    {
      res->size += (uint64_t) archive_entry_size (e);
      if (res->size > opts->max_size)
        return wharf_make_error (err, 0, "member `%s`: the layer is larger than the limit of %llu bytes", norm,
                                 (unsigned long long) opts->max_size);
    }

  if (archive_write_header (out, e) < ARCHIVE_WARN)
    return wharf_make_error (err, 0, "member `%s`: %s", norm, archive_error_string (out));
  if (archive_entry_size (e) > 0 && copy_data (in, out, norm, err) < 0)
    return -1;
  if (archive_write_finish_entry (out) < ARCHIVE_WARN)
    return wharf_make_error (err, 0, "member `%s`: %s", norm, archive_error_string (out));
  return 0;
}

static int
handle_member (struct archive *in, struct archive *out, struct archive_entry *e,
               const struct untar_extract_opts *opts, struct untar_result *res, struct root_meta *root,
               wharf_error_t *err)
{
  const char *raw = archive_entry_pathname (e);
  cleanup_free char *norm = NULL;
  enum untar_whiteout_kind kind;
  const char *hidden;

  if (raw == NULL)
    return wharf_make_error (err, 0, "member with an unreadable name");
  if (untar_normalize_name (raw, &opts->limits, &norm, err) < 0)
    return -1;

  if (norm[0] == '\0')
    {
      if (archive_entry_filetype (e) != AE_IFDIR || archive_entry_hardlink (e) != NULL)
        return wharf_make_error (err, 0, "member `%s`: the layer root must be a directory", raw);
      root->set = true;
      root->mode = archive_entry_perm (e);
      root->uid = (uid_t) archive_entry_uid (e);
      root->gid = (gid_t) archive_entry_gid (e);
      root->mtime.tv_sec = archive_entry_mtime (e);
      root->mtime.tv_nsec = archive_entry_mtime_nsec (e);
      return 0;
    }

  if (untar_classify_whiteout (norm, &kind, &hidden, err) < 0)
    return -1;
  switch (kind)
    {
    case UNTAR_WHITEOUT_META:
      return 0;
    case UNTAR_WHITEOUT_OPAQUE:
      {
        size_t base = untar_basename_offset (norm);
        norm[base > 0 ? base - 1 : 0] = '\0';
        return untar_make_opaque (norm, err);
      }
    case UNTAR_WHITEOUT:
      {
        size_t base = untar_basename_offset (norm);
        norm[base > 0 ? base - 1 : 0] = '\0';
        return untar_make_whiteout (norm, hidden, err);
      }
    case UNTAR_NOT_WHITEOUT:
    default:
      return write_member (in, out, e, norm, opts, res, err);
    }
}

int
untar_extract (int fd, const struct untar_extract_opts *opts, struct untar_result *res, wharf_error_t *err)
{
  cleanup_input struct untar_input *stream = NULL; /* freed after the reader using it */
  cleanup_read struct archive *in = archive_read_new ();
  cleanup_write struct archive *out = archive_write_disk_new ();
  struct root_meta root = { 0 };
  struct archive_entry *e;

  if (in == NULL || out == NULL)
    return wharf_make_error (err, ENOMEM, "libarchive");
  /* The stream limit is the same bound as the members' (a tar is never smaller than its content). */
  if (untar_input_new (fd, opts->gzip, opts->digest, opts->max_size, &stream, err) < 0)
    return -1;
  archive_read_support_format_tar (in);
  archive_read_support_format_empty (in);
  archive_write_disk_set_options (out, EXTRACT_FLAGS);
  /* No archive_write_disk_set_standard_lookup: ids stay numeric, and NSS is
   * never asked (it would load modules and read /etc from the layer). */
  if (untar_input_open (stream, in, err) < 0)
    return -1;

  for (;;)
    {
      int r = archive_read_next_header (in, &e);
      if (r == ARCHIVE_EOF)
        break;
      if (r < ARCHIVE_WARN)
        return wharf_make_error (err, 0, "read the layer after %llu members: %s", (unsigned long long) res->entries,
                                 archive_error_string (in));
      if (++res->entries > opts->max_entries)
        return wharf_make_error (err, 0, "the layer has more than %llu members", (unsigned long long) opts->max_entries);
      if (handle_member (in, out, e, opts, res, &root, err) < 0)
        return -1;
    }
  /* What follows the end-of-archive blocks is read too: the diffID covers
   * every byte, and the writer on the other end of the pipe gets no EPIPE. */
  if (untar_input_drain (stream, err) < 0)
    return -1;
  res->stream_bytes = untar_input_bytes (stream);
  if (opts->digest)
    untar_input_digest (stream, res->diff_id);
  if (archive_write_close (out) != ARCHIVE_OK)
    return wharf_make_error (err, 0, "finish the layer: %s", archive_error_string (out));
  return apply_root_meta (&root, err);
}
