import { probe } from './probe.js';
// Bank moves (saves, loads, flushes, SMSTART/SMSTOP) counted as the primitives run, so a trace can
// say how much register traffic each step cost. The sim installs the sink; without one, moves are
// not recorded.

export type MoveKind = 'save' | 'load' | 'flush' | 'smstart' | 'smstop';
export type MoveSink = (kind: MoveKind, what: string) => void;

let sink: MoveSink | undefined;

export function setMoveSink(s: MoveSink | undefined): void {
  sink = s;
}

export function countMove(kind: MoveKind, what: string): void {
  probe();
  sink?.(kind, what);
}
