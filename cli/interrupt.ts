/**
 * Ctrl-C (SIGINT) and SIGTERM as the long commands' AbortSignal. The first stops the job at its
 * next check (between tensors, or inside one at the kernel's next chunk: well within a
 * second), after which the command releases its output folder's lock and leaves no model that
 * looks complete (config.json and the index are written last), so running the same command
 * again resumes. A second signal exits at once, as a terminal user expects.
 */
let controller: AbortController | undefined;

/** The process's interrupt signal; installs the handlers on first use. */
export function interruptSignal(): AbortSignal {
  if (!controller) {
    const c = new AbortController();
    controller = c;
    const onSignal = (): void => {
      if (c.signal.aborted) process.exit(130);
      process.stderr.write('\ncancelling (press Ctrl-C again to quit at once)…\n');
      c.abort();
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  }
  return controller.signal;
}

/** Whether the command was interrupted (its error is then the cancellation, exit code 130). */
export function wasInterrupted(): boolean {
  return controller?.signal.aborted ?? false;
}
