// The reader's HTML: an index by kernel file, one page per kernel file with every ported function
// in kernel order (the kernel text beside the port, aligned row by row), and small pages that send
// a bare function name to its place (what scenario traces link to).

import { alignLines } from './align.js';
import { escapeHtml as esc, highlightLines, type Linker } from './highlight.js';
import { hrefOf, type KernelFilePage, type ReaderEntry, type ReaderModel } from './model.js';

export const STYLESHEET = 'reader.css';

export const CSS = `
:root { --ok: #1a7f37; --warn: #9a6700; --bad: #cf222e; --muted: #57606a; --line: #d0d7de; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, sans-serif; margin: 0; color: #1f2328; background: #fff; }
header.top { padding: 10px 20px; border-bottom: 1px solid var(--line); background: #f6f8fa; position: sticky; top: 0; z-index: 2; }
header.top a { margin-right: 1em; }
main { padding: 10px 20px 40px; }
h1 { font-size: 20px; margin: 8px 0; }
h1 code { font-size: inherit; }
h2 { font-size: 17px; margin: 28px 0 6px; font-family: ui-monospace, monospace; }
a { color: #0969da; text-decoration: none; }
a:hover { text-decoration: underline; }
code, .code, td.ln { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: 12.5px; }
.badge { display: inline-block; padding: 0 7px; border-radius: 10px; font-size: 12px; border: 1px solid; white-space: nowrap; }
.badge.matches { color: var(--ok); border-color: var(--ok); }
.badge.drifted { color: var(--warn); border-color: var(--warn); }
.badge.not-found { color: var(--bad); border-color: var(--bad); }
.badge.no-hash { color: var(--muted); border-color: var(--muted); }
.badge.rev { color: var(--muted); border-color: var(--line); }
.meta { color: var(--muted); margin: 4px 0 8px; }
.meta span { margin-right: 1.2em; }
table.side { border-collapse: collapse; width: 100%; table-layout: fixed; border: 1px solid var(--line); }
table.side th { text-align: left; font-weight: 600; background: #f6f8fa; padding: 4px 8px; border-bottom: 1px solid var(--line); }
table.side col.ln { width: 3.6em; }
table.side td { vertical-align: top; padding: 0 8px; white-space: pre-wrap; word-break: break-word; }
table.side td.ln { color: #8c959f; text-align: right; user-select: none; padding-right: 6px; }
table.side td.k { border-right: 1px solid var(--line); }
table.side tr.m td.code { background: #f6fff8; }
table.side td.gap { background: repeating-linear-gradient(135deg, #fafbfc, #fafbfc 4px, #f3f4f6 4px, #f3f4f6 8px); }
table.side .missing { color: var(--bad); font-style: italic; }
a.call { text-decoration: underline dotted; }
.rev-block { margin-bottom: 18px; scroll-margin-top: 60px; }
section.fn { scroll-margin-top: 60px; }
section.fn:target > h2, .rev-block:target { outline: 3px solid #fff3b0; background: #fffbe6; }
.xref { display: grid; grid-template-columns: 8em 1fr; gap: 2px 10px; margin-top: 6px; }
.xref dt { color: var(--muted); }
.xref dd { margin: 0; }
.xref dd a { margin-right: .8em; }
.none { color: var(--muted); }
table.index { border-collapse: collapse; margin-bottom: 10px; }
table.index td, table.index th { padding: 2px 10px 2px 0; text-align: left; }
table.index th { color: var(--muted); font-weight: 500; }
nav.toc { columns: 3 18em; font-family: ui-monospace, monospace; font-size: 12.5px; margin: 6px 0 12px; }
nav.toc a { display: block; }
.summary span { margin-right: 1em; }
`.trimStart();

const badgeClass = (e: ReaderEntry): string => e.status.replace(' ', '-');

function badge(e: ReaderEntry): string {
  return `<span class="badge status ${badgeClass(e)}" data-status="${esc(e.status)}">${esc(e.statusText)}</span>`;
}

function page(title: string, body: string, nav: string): string {
  return [
    '<!doctype html>',
    '<html lang="en"><head><meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${esc(title)}</title>`,
    `<link rel="stylesheet" href="${STYLESHEET}">`,
    '</head><body>',
    `<header class="top">${nav}</header>`,
    `<main>${body}</main>`,
    '</body></html>',
    '',
  ].join('\n');
}

const TOP_NAV = '<a href="index.html">index</a>';

function entryLinks(list: readonly ReaderEntry[], from: ReaderEntry): string {
  if (!list.length) return '<span class="none">none</span>';
  return list
    .map((x) => {
      const label =
        x.entry.function + (x.entry.revision !== from.entry.revision ? ` (${x.entry.revision})` : '');
      return `<a class="xref-link" href="${esc(hrefOf(x))}">${esc(label)}</a>`;
    })
    .join(' ');
}

function fixturesHtml(e: ReaderEntry): string {
  const parts: string[] = [];
  for (const n of e.fixtures.named)
    parts.push(`<span class="fixture named"><code>${esc(n.file)}</code>:${n.lines.join(',')}</span>`);
  for (const r of e.fixtures.ran)
    parts.push(
      `<span class="fixture ran">ran in <q>${esc(r.scenario)}</q> (<code>${esc(r.source)}</code>, step ${r.steps.join(', ')})</span>`,
    );
  return parts.length ? parts.join('<br>') : '<span class="none">none found</span>';
}

interface Linkers {
  ts: Linker;
  c: Linker;
}

function linkersFor(e: ReaderEntry, byFunction: Map<string, ReaderEntry[]>): Linkers {
  const callees = new Map<string, ReaderEntry>();
  for (const c of e.calls) {
    callees.set(c.entry.tsSymbol ?? c.entry.function, c);
    callees.set(c.entry.function, c);
  }
  return {
    ts: (w) => {
      const c = callees.get(w);
      return c ? hrefOf(c) : undefined;
    },
    c: (w) => {
      if (w === e.entry.function) return undefined;
      const c =
        callees.get(w) ??
        byFunction.get(w)?.find((x) => x.entry.revision === e.entry.revision) ??
        byFunction.get(w)?.[0];
      return c ? hrefOf(c) : undefined;
    },
  };
}

function trimTrailingEmpty(lines: string[]): string[] {
  const out = [...lines];
  while (out.length && out[out.length - 1]?.trim() === '') out.pop();
  return out;
}

async function sideBySide(e: ReaderEntry, link: Linkers, sourceLabel: string): Promise<string> {
  const cText = e.kernel.status === 'found' ? e.kernel.fn.text : undefined;
  const tText = e.ts?.text;
  const cLines = cText === undefined ? [] : trimTrailingEmpty(cText.split('\n'));
  const tLines = tText === undefined ? [] : trimTrailingEmpty(tText.split('\n'));
  const cHtml = cText === undefined ? [] : await highlightLines(cLines.join('\n'), 'c', link.c);
  const tHtml = tText === undefined ? [] : await highlightLines(tLines.join('\n'), 'typescript', link.ts);
  const cStart = e.kernel.status === 'found' ? e.kernel.fn.line : 1;
  const tStart = e.ts?.line ?? 1;

  const kernelHead =
    e.kernel.status === 'found'
      ? `kernel <code>${esc(e.entry.kernelPath)}:${cStart}</code> <span class="none">(${esc(sourceLabel)})</span>`
      : `kernel <code>${esc(e.entry.kernelPath)}</code>`;
  const tsHead = e.tsPath
    ? `TypeScript <code>${esc(e.tsPath)}${e.ts ? `:${tStart}` : ''}</code>`
    : 'TypeScript';
  const head = `<thead><tr><th colspan="2" class="k-head">${kernelHead}</th><th colspan="2" class="t-head">${tsHead}</th></tr></thead>`;
  const cols = '<colgroup><col class="ln"><col><col class="ln"><col></colgroup>';

  let rows: string;
  if (cText !== undefined && tText !== undefined) {
    rows = alignLines(cLines, tLines)
      .map((r) => {
        const left =
          r.left === undefined
            ? '<td class="ln"></td><td class="code k gap"></td>'
            : `<td class="ln">${cStart + r.left}</td><td class="code k">${cHtml[r.left] ?? ''}</td>`;
        const right =
          r.right === undefined
            ? '<td class="ln"></td><td class="code t gap"></td>'
            : `<td class="ln">${tStart + r.right}</td><td class="code t">${tHtml[r.right] ?? ''}</td>`;
        return `<tr${r.matched ? ' class="m"' : ''}>${left}${right}</tr>`;
      })
      .join('\n');
  } else {
    const missingC = `<span class="missing">${esc(e.statusText)} in ${esc(sourceLabel)}</span>`;
    const missingT = e.tsProblem
      ? `<span class="missing">${esc(e.tsProblem)}</span>`
      : '<span class="missing">configuration, not ported</span>';
    const n = Math.max(cLines.length, tLines.length, 1);
    const out: string[] = [];
    for (let i = 0; i < n; i++) {
      const left =
        cText === undefined
          ? i === 0
            ? `<td class="ln"></td><td class="code k">${missingC}</td>`
            : '<td class="ln"></td><td class="code k gap"></td>'
          : i < cLines.length
            ? `<td class="ln">${cStart + i}</td><td class="code k">${cHtml[i] ?? ''}</td>`
            : '<td class="ln"></td><td class="code k gap"></td>';
      const right =
        tText === undefined
          ? i === 0
            ? `<td class="ln"></td><td class="code t">${missingT}</td>`
            : '<td class="ln"></td><td class="code t gap"></td>'
          : i < tLines.length
            ? `<td class="ln">${tStart + i}</td><td class="code t">${tHtml[i] ?? ''}</td>`
            : '<td class="ln"></td><td class="code t gap"></td>';
      out.push(`<tr>${left}${right}</tr>`);
    }
    rows = out.join('\n');
  }
  return `<table class="side">${cols}${head}<tbody>\n${rows}\n</tbody></table>`;
}

async function revisionBlock(
  e: ReaderEntry,
  byFunction: Map<string, ReaderEntry[]>,
  sourceLabel: string,
  ownAnchor: boolean,
): Promise<string> {
  const x = e.entry;
  const computed = e.kernel.status === 'found' ? e.kernel.hash : undefined;
  const meta = [
    `<span class="badge rev">${esc(x.revision)}</span>`,
    badge(e),
    `<span>${esc(e.pkg)}</span>`,
    x.kind === 'configuration' ? '<span>configuration, not ported</span>' : '',
    `<span>hash recorded <code>${esc(x.bodyHash ?? '-')}</code>, in this tree <code>${esc(computed ?? '-')}</code></span>`,
    x.readFrom
      ? `<span>read from <code>${esc(x.readFrom.repo)}@${esc(x.readFrom.commit.slice(0, 12))}</code></span>`
      : '',
    x.note ? `<span>note: ${esc(x.note)}</span>` : '',
  ]
    .filter(Boolean)
    .join(' ');
  const table = await sideBySide(e, linkersFor(e, byFunction), sourceLabel);
  const xref = [
    '<dl class="xref">',
    `<dt>calls</dt><dd class="calls">${entryLinks(e.calls, e)}</dd>`,
    `<dt>called by</dt><dd class="called-by">${entryLinks(e.calledBy, e)}</dd>`,
    `<dt>fixtures</dt><dd class="fixtures">${fixturesHtml(e)}</dd>`,
    '</dl>',
  ].join('');
  const id = ownAnchor ? ` id="${esc(e.anchor)}"` : '';
  return `<div class="rev-block"${id} data-revision="${esc(x.revision)}" data-status="${esc(e.status)}"><div class="meta">${meta}</div>${table}${xref}</div>`;
}

export async function renderFilePage(
  file: KernelFilePage,
  model: ReaderModel,
  byFunction: Map<string, ReaderEntry[]>,
): Promise<string> {
  const toc = file.functions.map((f) => `<a href="#${esc(f.name)}">${esc(f.name)}</a>`).join('');
  const sections: string[] = [];
  for (const f of file.functions) {
    const several = f.entries.length > 1;
    const blocks: string[] = [];
    for (const e of f.entries) blocks.push(await revisionBlock(e, byFunction, model.sourceLabel, several));
    sections.push(
      `<section class="fn" id="${esc(f.name)}"><h2><a href="#${esc(f.name)}">${esc(f.name)}</a></h2>${blocks.join('\n')}</section>`,
    );
  }
  const body = [
    `<h1><code>${esc(file.kernelPath)}</code></h1>`,
    `<p class="meta">${file.functions.length} functions in kernel order; kernel text read from ${esc(model.sourceLabel)} when this site was built.</p>`,
    `<nav class="toc">${toc}</nav>`,
    ...sections,
  ].join('\n');
  return page(`${file.kernelPath} — kvmfp reader`, body, `${TOP_NAV}<code>${esc(file.kernelPath)}</code>`);
}

export function renderIndex(model: ReaderModel): string {
  const count = (s: ReaderEntry['status']): number => model.entries.filter((e) => e.status === s).length;
  const summary = [
    `<span>${model.entries.length} entries</span>`,
    `<span class="badge matches">${count('matches')} match</span>`,
    `<span class="badge drifted">${count('drifted')} drifted</span>`,
    `<span class="badge not-found">${count('not found')} not found</span>`,
    count('no hash') ? `<span class="badge no-hash">${count('no hash')} without a hash</span>` : '',
  ].join(' ');
  const files = model.files.map((f) => {
    const rows = f.functions.flatMap((g) =>
      g.entries.map(
        (e) =>
          `<tr data-function="${esc(e.entry.function)}"><td><a href="${esc(hrefOf(e))}"><code>${esc(e.entry.function)}</code></a></td>` +
          `<td><span class="badge rev">${esc(e.entry.revision)}</span></td><td>${badge(e)}</td>` +
          `<td><code>${esc(e.tsPath ?? '-')}</code></td>` +
          `<td>${e.calls.length} calls, ${e.calledBy.length} callers</td>` +
          `<td>${e.fixtures.named.length + e.fixtures.ran.length} fixtures</td></tr>`,
      ),
    );
    return (
      `<h2 class="kernel-file"><a href="${esc(f.page)}">${esc(f.kernelPath)}</a></h2>` +
      `<table class="index"><thead><tr><th>function</th><th>revision</th><th>status</th><th>port</th><th>calls</th><th>fixtures</th></tr></thead><tbody>${rows.join('')}</tbody></table>`
    );
  });
  const body = [
    '<h1>kvm-fp-port: the port beside the kernel</h1>',
    `<p class="meta">Kernel text read from ${esc(model.sourceLabel)} when this site was built; it is not part of the repository.</p>`,
    `<p class="summary">${summary}</p>`,
    ...files,
  ].join('\n');
  return page('kvmfp reader', body, `${TOP_NAV}<span class="none">${esc(model.sourceLabel)}</span>`);
}

/** A page at f/<name>.html that sends a bare function name on to its place. */
export function renderRedirect(target: string): string {
  const href = `../${target}`;
  return [
    '<!doctype html>',
    `<html lang="en"><head><meta charset="utf-8"><meta http-equiv="refresh" content="0; url=${esc(href)}">`,
    `<title>${esc(target)}</title></head>`,
    `<body><a href="${esc(href)}">${esc(target)}</a><script>location.replace(${JSON.stringify(href)})</script></body></html>`,
    '',
  ].join('\n');
}
