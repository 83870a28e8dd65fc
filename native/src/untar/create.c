#include "untar/create.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "common/utils.h"

struct creator
{
  struct archive *a;
  struct archive_entry_linkresolver *links;
  bool whiteouts;
  uint64_t entries;
};

static bool
xattr_wanted (const char *name)
{
  return strncmp (name, "user.", 5) == 0 || strcmp (name, "security.capability") == 0
         || strcmp (name, "system.posix_acl_access") == 0 || strcmp (name, "system.posix_acl_default") == 0;
}

/* `path` is absolute inside the confined root. */
static int
add_xattrs (struct archive_entry *e, const char *path, wharf_error_t *err)
{
  char names[65536], value[65536];
  ssize_t len = llistxattr (path, names, sizeof (names));
  if (len < 0)
    return (errno == ENOTSUP || errno == ENODATA) ? 0 : wharf_make_error (err, errno, "list xattrs of `%s`", path);
  for (char *n = names; n < names + len; n += strlen (n) + 1)
    {
      ssize_t vlen;
      if (!xattr_wanted (n))
        continue;
      vlen = lgetxattr (path, n, value, sizeof (value));
      if (vlen < 0)
        {
          if (errno == ENODATA)
            continue;
          return wharf_make_error (err, errno, "read xattr `%s` of `%s`", n, path);
        }
      archive_entry_xattr_add_entry (e, n, value, (size_t) vlen);
    }
  return 0;
}

static bool
is_opaque (const char *path)
{
  char v[2];
  return lgetxattr (path, "trusted.overlay.opaque", v, sizeof (v)) == 1 && v[0] == 'y';
}

static int
write_content (struct creator *c, int dirfd, const char *name, const char *path, int64_t size, wharf_error_t *err)
{
  cleanup_close int fd = openat (dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  char buf[128 * 1024];
  int64_t done = 0;

  if (fd < 0)
    return wharf_make_error (err, errno, "open `%s`", path);
  while (done < size)
    {
      size_t want = (size_t) (size - done < (int64_t) sizeof (buf) ? size - done : (int64_t) sizeof (buf));
      ssize_t r = read (fd, buf, want);
      if (r < 0 && errno == EINTR)
        continue;
      if (r < 0)
        return wharf_make_error (err, errno, "read `%s`", path);
      if (r == 0) /* shrank while we read it: pad, the header promised `size` bytes */
        {
          memset (buf, 0, want);
          r = (ssize_t) want;
        }
      if (archive_write_data (c->a, buf, (size_t) r) < 0)
        return wharf_make_error (err, 0, "write `%s`: %s", path, archive_error_string (c->a));
      done += r;
    }
  return 0;
}

static int
emit (struct creator *c, struct archive_entry *e, int dirfd, const char *name, const char *path,
      wharf_error_t *err)
{
  struct archive_entry *sparse = NULL;
  archive_entry_linkify (c->links, &e, &sparse);
  if (e == NULL)
    return 0;
  c->entries++;
  if (archive_write_header (c->a, e) < ARCHIVE_WARN)
    return wharf_make_error (err, 0, "write `%s`: %s", path, archive_error_string (c->a));
  if (archive_entry_filetype (e) == AE_IFREG && archive_entry_hardlink (e) == NULL && archive_entry_size (e) > 0)
    return write_content (c, dirfd, name, path, archive_entry_size (e), err);
  return 0;
}

static int walk (struct creator *c, int dirfd, const char *rel, wharf_error_t *err);

static int
add_one (struct creator *c, int dirfd, const char *rel, const char *name, wharf_error_t *err)
{
  cleanup_free char *member = NULL, *path = NULL;
  struct archive_entry *e = NULL;
  struct stat st;
  int ret = 0;

  if (fstatat (dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
    return errno == ENOENT ? 0 : wharf_make_error (err, errno, "stat `%s%s`", rel, name);
  if (asprintf (&member, "%s%s", rel, name) < 0 || asprintf (&path, "/%s", member) < 0)
    return wharf_make_error (err, ENOMEM, "walk");
  if (strlen (member) >= PATH_MAX)
    return wharf_make_error (err, ENAMETOOLONG, "walk `%.64s...`", member);

  e = archive_entry_new ();
  archive_entry_copy_stat (e, &st);
  archive_entry_set_uname (e, NULL);
  archive_entry_set_gname (e, NULL);

  if (c->whiteouts && S_ISCHR (st.st_mode) && st.st_rdev == makedev (0, 0))
    {
      free (member);
      if (asprintf (&member, "%s.wh.%s", rel, name) < 0)
        member = NULL;
      archive_entry_set_filetype (e, AE_IFREG);
      archive_entry_set_perm (e, 0600);
      archive_entry_set_size (e, 0);
      archive_entry_set_rdev (e, 0);
      archive_entry_set_nlink (e, 1);
      archive_entry_copy_pathname (e, member);
      ret = emit (c, e, dirfd, name, path, err);
      archive_entry_free (e);
      return ret;
    }

  if (S_ISLNK (st.st_mode))
    {
      char target[PATH_MAX];
      ssize_t n = readlinkat (dirfd, name, target, sizeof (target) - 1);
      if (n < 0)
        ret = wharf_make_error (err, errno, "readlink `%s`", path);
      else
        {
          target[n] = '\0';
          archive_entry_copy_symlink (e, target);
        }
    }
  if (ret == 0 && !S_ISREG (st.st_mode))
    archive_entry_set_size (e, 0);
  if (ret == 0)
    ret = add_xattrs (e, path, err);
  if (ret == 0 && S_ISDIR (st.st_mode))
    {
      cleanup_free char *dirname = NULL;
      bool opaque = c->whiteouts && is_opaque (path);
      if (asprintf (&dirname, "%s/", member) < 0)
        ret = wharf_make_error (err, ENOMEM, "walk");
      archive_entry_copy_pathname (e, dirname);
      if (ret == 0)
        ret = emit (c, e, dirfd, name, path, err);
      if (ret == 0 && opaque)
        {
          cleanup_free char *wh = NULL;
          struct archive_entry *o = archive_entry_new ();
          if (asprintf (&wh, "%s.wh..wh..opq", dirname) < 0)
            wh = NULL;
          archive_entry_copy_pathname (o, wh);
          archive_entry_set_filetype (o, AE_IFREG);
          archive_entry_set_perm (o, st.st_mode & 0777);
          archive_entry_set_uid (o, st.st_uid);
          archive_entry_set_gid (o, st.st_gid);
          archive_entry_set_mtime (o, st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
          archive_entry_set_size (o, 0);
          c->entries++;
          if (archive_write_header (c->a, o) < ARCHIVE_WARN)
            ret = wharf_make_error (err, 0, "write `%s`: %s", wh, archive_error_string (c->a));
          archive_entry_free (o);
        }
      if (ret == 0)
        {
          cleanup_close int sub = openat (dirfd, name, O_DIRECTORY | O_NOFOLLOW | O_RDONLY | O_CLOEXEC);
          if (sub < 0)
            ret = wharf_make_error (err, errno, "open `%s`", path);
          else
            ret = walk (c, sub, dirname, err);
          sub = -1; /* walk took it */
        }
    }
  else if (ret == 0)
    {
      archive_entry_copy_pathname (e, member);
      ret = emit (c, e, dirfd, name, path, err);
    }
  archive_entry_free (e);
  return ret;
}

static int
compare_names (const void *a, const void *b)
{
  return strcmp (*(char *const *) a, *(char *const *) b);
}

/* Takes ownership of dirfd. `rel` is "" or "dir/". */
static int
walk (struct creator *c, int dirfd, const char *rel, wharf_error_t *err)
{
  DIR *d = fdopendir (dirfd);
  char **names = NULL;
  size_t n = 0, cap = 0;
  struct dirent *de;
  int ret = 0;

  if (d == NULL)
    {
      close (dirfd);
      return wharf_make_error (err, errno, "read directory `/%s`", rel);
    }
  while ((de = readdir (d)) != NULL)
    {
      if (strcmp (de->d_name, ".") == 0 || strcmp (de->d_name, "..") == 0)
        continue;
      if (n == cap)
        {
          char **nn = realloc (names, (cap = cap ? cap * 2 : 64) * sizeof (*names));
          if (nn == NULL)
            {
              ret = wharf_make_error (err, ENOMEM, "walk");
              break;
            }
          names = nn;
        }
      if ((names[n] = strdup (de->d_name)) == NULL)
        {
          ret = wharf_make_error (err, ENOMEM, "walk");
          break;
        }
      n++;
    }
  if (ret == 0 && n > 0)
    qsort (names, n, sizeof (*names), compare_names);
  for (size_t i = 0; i < n; i++)
    {
      if (ret == 0)
        ret = add_one (c, dirfd, rel, names[i], err);
      free (names[i]);
    }
  free (names);
  closedir (d);
  return ret;
}

int
untar_create (int out_fd, bool whiteouts, uint64_t *entries, wharf_error_t *err)
{
  struct creator c = { .whiteouts = whiteouts };
  int dirfd, ret;

  c.a = archive_write_new ();
  c.links = archive_entry_linkresolver_new ();
  if (c.a == NULL || c.links == NULL)
    return wharf_make_error (err, ENOMEM, "libarchive");
  archive_write_set_format_pax_restricted (c.a);
  archive_entry_linkresolver_set_strategy (c.links, archive_format (c.a));
  ret = archive_write_open_fd (c.a, out_fd) == ARCHIVE_OK ? 0
        : wharf_make_error (err, 0, "open the output: %s", archive_error_string (c.a));
  dirfd = open ("/", O_DIRECTORY | O_RDONLY | O_CLOEXEC);
  if (ret == 0 && dirfd < 0)
    ret = wharf_make_error (err, errno, "open the root");
  if (ret == 0)
    ret = walk (&c, dirfd, "", err);
  else if (dirfd >= 0)
    close (dirfd);
  if (ret == 0 && archive_write_close (c.a) != ARCHIVE_OK)
    ret = wharf_make_error (err, 0, "finish the tar: %s", archive_error_string (c.a));
  archive_entry_linkresolver_free (c.links);
  archive_write_free (c.a);
  *entries = c.entries;
  return ret;
}
