/* wharf-untar: extracts one layer tar (stdin) into a directory, or writes a
 * directory as a tar (stdout), confined to that directory (untar/confine.h).
 *
 *   wharf-untar [--max-size N] [--max-entries N] [--max-path N] [--max-depth N]
 *               [--no-devices] [--gzip] [--digest] DIR   < layer.tar
 *   wharf-untar --create [--whiteouts] DIR    > layer.tar
 *
 * Extract prints one JSON line {"size":N,"entries":M} on success, with
 * --digest also "diffID":"sha256:…" (untar/input.h). Any failure
 * exits 1 with one line on stderr ("wharf-untar: member `x`: why") and may
 * leave DIR half-written: the caller extracts into a temp dir and removes it. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/error.h"
#include "untar/confine.h"
#include "untar/create.h"
#include "untar/extract.h"

#define PROG "wharf-untar"

struct cli
{
  const char *dir;
  bool create;
  bool whiteouts;
  struct untar_extract_opts extract;
};

static int
parse_u64 (const char *s, const char *opt, uint64_t *out, wharf_error_t *err)
{
  char *end = NULL;
  unsigned long long v;
  errno = 0;
  v = strtoull (s, &end, 10);
  if (errno != 0 || end == s || *end != '\0' || v == 0)
    return wharf_make_error (err, 0, "%s: expected a positive integer, got `%s`", opt, s);
  *out = v;
  return 0;
}

static int
parse_args (int argc, char **argv, struct cli *cli, wharf_error_t *err)
{
  enum { OPT_MAX_SIZE = 256, OPT_MAX_ENTRIES, OPT_MAX_PATH, OPT_MAX_DEPTH, OPT_NO_DEVICES, OPT_CREATE, OPT_WHITEOUTS, OPT_GZIP, OPT_DIGEST };
  static const struct option longopts[] = {
    { "max-size", required_argument, NULL, OPT_MAX_SIZE },
    { "max-entries", required_argument, NULL, OPT_MAX_ENTRIES },
    { "max-path", required_argument, NULL, OPT_MAX_PATH },
    { "max-depth", required_argument, NULL, OPT_MAX_DEPTH },
    { "no-devices", no_argument, NULL, OPT_NO_DEVICES },
    { "create", no_argument, NULL, OPT_CREATE },
    { "whiteouts", no_argument, NULL, OPT_WHITEOUTS },
    { "gzip", no_argument, NULL, OPT_GZIP },
    { "digest", no_argument, NULL, OPT_DIGEST },
    { NULL, 0, NULL, 0 },
  };
  uint64_t v;
  int c;

  cli->extract.limits.max_path = 4095;
  cli->extract.limits.max_depth = 256;
  cli->extract.max_size = 64ULL << 30;
  cli->extract.max_entries = 4000000;
  cli->extract.allow_devices = true;

  while ((c = getopt_long (argc, argv, "", longopts, NULL)) != -1)
    {
      switch (c)
        {
        case OPT_MAX_SIZE:
          if (parse_u64 (optarg, "--max-size", &cli->extract.max_size, err) < 0)
            return -1;
          break;
        case OPT_MAX_ENTRIES:
          if (parse_u64 (optarg, "--max-entries", &cli->extract.max_entries, err) < 0)
            return -1;
          break;
        case OPT_MAX_PATH:
          if (parse_u64 (optarg, "--max-path", &v, err) < 0)
            return -1;
          cli->extract.limits.max_path = v > 4095 ? 4095 : (size_t) v;
          break;
        case OPT_MAX_DEPTH:
          if (parse_u64 (optarg, "--max-depth", &v, err) < 0)
            return -1;
          cli->extract.limits.max_depth = (size_t) v;
          break;
        case OPT_NO_DEVICES:
          cli->extract.allow_devices = false;
          break;
        case OPT_CREATE:
          cli->create = true;
          break;
        case OPT_WHITEOUTS:
          cli->whiteouts = true;
          break;
        case OPT_GZIP:
          cli->extract.gzip = true;
          break;
        case OPT_DIGEST:
          cli->extract.digest = true;
          break;
        default:
          return wharf_make_error (err, 0, "usage: " PROG " [--create [--whiteouts]] [--max-size N] DIR");
        }
    }
  if (optind != argc - 1)
    return wharf_make_error (err, 0, "usage: " PROG " [--create [--whiteouts]] [--max-size N] DIR");
  cli->dir = argv[optind];
  if (cli->dir[0] != '/')
    return wharf_make_error (err, 0, "DIR must be an absolute path, got `%s`", cli->dir);
  return 0;
}

int
main (int argc, char **argv)
{
  wharf_error_t err = NULL;
  struct cli cli = { 0 };
  struct untar_result res = { 0 };
  uint64_t entries = 0;
  struct stat st;

  if (parse_args (argc, argv, &cli, &err) < 0)
    goto fail;
  if (stat (cli.dir, &st) < 0 || !S_ISDIR (st.st_mode))
    {
      wharf_make_error (&err, errno ? errno : ENOTDIR, "`%s`", cli.dir);
      goto fail;
    }
  umask (0);
  /* Die with the engine: an orphan would go on writing into a temp dir that
   * the next engine's start-up cleanup is removing (its stdin may be a file,
   * which does not end when the engine dies). */
  if (prctl (PR_SET_PDEATHSIG, SIGKILL) < 0)
    {
      wharf_make_error (&err, errno, "prctl PR_SET_PDEATHSIG");
      goto fail;
    }
  /* Names are UTF-8 in pax headers; with a UTF-8 LC_CTYPE libarchive passes
   * them through instead of converting. Loaded now, from the host. */
  if (setlocale (LC_CTYPE, "C.UTF-8") == NULL)
    setlocale (LC_CTYPE, "C");
  if (untar_confine (cli.dir, cli.create, &err) < 0 || untar_lockdown (&err) < 0)
    {
      wharf_error_wrap (&err, "confine to `%s`", cli.dir);
      goto fail;
    }
  if (cli.create)
    {
      if (untar_create (STDOUT_FILENO, cli.whiteouts, &entries, &err) < 0)
        goto fail;
      return 0;
    }
  if (untar_extract (STDIN_FILENO, &cli.extract, &res, &err) < 0)
    goto fail;
  if (cli.extract.digest)
    printf ("{\"size\":%" PRIu64 ",\"entries\":%" PRIu64 ",\"diffID\":\"%s\"}\n", res.size, res.entries,
            res.diff_id);
  else
    printf ("{\"size\":%" PRIu64 ",\"entries\":%" PRIu64 "}\n", res.size, res.entries);
  return fflush (stdout) == 0 ? 0 : 1;

fail:
  wharf_error_print (PROG, &err);
  return 1;
}
