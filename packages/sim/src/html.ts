// A scenario run as a page a person can look at: one lane per CPU, each step placed in the lane of
// the CPU it ran on with the kernel functions it ran (linked into the side-by-side reader), the
// bank moves, and who owns the registers on every CPU after it (fpsimd_last_state, the current
// task's TIF_FOREIGN_FPSTATE, and any other fact the CPU summary carries). Steps that broke an
// invariant are marked, and the page starts with links to them. A pure function of the result.

import type { RunResult, TraceStep } from './run.js';

export interface TraceHtmlOptions {
  /** Prefix of links into the reader, relative to where the page is written. Default '../reader/'. */
  readerBase?: string;
  /**
   * Function name -> page and anchor inside the reader (the reader writes this map as
   * functions.json). Names not in the map are not linked. Without a map every name links to the
   * reader's redirect page f/<name>.html.
   */
  functionPages?: Record<string, string>;
  /** The page title; default: the scenario title. */
  title?: string;
}

const esc = (text: string): string =>
  text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');

/** A CPU summary line ("cpu0 vmm:user EL0/host SVCR=0 last=vmm FOREIGN V=vmm#1") as fields. */
export interface CpuState {
  cpu: number;
  /** Who runs there: task:mode[@kernel path], or a kernel thread's name. */
  where: string;
  /** Exception level and world, e.g. EL1/guest. */
  level?: string;
  /** key=value facts in their order (SVCR, last, V, ...). */
  facts: [string, string][];
  /** Bare flags, e.g. FOREIGN. */
  flags: string[];
}

export function parseCpuSummary(line: string, fallbackCpu: number): CpuState {
  const words = line.trim().split(/\s+/);
  const head = /^cpu(\d+)$/.exec(words[0] ?? '');
  const rest = head ? words.slice(1) : words;
  const state: CpuState = {
    cpu: head ? Number(head[1]) : fallbackCpu,
    where: rest.shift() ?? '?',
    facts: [],
    flags: [],
  };
  for (const w of rest) {
    const eq = w.indexOf('=');
    if (eq > 0) state.facts.push([w.slice(0, eq), w.slice(eq + 1)]);
    else if (/^EL\d/.test(w)) state.level = w;
    else state.flags.push(w);
  }
  return state;
}

/** What a fact or flag of the summary is, in the kernel's names. */
const FACT_LABELS: Record<string, string> = {
  last: 'fpsimd_last_state',
  FOREIGN: 'TIF_FOREIGN_FPSTATE',
  SVCR: 'SVCR',
  fp_state: 'fp_state',
  fp_type: 'fp_type',
};

/** The CPU a step ran on: named in the event (cpu=N), or where its task or guest was. */
export function stepCpu(step: TraceStep, before: readonly CpuState[], after: readonly CpuState[]): number {
  const explicit = (step as TraceStep & { cpu?: unknown }).cpu;
  if (typeof explicit === 'number') return explicit;
  const fields = new Map<string, string>();
  for (const w of step.event.split(/\s+/).slice(1)) {
    const eq = w.indexOf('=');
    if (eq > 0) fields.set(w.slice(0, eq), w.slice(eq + 1));
  }
  const cpu = fields.get('cpu');
  if (cpu !== undefined && /^\d+$/.test(cpu)) return Number(cpu);
  const task = fields.get('task');
  if (task !== undefined) {
    for (const states of [before, after]) {
      const found = states.find((s) => s.where.split(':')[0] === task);
      if (found) return found.cpu;
    }
  }
  if (fields.has('vcpu')) {
    for (const states of [after, before]) {
      const guests = states.filter((s) => s.level?.endsWith('/guest') || s.where.includes('@guest'));
      if (guests.length === 1 && guests[0]) return guests[0].cpu;
    }
  }
  return 0;
}

const STYLE = `
:root { --bad: #cf222e; --ok: #1a7f37; --muted: #57606a; --line: #d0d7de; }
* { box-sizing: border-box; }
body { font: 13px/1.45 system-ui, sans-serif; margin: 0; color: #1f2328; }
header { padding: 10px 20px; background: #f6f8fa; border-bottom: 1px solid var(--line); }
header h1 { font-size: 18px; margin: 0 0 4px; }
main { padding: 10px 20px 40px; }
code, .mono { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: 12px; }
.badge { display: inline-block; padding: 0 7px; border-radius: 10px; border: 1px solid; font-size: 12px; }
.badge.passed { color: var(--ok); }
.badge.failed { color: var(--bad); }
.meta span { margin-right: 1.2em; color: var(--muted); }
ul.problems { margin: 6px 0 12px; padding-left: 20px; }
ul.problems li.violation-link a { color: var(--bad); font-weight: 600; }
table.timeline { border-collapse: collapse; width: 100%; table-layout: fixed; }
table.timeline th { position: sticky; top: 0; background: #fff; border-bottom: 2px solid var(--line); text-align: left; padding: 4px 6px; z-index: 1; }
table.timeline col.n { width: 3em; }
table.timeline col.event { width: 15em; }
table.timeline td { vertical-align: top; border-bottom: 1px solid var(--line); padding: 4px 6px; }
td.lane { border-left: 1px solid var(--line); }
td.lane.idle { color: var(--muted); }
td.lane.active { background: #f6f8ff; }
tr.step.violation td { background: #fff0f0; }
tr.step.violation td.n { border-left: 4px solid var(--bad); font-weight: 700; color: var(--bad); }
tr.step:target td { outline: 2px solid #f0c000; outline-offset: -2px; }
.fns a, .fns span { margin-right: .5em; white-space: nowrap; }
.fns a { color: #0969da; text-decoration: none; }
.fns a:hover { text-decoration: underline; }
.moves { margin-top: 3px; }
.move { display: inline-block; margin: 1px 3px 1px 0; padding: 0 5px; border-radius: 3px; font-family: ui-monospace, monospace; font-size: 11.5px; background: #eef1f4; }
.move.save { background: #ddf4ff; } .move.load { background: #dafbe1; } .move.flush { background: #fff8c5; }
.move.smstart, .move.smstop { background: #fbefff; }
.state { margin-top: 4px; font-family: ui-monospace, monospace; font-size: 11.5px; color: #3d444d; }
.state .fact { display: inline-block; margin-right: .8em; }
.state .fact.changed { background: #fff3b0; }
.state .owner { font-weight: 600; }
.state .flag.foreign { color: #9a6700; font-weight: 600; }
.invariant { margin-top: 4px; padding: 3px 6px; border: 1px solid var(--bad); border-radius: 4px; background: #ffebe9; color: #82071e; font-weight: 600; }
details summary { cursor: pointer; color: var(--muted); }
`.trimStart();

function functionLink(name: string, opts: TraceHtmlOptions): string {
  const base = opts.readerBase ?? '../reader/';
  const target = opts.functionPages ? opts.functionPages[name] : `f/${name}.html`;
  if (target === undefined) return `<span class="fn">${esc(name)}</span>`;
  return `<a class="fn" href="${esc(base + target)}">${esc(name)}</a>`;
}

const FNS_SHOWN = 14;

function functionsHtml(fns: readonly string[], opts: TraceHtmlOptions): string {
  if (!fns.length) return '';
  const links = fns.map((f) => functionLink(f, opts));
  const shown = links.slice(0, FNS_SHOWN).join(' ');
  const more =
    links.length > FNS_SHOWN
      ? ` <details><summary>${links.length - FNS_SHOWN} more</summary>${links.slice(FNS_SHOWN).join(' ')}</details>`
      : '';
  return `<div class="fns">${shown}${more}</div>`;
}

function movesHtml(moves: readonly string[]): string {
  if (!moves.length) return '';
  return `<div class="moves">${moves
    .map((m) => `<span class="move ${esc((m.split(' ')[0] ?? '').replace(/\W/g, ''))}">${esc(m)}</span>`)
    .join('')}</div>`;
}

function factValue(s: CpuState | undefined, key: string): string | undefined {
  if (!s) return undefined;
  if (key === '@where') return s.where;
  if (key === '@level') return s.level;
  if (key.startsWith('!')) return s.flags.includes(key.slice(1)) ? 'set' : undefined;
  return s.facts.find(([k]) => k === key)?.[1];
}

function stateHtml(s: CpuState, prev: CpuState | undefined): string {
  const part = (key: string, html: string, extraClass = ''): string => {
    const changed = prev !== undefined && factValue(prev, key) !== factValue(s, key);
    return `<span class="fact${extraClass}${changed ? ' changed' : ''}" data-fact="${esc(key)}">${html}</span>`;
  };
  const out = [part('@where', esc(s.where)), s.level ? part('@level', esc(s.level)) : ''];
  for (const [k, v] of s.facts) {
    const label = FACT_LABELS[k] ?? k;
    out.push(
      k === 'last'
        ? part(k, `${esc(label)} → <span class="owner">${esc(v)}</span>`)
        : part(k, `${esc(label)}=${esc(v)}`),
    );
  }
  for (const f of s.flags)
    out.push(part(`!${f}`, `<span class="flag ${esc(f.toLowerCase())}">${esc(FACT_LABELS[f] ?? f)}</span>`));
  // A flag that was set before and is clear now is a change too.
  for (const f of prev?.flags ?? [])
    if (!s.flags.includes(f))
      out.push(part(`!${f}`, `<span class="flag cleared"><s>${esc(FACT_LABELS[f] ?? f)}</s></span>`));
  return `<div class="state">${out.filter(Boolean).join('')}</div>`;
}

const invariantOf = (v: string): string => v.split(':')[0] ?? v;

export function renderTraceHtml(result: RunResult, opts: TraceHtmlOptions = {}): string {
  const states = result.steps.map((s) => s.cpus.map((c, i) => parseCpuSummary(c, i)));
  const ncpu = Math.max(1, ...states.map((s) => s.length));
  const lanes = Array.from({ length: ncpu }, (_, i) => i);

  const rows = result.steps.map((step, si) => {
    const after = states[si] ?? [];
    const before = si > 0 ? (states[si - 1] ?? []) : [];
    const cpu = stepCpu(step, before, after);
    const bad = step.violations.length > 0;
    const cells = lanes.map((i) => {
      const s = after.find((x) => x.cpu === i);
      const prev = si > 0 ? before.find((x) => x.cpu === i) : undefined;
      const active = i === cpu;
      const body = active
        ? functionsHtml(step.functions, opts) +
          movesHtml(step.moves) +
          step.violations
            .map((v) => `<div class="invariant" data-invariant="${esc(invariantOf(v))}">✗ ${esc(v)}</div>`)
            .join('')
        : '';
      return `<td class="lane ${active ? 'active' : 'idle'}" data-cpu="${i}">${body}${s ? stateHtml(s, prev) : ''}</td>`;
    });
    return (
      `<tr class="step${bad ? ' violation' : ''}" id="step-${step.n}" data-cpu="${cpu}">` +
      `<td class="n">${step.n}</td><td class="event mono">${esc(step.event)}</td>${cells.join('')}</tr>`
    );
  });

  const badSteps = result.steps.filter((s) => s.violations.length > 0);
  const problems = [
    ...badSteps.flatMap((s) =>
      s.violations.map(
        (v) =>
          `<li class="violation-link"><a href="#step-${s.n}">step ${s.n}: ${esc(invariantOf(v))}</a> ${esc(v.slice(invariantOf(v).length + 1).trim())}</li>`,
      ),
    ),
    ...result.findings.map((f) => `<li class="finding">finding: ${esc(f)}</li>`),
    ...result.failures.map((f) => `<li class="failure">expectation not met: ${esc(f)}</li>`),
  ];
  const t = result.totals;
  const title = opts.title ?? result.title;
  const header = [
    `<h1>${esc(title)}</h1>`,
    '<div class="meta">',
    `<span class="badge ${result.passed ? 'passed' : 'failed'}">${result.passed ? 'expectations met' : 'expectations NOT met'}</span> `,
    `<span>revision ${esc(result.revision)}${result.mutant ? `, mutant <code>${esc(result.mutant)}</code>` : ''}</span>`,
    `<span>${result.steps.length} steps on ${ncpu} CPU${ncpu === 1 ? '' : 's'}</span>`,
    `<span>moves: save ${t.save}, load ${t.load}, flush ${t.flush}, smstart ${t.smstart}, smstop ${t.smstop}</span>`,
    `<span>violations: ${result.violations.length ? esc([...new Set(result.violations.map((v) => v.invariant))].join(', ')) : 'none'}</span>`,
    '</div>',
  ].join('');
  const cols = `<colgroup><col class="n"><col class="event">${lanes.map(() => '<col>').join('')}</colgroup>`;
  const head = `<thead><tr><th>#</th><th>event</th>${lanes.map((i) => `<th class="lane-head">CPU ${i}</th>`).join('')}</tr></thead>`;
  return [
    '<!doctype html>',
    '<html lang="en"><head><meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${esc(title)} — kvmfp trace</title>`,
    `<style>${STYLE}</style>`,
    '</head><body>',
    `<header>${header}</header>`,
    '<main>',
    problems.length ? `<ul class="problems">${problems.join('')}</ul>` : '',
    `<table class="timeline">${cols}${head}<tbody>`,
    rows.join('\n'),
    '</tbody></table>',
    '</main></body></html>',
    '',
  ].join('\n');
}
