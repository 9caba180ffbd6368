// SPDX-License-Identifier: GPL-2.0-only
//
// The plain-line progress (stderr not a terminal): what each search counts is named as it is,
// states for the explorer and pairs of states for equiv.

import { describe, expect, it } from 'vitest';
import { progressView } from './progress.js';

/** A stream that keeps what is written to it. */
function recorder(): { stream: NodeJS.WriteStream; text: () => string } {
  const chunks: string[] = [];
  const stream = { write: (s: string) => chunks.push(s) > 0, isTTY: false } as unknown as NodeJS.WriteStream;
  return { stream, text: () => chunks.join('') };
}

const figures = { depth: 2, distinct: 40, transitions: 55, expanded: 3, frontier: 9, violations: 1 };
const level = { depth: 2, distinct: 40, newStates: 20, transitions: 55, frontier: 9 };

describe('progress lines', () => {
  it.each([
    ['explore', 'states', ', 1 violations'],
    ['equiv', 'pairs', ''],
  ])('%s counts %s', (label, noun, found) => {
    const { stream, text } = recorder();
    const view = progressView('lines', stream, label, 0);
    view.update(0, figures);
    view.level(0, level, true);
    const [running, done] = text().trimEnd().split('\n');
    expect(running).toMatch(
      new RegExp(`^${label} depth 2: 40 ${noun}, \\d+ ${noun}/s, 3/9 of the level${found}, `),
    );
    expect(done).toBe(`${label} depth 2 done: 40 ${noun}, 55 transitions, frontier 9`);
  });
});
