// The preemption points: the generated list is the sources' (npm run points regenerates it and
// the README table), and a scenario's `to:` that names no point is an input error, one line,
// naming the file, the event and the nearest label.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { pointsTable, scanPoints } from '../scripts/points-scan.js';
import { PREEMPTION_POINTS } from './points.js';
import { parseScenarioText } from './scenario.js';

const root = join(import.meta.dirname, '../../..');

describe('preemption points', () => {
  it('the generated list has every point of the sources, one style (function:where)', () => {
    const generated = PREEMPTION_POINTS.map(({ label, function: fn, file }) => ({
      label,
      function: fn,
      file,
    }));
    expect(generated).toEqual(scanPoints(root));
    for (const p of PREEMPTION_POINTS) expect(p.label).toMatch(/^[\w]+:[^ ].*$/);
  });

  it('the README shows the generated list', () => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    expect(readme).toContain(pointsTable(PREEMPTION_POINTS));
  });

  it('a to: that names no point is an input error with the nearest label', () => {
    const text = JSON.stringify({
      title: 'misspelled stop',
      claim: 'a to: label with a typo must not run the path to its end',
      machine: { cpus: 1, features: { sve: true, sme: true, vhe: true } },
      tasks: [{ name: 'vmm', vmm: true, cpu: 0 }],
      vcpus: [{ name: 'g0', vmm: 'vmm', sve: false }],
      events: [
        { do: 'user', task: 'vmm', op: 'fpsimd' },
        { do: 'kvm_run', task: 'vmm', to: 'kvm_arch_vcpu_ioctl_run: loop top' },
      ],
    });
    expect(() => parseScenarioText('s.yaml', text)).toThrow(
      "s.yaml: events.1.to (kvm_run): expected a preemption point (see the README list), found 'kvm_arch_vcpu_ioctl_run: loop top'; nearest: 'kvm_arch_vcpu_ioctl_run:loop top'",
    );
  });
});
