/**
 * Runs `cleanup` (stopping the services a benchmark started, say) when the benchmark is
 * interrupted (SIGINT, Ctrl-C) or terminated (SIGTERM), then exits with the shell's status for
 * that signal; a second signal meanwhile (`tsx` passes its own on, so `pkill -f` sends two) does
 * not cut the cleanup short. Without it, the engine's service processes outlive the benchmark and
 * go on consuming the shared topics, into the next run's measurements.
 */
export function onInterrupt(cleanup: () => Promise<unknown>): void {
  const exitCodes = { SIGINT: 130, SIGTERM: 143 } as const;
  let stopping = false;
  for (const signal of Object.keys(exitCodes) as (keyof typeof exitCodes)[]) {
    process.on(signal, () => {
      if (stopping) return;
      stopping = true;
      console.error(`\n${signal}: stopping what the benchmark started ...`);
      void cleanup().catch(() => undefined).then(() => process.exit(exitCodes[signal]));
    });
  }
}
