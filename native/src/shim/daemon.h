/* Detaching the shim from whoever started it (conmon's main.c does the
 * same dance):
 *
 *   engine -> shim (waits for its child, exits 0)
 *               -> child: setsid, forks, _exit(0)
 *                    -> grandchild: the monitor. Orphaned, so reparented
 *                       away from the engine; not a session leader, so it
 *                       can never acquire a controlling terminal by opening
 *                       a pty.
 *
 * The sync fd survives; everything else inherited is closed and stdio goes
 * to /dev/null, so the engine's pipes see EOF once the first process exits. */
#ifndef WHARF_SHIM_DAEMON_H
#define WHARF_SHIM_DAEMON_H

#include "common/error.h"

/* Returns 0 in the detached grandchild, 1 in the original process (which
 * should exit 0), negative on error (in the original process). */
int shim_daemonize (wharf_error_t *err);

#define OOM_ADJ_LEN 16

/* In the grandchild: child subreaper, oom_score_adj -1000, SIGPIPE and
 * SIGHUP ignored, fds other than keep_fd closed, stdio on /dev/null,
 * keep_fd made close-on-exec. keep_fd may be -1. The previous
 * oom_score_adj goes to saved_adj: the runtime must get it back, or the
 * container would inherit the shim's immunity to the OOM killer. */
int shim_process_setup (int keep_fd, char saved_adj[OOM_ADJ_LEN], wharf_error_t *err);

#endif
