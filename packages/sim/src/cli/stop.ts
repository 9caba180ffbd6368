// Stopping a long search cleanly. The first SIGINT or SIGTERM (or the time limit) asks the search
// to stop between transitions, so the command still writes its partial report; a second signal
// exits at once. Each cause has its own exit status, so scripts can tell a stopped run from a
// finished one: 124 for the time limit (as timeout(1) uses), 128 + the signal number for a signal.

import { InputError } from '../scenario.js';

export const EXIT_TIME_LIMIT = 124;
const SIGNAL_EXIT: Record<'SIGINT' | 'SIGTERM', number> = { SIGINT: 130, SIGTERM: 143 };

/**
 * Copies of one signal that arrive together count once: in a terminal, Ctrl-C reaches every
 * process of the foreground group, and `npx`/`npm run` also forward it to their child, so the
 * CLI can receive the same keypress twice within a few milliseconds.
 */
const SAME_SIGNAL_MS = 300;

export interface StopControl {
  /** Why the search was asked to stop, or null. */
  readonly reason: string | null;
  /** The exit status for the stop, or null when the search was not stopped. */
  readonly exitStatus: number | null;
  /** Removes the handlers and the timer. */
  dispose(): void;
}

/**
 * Listens for SIGINT/SIGTERM and starts the time limit; `stop` asks the search to stop. `say`
 * reports on stderr what is happening.
 */
export function stopOnSignals(
  stop: () => void,
  say: (line: string) => void,
  timeLimitS?: number,
): StopControl {
  let reason: string | null = null;
  let exitStatus: number | null = null;
  let firstAt = 0;
  const onSignal = (sig: 'SIGINT' | 'SIGTERM') => {
    if (reason === null) {
      reason = sig;
      exitStatus = SIGNAL_EXIT[sig];
      firstAt = Date.now();
      say(`${sig}: stopping after the current transition (send it again to exit at once)`);
      stop();
      return;
    }
    if (Date.now() - firstAt < SAME_SIGNAL_MS) return;
    say(`${sig} again: exiting without a report`);
    process.exit(SIGNAL_EXIT[sig]);
  };
  const onInt = () => onSignal('SIGINT');
  const onTerm = () => onSignal('SIGTERM');
  process.on('SIGINT', onInt);
  process.on('SIGTERM', onTerm);
  const timer =
    timeLimitS === undefined
      ? undefined
      : setTimeout(() => {
          if (reason !== null) return;
          reason = `time limit ${timeLimitS} s`;
          exitStatus = EXIT_TIME_LIMIT;
          say(`time limit (${timeLimitS} s): stopping after the current transition`);
          stop();
        }, timeLimitS * 1000);
  timer?.unref();
  return {
    get reason() {
      return reason;
    },
    get exitStatus() {
      return exitStatus;
    },
    dispose() {
      process.removeListener('SIGINT', onInt);
      process.removeListener('SIGTERM', onTerm);
      if (timer) clearTimeout(timer);
    },
  };
}

/** `--time-limit`: seconds, or a number with s, m or h ('90', '90s', '15m', '2h'). */
export function parseDuration(flag: string, v: string): number {
  const m = /^(\d+(?:\.\d+)?)([smh]?)$/.exec(v.trim());
  const n = m ? Number(m[1]) * { '': 1, s: 1, m: 60, h: 3600 }[m[2] as '' | 's' | 'm' | 'h'] : NaN;
  if (!(n > 0) || n > 2 ** 31 / 1000)
    throw new InputError(`${flag}: expected a duration such as 90, 90s, 15m or 2h, found '${v}'`);
  return n;
}
