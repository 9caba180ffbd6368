// Stopping a search cleanly: each signal is sent to a real `kvmfp explore` process (the bin
// launcher, which runs the CLI in its own process), which must print the partial report on stdout
// and exit with the status of the cause. The run is far too big to finish (ref.yaml to depth 9),
// so only a stop ends it; the test waits for a completed level (levels count choices from 0)
// before it signals.

import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { ExploreReport } from '../report.js';
import { EXIT_TIME_LIMIT, parseDuration, stopOnSignals } from './stop.js';

const root = join(import.meta.dirname, '../../../..');
const bin = join(root, 'packages/sim/bin/kvmfp.mjs');

interface Finished {
  status: number | null;
  report: ExploreReport & { counterexamples: string[]; out: string };
  stderr: string;
}

/** Starts a long exploration; once a level is done, `act` may signal the process. */
function explore(extra: string[], act: (pid: number) => void): Promise<Finished> {
  const args = [bin, 'explore', 'fixtures/configs/ref.yaml', '--depth', '9', '--json', '--no-known'];
  const child = spawn(process.execPath, [...args, ...extra], { cwd: root });
  let stdout = '';
  let stderr = '';
  let acted = false;
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
    if (!acted && /depth 1 done/.test(stderr)) {
      acted = true;
      act(child.pid!);
    }
  });
  return new Promise((resolve) =>
    child.on('close', (status) =>
      resolve({ status, report: JSON.parse(stdout || 'null') as Finished['report'], stderr }),
    ),
  );
}

/** A partial report; `levels`: the levels known to be done when the stop was asked for. */
function expectPartial(r: Finished, reason: RegExp, levels: number): void {
  expect(r.report.stoppedBy).toMatch(reason);
  expect(r.report.complete).toBe(false);
  expect(r.report.levelsCompleted).toBeGreaterThanOrEqual(levels);
  expect(r.report.levelsCompleted).toBeLessThan(9);
  // ref.yaml has 24 states within no choice (level 0) and 940 within one.
  expect(r.report.distinct).toBeGreaterThanOrEqual(levels >= 1 ? 24 : 1);
  // Whatever it met before the stop is in the report, within the levels it reached (ref.yaml's
  // first, the SVCR trap at depth 3, is met within a second on a quiet machine).
  for (const v of r.report.violations) expect(v.depth).toBeLessThanOrEqual(r.report.diameter);
  expect(r.report.out).toBeTypeOf('string');
}

describe('a signal or the time limit stops kvmfp explore with a partial report', () => {
  it('SIGINT: exit 130, the levels done and the states covered', async () => {
    const r = await explore([], (pid) => process.kill(pid, 'SIGINT'));
    expect(r.status).toBe(130);
    expectPartial(r, /SIGINT/, 1);
    expect(r.stderr).toMatch(/SIGINT: stopping after the current transition/);
  });

  it('SIGINT with two workers: each stops its round, the report covers both parts', async () => {
    const r = await explore(['--workers', '2'], (pid) => process.kill(pid, 'SIGINT'));
    expect(r.status).toBe(130);
    expectPartial(r, /SIGINT/, 1);
    expect(r.stderr).toMatch(/worker 1 depth 1 done/);
  });

  it('SIGTERM: exit 143', async () => {
    const r = await explore([], (pid) => process.kill(pid, 'SIGTERM'));
    expect(r.status).toBe(143);
    expectPartial(r, /SIGTERM/, 1);
  });

  it('--time-limit: exit 124', async () => {
    const r = await explore(['--time-limit', '1s'], () => {});
    expect(r.status).toBe(EXIT_TIME_LIMIT);
    expectPartial(r, /time limit 1 s/, 0);
  });
});

describe('kvmfp equiv stops the same way', () => {
  it('--time-limit: exit 124, no difference so far, not complete', () => {
    const r = spawnSync(
      process.execPath,
      [
        bin,
        'equiv',
        'v6.3',
        'v6.4',
        'fixtures/configs/ref.yaml',
        '--depth',
        '9',
        '--time-limit',
        '2s',
        '--json',
      ],
      { cwd: root, encoding: 'utf8' },
    );
    expect(r.status).toBe(EXIT_TIME_LIMIT);
    const report = JSON.parse(r.stdout) as { stoppedBy: string; equivalent: boolean; complete: boolean };
    expect(report.stoppedBy).toBe('time limit 2 s');
    expect(report.equivalent).toBe(true);
    expect(report.complete).toBe(false);
  });
});

describe('stopOnSignals', () => {
  afterEach(() => {
    vi.useRealTimers();
    vi.restoreAllMocks();
  });

  it('asks once, takes copies of one keypress as one, and exits at a second signal', () => {
    vi.useFakeTimers();
    const exit = vi.spyOn(process, 'exit').mockImplementation((() => undefined) as never);
    const stop = vi.fn();
    const said: string[] = [];
    const control = stopOnSignals(stop, (l) => said.push(l));
    try {
      process.emit('SIGINT');
      process.emit('SIGINT'); // npm forwarding the terminal's SIGINT: the same keypress
      expect(stop).toHaveBeenCalledTimes(1);
      expect(exit).not.toHaveBeenCalled();
      expect(control.exitStatus).toBe(130);
      vi.advanceTimersByTime(1000);
      process.emit('SIGINT');
      expect(exit).toHaveBeenCalledWith(130);
      expect(said[said.length - 1]).toMatch(/exiting without a report/);
    } finally {
      control.dispose();
    }
  });

  it('reads durations and rejects the rest in one line', () => {
    expect(parseDuration('--time-limit', '90')).toBe(90);
    expect(parseDuration('--time-limit', '15m')).toBe(900);
    expect(parseDuration('--time-limit', '2h')).toBe(7200);
    expect(() => parseDuration('--time-limit', '0')).toThrow(/expected a duration/);
    expect(() => parseDuration('--time-limit', 'soon')).toThrow(/--time-limit: expected a duration/);
  });
});
