/**
 * Notices that the process that started the bot went away. npm 11 exits on a SIGTERM sent to its
 * own pid without forwarding it, and a crashed supervisor leaves its child behind: without this the
 * bot would run on, orphaned, until someone kills it without a drain.
 */

export interface ParentWatch {
  stop(): void;
}

/**
 * Polls every `intervalMs` (an unref'd timer: it never keeps the process alive) whether the parent
 * pid changed (the kernel re-parents an orphan to init or a subreaper) or no longer exists, and
 * calls `onGone` once. A process started by init itself (parent 0 or 1) has nothing to watch.
 */
export function watchParent(onGone: (parentPid: number) => void, intervalMs = 1_000): ParentWatch {
  const parentPid = process.ppid;
  if (parentPid <= 1) return { stop: () => undefined };
  const timer = setInterval(() => {
    if (process.ppid === parentPid && isAlive(parentPid)) return;
    clearInterval(timer);
    onGone(parentPid);
  }, intervalMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to someone else (the pid was reused); only ESRCH means gone.
    return (error as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}
