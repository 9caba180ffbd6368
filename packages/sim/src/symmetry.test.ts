// Which tasks and CPUs a configuration lets the explorer interchange (symmetry.ts taskSymmetry):
// the host alphabets (signals, ptrace, fork, exec, prctl) keep both, KVM keeps nothing by default
// and, asked, the CPUs and the tasks other than the VMMs, ptrace on more than two CPUs keeps the tasks only, and unborn tasks
// join the born ones only when there is one of them. That merged states behave alike is explore-soundness.test.ts's business.

import { describe, expect, it } from 'vitest';
import type { WorldConfig } from './config.js';
import { fullAlphabet } from './explore-config.js';
import type { Alphabet } from './explore.js';
import { Packer } from './pack.js';
import {
  compactRelabelling,
  expandRelabelling,
  relabelEvent,
  relabelledFields,
  symmetricKey,
  taskSymmetry,
} from './symmetry.js';
import { sampleNodes, v64Explorer } from './test-walks.js';
import { createWorld } from './world.js';

const FEATURES = { fpsimd: true, sve: true, sme: true, sme2: true, fa64: false, vhe: true };

function config(tasks: WorldConfig['tasks'], ncpus = 2, vcpus: WorldConfig['vcpus'] = []): WorldConfig {
  return { machine: { ncpus, features: FEATURES, sveVls: [16, 32], smeVls: [16, 32] }, tasks, vcpus };
}

const two: WorldConfig['tasks'] = [
  { name: 't0', cpu: 0 },
  { name: 't1', cpu: 1 },
];

const symmetryOf = (c: WorldConfig, a: Partial<Alphabet>) => taskSymmetry(c, fullAlphabet(a));

describe('taskSymmetry', () => {
  it.each([
    ['signals', { signal: true, signalInKernel: true, frameEdits: ['set_v' as const] }],
    ['ptrace', { ptrace: true, ptraceSyscall: true, ptracePayloads: true }],
    ['prctl', { prctl: true }],
    ['exec', { exec: true }],
  ])('interchanges tasks and CPUs with %s', (_name, alphabet) => {
    expect(symmetryOf(config(two), { user: ['sve'], preempt: true, ...alphabet })).toEqual({
      classes: [[0, 1]],
      cpus: true,
    });
  });

  it('keeps the tasks but not the CPUs with ptrace on three CPUs (PTRACE_CONT picks a CPU by number)', () => {
    expect(symmetryOf(config(two, 3), { ptrace: true })).toEqual({ classes: [[0, 1]], cpus: false });
    expect(symmetryOf(config(two, 3), { signal: true })).toEqual({ classes: [[0, 1]], cpus: true });
  });

  it('puts a single unborn task with the born tasks of its kind, several unborn tasks apart', () => {
    const parent = { name: 'parent', cpu: 0 };
    expect(symmetryOf(config([parent, { name: 'child', unborn: true }]), { fork: true })).toEqual({
      classes: [[0, 1]],
      cpus: true,
    });
    const tasks = [parent, { name: 'c1', unborn: true }, { name: 'c2', unborn: true }, { name: 'other' }];
    expect(symmetryOf(config(tasks), { fork: true })).toEqual({
      classes: [
        [0, 3],
        [1, 2],
      ],
      cpus: true,
    });
  });

  it('keeps tasks of different vector lengths apart', () => {
    const tasks = [...two, { name: 't2', sveVl: 32 }];
    expect(symmetryOf(config(tasks), { signal: true })?.classes).toEqual([[0, 1]]);
  });

  it('with vcpus, interchanges nothing unless asked; asked, keeps the VMMs out and interchanges the CPUs', () => {
    const tasks = [{ name: 'vmm', vmm: true, cpu: 0 }, { name: 'vmm2', vmm: true }, ...two];
    const vcpus = [
      { name: 'g0', vmm: 'vmm', sve: true },
      { name: 'g1', vmm: 'vmm2', sve: true },
    ];
    const alphabet = fullAlphabet({ kvmRun: true, kvmExit: true, signal: true });
    expect(taskSymmetry(config(tasks, 2, vcpus), alphabet)).toBeNull();
    expect(taskSymmetry(config(tasks, 2, vcpus), alphabet, { kvm: true })).toEqual({
      classes: [[2, 3]],
      cpus: true,
    });
  });
});

describe('stored relabellings', () => {
  // A packed frontier keeps a state's relabellings as two short lists and rebuilds the maps from
  // the state's world when it is expanded: the rebuilt relabelling must be the one the key was
  // taken under (the non-anchor signatures read events through it).
  it.each(['sched-sve.yaml', 'signals.yaml', 'fork-exec.yaml'])('%s: expand(compact(r)) is r', (file) => {
    let moved = 0;
    for (const n of sampleNodes(v64Explorer(file), 12, 14, 17)) {
      for (const rl of [n.relabel!, ...(n.ties ?? [])]) {
        const back = expandRelabelling(n.world, compactRelabelling(rl, n.world.machine.cpus.length));
        expect(back).toEqual(rl);
        if (rl.pid.size || rl.cpu.size) moved++;
      }
    }
    expect(moved).toBeGreaterThan(10);
  });

  it('is shared between states, but made anew for a world whose tasks are other ones', () => {
    // Relabellings are kept by their orders and the tasks they rename (symmetry.ts relabellingOf):
    // the same orders on a world of other task names or pids must rename those.
    const swap = [1, 0, 1, 0];
    const worlds = [
      createWorld(config(two), 'v6.4', null),
      createWorld(config(two), 'v6.4', null),
      createWorld(
        config([
          { name: 'u0', cpu: 0 },
          { name: 'u1', cpu: 1 },
        ]),
        'v6.4',
        null,
      ),
    ];
    const [a, again, other] = worlds.map((w) => expandRelabelling(w, swap));
    expect(again).toBe(a);
    expect([...a.name]).toEqual([
      ['t1', 't0'],
      ['t0', 't1'],
    ]);
    expect([...other.name]).toEqual([
      ['u1', 'u0'],
      ['u0', 'u1'],
    ]);
    expect([...other.cpu]).toEqual([
      [1, 0],
      [0, 1],
    ]);
    const renumbered = createWorld(config(two), 'v6.4', null);
    renumbered.users[0].pid += 10;
    expect(expandRelabelling(renumbered, swap).pid.get(renumbered.users[0].pid)).toBe(
      renumbered.users[1].pid,
    );
  });
});

describe('relabelled event keys', () => {
  // The search keeps one text per event and relabelling (search.ts relabelledKeyOf), found by the
  // event's own text and relabelledFields: those two must determine the relabelled event. Every
  // candidate of sampled states, under every relabelling met on the way (so that events meet
  // relabellings of other states), must give one text per pair, and the pairs must tell apart
  // every two texts.
  it.each(['sched-sve.yaml', 'signals.yaml', 'ptrace.yaml'])(
    '%s: determined by the event and relabelledFields',
    (file) => {
      const ex = v64Explorer(file);
      const nodes = sampleNodes(ex, 10, 12, 23);
      const relabellings = nodes.flatMap((n) => [n.relabel!, ...(n.ties ?? [])]);
      const byPair = new Map<string, string>();
      const texts = new Set<string>();
      for (const n of nodes)
        for (const ev of ex.candidatesOf(n, false))
          for (const r of relabellings) {
            const text = JSON.stringify(relabelEvent(ev, r));
            const pair = `${JSON.stringify(ev)} ${relabelledFields(ev, r)}`;
            expect(byPair.get(pair) ?? text).toBe(text);
            byPair.set(pair, text);
            texts.add(text);
          }
      expect(texts.size).toBeGreaterThan(10);
      expect(byPair.size).toBeGreaterThan(texts.size);
    },
  );
});

describe('symmetricKey', () => {
  // The key of a relabelled world is taken on the world itself, relabelled in place and put back
  // (no copy per state): the world must come back exactly as it was, sharing included (the packed
  // bytes number shared objects), and a second key must be the first.
  it.each(['sched-sve.yaml', 'signals.yaml', 'fork-exec.yaml', 'ptrace.yaml'])(
    '%s: taking a key leaves the world as it was',
    (file) => {
      const ex = v64Explorer(file);
      const sym = ex.symmetry!;
      const packer = new Packer();
      let moved = 0;
      for (const n of sampleNodes(ex, 10, 14, 23)) {
        const before = packer.pack(n.world).bytes;
        const first = symmetricKey(n.world, n.paths, sym);
        expect(packer.pack(n.world).bytes).toEqual(before);
        expect(symmetricKey(n.world, n.paths, sym).key).toEqual(first.key);
        if (first.relabel.pid.size || first.relabel.cpu.size) moved++;
      }
      expect(moved).toBeGreaterThan(5);
    },
  );
});
