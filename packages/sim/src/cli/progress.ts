// Live progress of a search on stderr: a cli-progress bar when stderr is a terminal, a plain line
// every few seconds otherwise (logs, CI), nothing with --no-progress. Counterexamples and notes
// are printed above the bar as they come. stdout is never written, so --json output stays clean.

import { MultiBar, Presets, type SingleBar } from 'cli-progress';
import type { LevelStats, ProgressStats } from '../explore.js';

export type ProgressMode = 'bar' | 'lines' | 'none';

export interface ProgressView {
  /** The latest figures of one worker (each worker reports its own part; the view sums them). */
  update(worker: number, p: ProgressStats): void;
  /**
   * A level a worker finished. `done`: it is known to be complete (a part of a split search tells
   * a level when every part has finished it); otherwise it counts as cut short once a stop was asked.
   */
  level(worker: number, lv: LevelStats, done?: boolean): void;
  /** A line above the progress display (a counterexample written, a stop requested). */
  note(line: string): void;
  /** The search was asked to stop: the level in progress will be cut short. */
  stopping(): void;
  stop(): void;
}

export function progressMode(enabled: boolean, stream: NodeJS.WriteStream): ProgressMode {
  if (!enabled) return 'none';
  return stream.isTTY ? 'bar' : 'lines';
}

/** Sums the workers' latest figures; the depth shown is the shallowest level still running. */
function combine(parts: Map<number, ProgressStats>): ProgressStats {
  const all = [...parts.values()];
  return {
    depth: Math.min(...all.map((p) => p.depth)),
    distinct: all.reduce((n, p) => n + p.distinct, 0),
    transitions: all.reduce((n, p) => n + p.transitions, 0),
    expanded: all.reduce((n, p) => n + p.expanded, 0),
    frontier: all.reduce((n, p) => n + p.frontier, 0),
    violations: all.reduce((n, p) => n + p.violations, 0),
  };
}

const mib = () => Math.round(process.memoryUsage().rss / 2 ** 20);

function seconds(s: number): string {
  if (!Number.isFinite(s)) return '?';
  if (s < 90) return `${Math.round(s)} s`;
  if (s < 5400) return `${Math.round(s / 60)} min`;
  return `${(s / 3600).toFixed(1)} h`;
}

/** Rates since the start and the time left in the current level, from the states expanded so far. */
class Clock {
  private readonly t0 = Date.now();
  private levelStart = Date.now();
  private levelDepth = 0;

  figures(p: ProgressStats): { rate: number; eta: string } {
    const now = Date.now();
    if (p.depth !== this.levelDepth) {
      this.levelDepth = p.depth;
      this.levelStart = now;
    }
    const rate = Math.round(p.distinct / Math.max((now - this.t0) / 1000, 1e-3));
    const levelS = (now - this.levelStart) / 1000;
    const eta = p.expanded > 0 ? ((p.frontier - p.expanded) * levelS) / p.expanded : Infinity;
    return { rate, eta: seconds(eta) };
  }
}

/**
 * `found`: the violations part of the bar's format ('' where a search has none, as equiv);
 * `noun`: what the search counts (states, or equiv's pairs of states).
 */
function barView(stream: NodeJS.WriteStream, label: string, found: string, noun: string): ProgressView {
  const parts = new Map<number, ProgressStats>();
  const clock = new Clock();
  const multi = new MultiBar(
    {
      stream,
      format: `${label} depth {depth} [{bar}] {value}/{total} | {states} ${noun} {rate}/s${found} | {mem} MiB | level ETA {eta}`,
      hideCursor: true,
      clearOnComplete: true,
      fps: 5,
    },
    Presets.shades_classic,
  );
  let bar: SingleBar | undefined;
  return {
    update(worker, p) {
      parts.set(worker, p);
      const all = combine(parts);
      const { rate, eta } = clock.figures(all);
      const payload = {
        depth: all.depth,
        states: all.distinct,
        rate,
        violations: all.violations,
        mem: mib(),
        eta,
      };
      if (!bar) bar = multi.create(all.frontier, all.expanded, payload);
      bar.setTotal(all.frontier);
      bar.update(all.expanded, payload);
    },
    level() {},
    note(line) {
      multi.log(line + '\n');
    },
    stopping() {},
    stop() {
      multi.stop();
    },
  };
}

/** A line every `everyMs` at most, and one per completed level. */
function linesView(
  stream: NodeJS.WriteStream,
  label: string,
  everyMs: number,
  withViolations: boolean,
  noun: string,
): ProgressView {
  const parts = new Map<number, ProgressStats>();
  const clock = new Clock();
  let last = 0;
  let cutShort = false;
  const line = (p: ProgressStats) => {
    const { rate, eta } = clock.figures(p);
    stream.write(
      `${label} depth ${p.depth}: ${p.distinct} ${noun}, ${rate} ${noun}/s, ${p.expanded}/${p.frontier} of the level${withViolations ? `, ${p.violations} violations` : ''}, ${mib()} MiB, level ETA ${eta}\n`,
    );
  };
  return {
    update(worker, p) {
      parts.set(worker, p);
      const now = Date.now();
      if (now - last < everyMs) return;
      last = now;
      line(combine(parts));
    },
    level(worker, lv, done) {
      const cut = done === undefined ? cutShort : !done;
      stream.write(
        `${label}${parts.size > 1 ? ` worker ${worker}` : ''} depth ${lv.depth} ${cut ? 'cut short' : 'done'}: ${lv.distinct} ${noun}, ${lv.transitions} transitions, frontier ${lv.frontier}\n`,
      );
    },
    note(l) {
      stream.write(l + '\n');
    },
    stopping() {
      cutShort = true;
    },
    stop() {},
  };
}

function silentView(stream: NodeJS.WriteStream): ProgressView {
  return { update() {}, level() {}, note: (l) => stream.write(l + '\n'), stopping() {}, stop() {} };
}

export function progressView(
  mode: ProgressMode,
  stream: NodeJS.WriteStream,
  label: string,
  everyMs = 10_000,
): ProgressView {
  const found = label === 'explore' ? ' | {violations} violations' : '';
  const noun = label === 'equiv' ? 'pairs' : 'states';
  if (mode === 'bar') return barView(stream, label, found, noun);
  if (mode === 'lines') return linesView(stream, label, everyMs, found !== '', noun);
  return silentView(stream);
}
