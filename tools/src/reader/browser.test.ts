// The reader and the trace page in headless Chromium (Debian's /usr/bin/chromium driven by
// playwright-core). The reader is built into a temporary directory from the v6.4 tree read through
// `git show`; the checks are structural (both sides present, links land on their targets), so no
// kernel text is part of this file. Screenshots go to tools/test-output/screenshots/.

import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { RunResult } from '@kvmfp/sim';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { capture } from '../shared/cli.js';
import {
  haveV64,
  skipNote,
  V64_COMMIT,
  V64_GIT_DIR,
  V64_MISSING,
  WORKSPACE_ROOT,
} from '../shared/test-support.js';
import { readerCli } from './main.js';

const CHROMIUM = process.env['KVMFP_CHROMIUM'] ?? '/usr/bin/chromium';
const haveChromium = existsSync(CHROMIUM);
const CHROMIUM_MISSING = `no browser at ${CHROMIUM}; .ci/system-deps.sh installs Debian's chromium`;
const SCREENSHOTS = join(import.meta.dirname, '../../test-output/screenshots');
const TEST_TIMEOUT = 20_000;
const DEMO = join(import.meta.dirname, '../manifest/testdata');

const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

interface TraceHtmlOptions {
  readerBase?: string;
  functionPages?: Record<string, string>;
}
type RenderTraceHtml = (r: RunResult, opts?: TraceHtmlOptions) => string;

/** The sim's trace renderer, loaded from its source file (it needs nothing else of the sim). */
async function loadRenderTraceHtml(): Promise<RenderTraceHtml> {
  const url = pathToFileURL(join(WORKSPACE_ROOT, 'packages/sim/src/html.ts')).href;
  const mod = (await import(url)) as { renderTraceHtml: RenderTraceHtml };
  return mod.renderTraceHtml;
}

/**
 * A run of two tasks on two CPUs where a context switch leaves the other task's values in the
 * registers: the shape `kvmfp run` reports, built here so the page test does not depend on which
 * scenarios and mutants the sim has.
 */
const FAILING_RUN: RunResult = {
  title: 'A context switch leaves the previous task values in the registers',
  revision: 'v6.4',
  mutant: 'demo-skip-save',
  steps: [
    {
      n: 1,
      event: 'user task=a op=fpsimd',
      functions: [],
      moves: [],
      violations: [],
      cpus: ['cpu0 a:user EL0/host SVCR=0 last=a V=a#1', 'cpu1 b:user EL0/host SVCR=0 last=- V=zero'],
    },
    {
      n: 2,
      event: 'user task=b op=fpsimd',
      functions: ['do_fpsimd_acc', 'fpsimd_bind_task_to_cpu'],
      moves: ['load fpsimd'],
      violations: [],
      cpus: ['cpu0 a:user EL0/host SVCR=0 last=a V=a#1', 'cpu1 b:user EL0/host SVCR=0 last=b V=b#1'],
    },
    {
      n: 3,
      event: 'preempt cpu=0 next=b',
      functions: ['fpsimd_thread_switch', 'fpsimd_save', 'fpsimd_save_state'],
      moves: ['save fpsimd'],
      violations: [],
      cpus: [
        'cpu0 b:kernel EL1/host SVCR=0 last=a FOREIGN V=a#1',
        'cpu1 c:user EL0/host SVCR=0 last=b V=b#1',
      ],
    },
    {
      n: 4,
      event: 'step cpu=0',
      functions: ['fpsimd_restore_current_state', 'task_fpsimd_load'],
      moves: [],
      violations: ['user-sees-own-registers: b on CPU 0: V = a#1'],
      cpus: ['cpu0 b:user EL0/host SVCR=0 last=a V=a#1', 'cpu1 c:user EL0/host SVCR=0 last=b V=b#1'],
    },
  ],
  totals: { save: 1, load: 1, flush: 0, smstart: 0, smstop: 0 },
  violations: [{ invariant: 'user-sees-own-registers', detail: 'b on CPU 0: V = a#1', step: 4 }],
  findings: [],
  failures: ['violations: expected [], got [user-sees-own-registers]'],
  passed: false,
  observeOnly: false,
  unexpectedlyDisabled: [],
};

let context: BrowserContext | undefined;
let page: Page;
let site = '';
let userData = '';
let reader = '';
let functions: Record<string, string> = {};

async function shot(name: string): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOTS, name), fullPage: false });
}

/** A file:// URL of a page in the site, with its #fragment kept as a fragment. */
function url(rel: string): string {
  const [path, hash] = rel.split('#');
  return pathToFileURL(join(site, path ?? '')).href + (hash === undefined ? '' : `#${hash}`);
}

/** The id of the element the URL's fragment points at, as the browser sees it. */
const targetId = async (): Promise<string | undefined> =>
  (await page.locator(':target').count())
    ? ((await page.locator(':target').first().getAttribute('id')) ?? undefined)
    : undefined;

describe.skipIf(!haveChromium)(
  `reader and trace pages in Chromium${skipNote(haveChromium, CHROMIUM_MISSING)}`,
  () => {
    beforeAll(async () => {
      site = mkdtempSync(join(tmpdir(), 'reader-browser-'));
      userData = mkdtempSync(join(tmpdir(), 'chromium-profile-'));
      reader = join(site, 'reader');
      if (haveV64) {
        const r = await capture('read', readerCli, [
          '--git-dir',
          V64_GIT_DIR,
          '--commit',
          V64_COMMIT,
          '--out',
          reader,
          '--no-run-fixtures',
        ]);
        if (r.status !== 0) throw new Error(`read failed: ${r.stderr}`);
        functions = JSON.parse(readFileSync(join(reader, 'functions.json'), 'utf8')) as Record<
          string,
          string
        >;
      }
      // The manifest tool's made-up demo package and tree: text this repository owns, so its
      // screenshot can go into docs/.
      const demo = await capture('read', readerCli, [
        '--kernel-tree',
        join(DEMO, 'tree'),
        '--manifest',
        join(DEMO, 'pkg/manifest.json'),
        '--out',
        join(site, 'demo'),
        '--no-run-fixtures',
      ]);
      if (demo.status !== 0) throw new Error(`read (demo) failed: ${demo.stderr}`);
      const render = await loadRenderTraceHtml();
      mkdirSync(join(site, 'trace'), { recursive: true });
      writeFileSync(
        join(site, 'trace/index.html'),
        render(FAILING_RUN, haveV64 ? { readerBase: '../reader/', functionPages: functions } : {}),
      );
      context = await chromium.launchPersistentContext(userData, {
        executablePath: CHROMIUM,
        headless: true,
        args: CHROMIUM_ARGS,
        viewport: { width: 1400, height: 900 },
      });
      page = context.pages()[0] ?? (await context.newPage());
    }, 240_000);

    afterAll(async () => {
      await context?.close();
      if (userData) rmSync(userData, { recursive: true, force: true });
      if (site) rmSync(site, { recursive: true, force: true });
    });

    it(
      'the demo site shows a port beside its made-up kernel file, with a drifted revision',
      async () => {
        await page.goto(url('demo/arch_demo_demo.c.html#demo_flush'));
        expect(await targetId()).toBe('demo_flush');
        const flush = page.locator('section.fn[id="demo_flush"]');
        expect(await flush.locator('td.code.k:not(.gap)').count()).toBeGreaterThan(1);
        expect(await flush.locator('td.code.t:not(.gap)').count()).toBeGreaterThan(1);
        expect(await page.locator('[id="demo_bump@v6.3"] .badge.status').textContent()).toBe(
          'drifted from v6.3',
        );
        await flush.locator('td.code.t a.call', { hasText: 'demo_bump' }).click();
        await page.waitForURL((u) => u.hash === '#demo_bump@v6.4');
        expect(await targetId()).toBe('demo_bump@v6.4');
        await page.goto(url('demo/arch_demo_demo.c.html'));
        await shot('reader-demo.png');
      },
      TEST_TIMEOUT,
    );

    it.skipIf(!haveV64)(
      `the reader opens on its index${skipNote(haveV64, V64_MISSING)}`,
      async () => {
        await page.goto(url('reader/index.html'));
        expect(await page.title()).toBe('kvmfp reader');
        const files = await page.locator('h2.kernel-file').count();
        expect(files).toBeGreaterThan(0);
        const rows = await page.locator('table.index tbody tr').count();
        expect(rows).toBe(await page.locator('table.index .badge.status').count());
        expect(await page.locator('.summary').textContent()).toMatch(/\d+ entries/);
        await shot('reader-index.png');
      },
      TEST_TIMEOUT,
    );

    /** A ported function that calls another ported function, from the site's own map. */
    function callerWithCallee(): { name: string; target: string } {
      const preferred = ['fpsimd_save', 'task_fpsimd_load', 'fpsimd_thread_switch'];
      for (const name of [...preferred, ...Object.keys(functions)]) {
        const target = functions[name];
        if (!target) continue;
        const [file, anchor] = target.split('#');
        const html = readFileSync(join(reader, file ?? ''), 'utf8');
        const section = html.slice(html.indexOf(`id="${anchor}"`));
        if (/<td class="code t">.*?<a class="call"/s.test(section.slice(0, section.indexOf('</table>'))))
          return { name, target };
      }
      throw new Error('no ported function with a call link');
    }

    it.skipIf(!haveV64)(
      `a function page shows the kernel function beside the port${skipNote(haveV64, V64_MISSING)}`,
      async () => {
        const { name, target } = callerWithCallee();
        await page.goto(url(`reader/${target}`));
        expect(await targetId()).toBe(name);
        const block = page.locator(`section.fn[id="${name}"] .rev-block`).first();
        expect(await block.locator('.badge.status').textContent()).toBe('matches v6.4');
        const kernelHead = (await block.locator('th.k-head').textContent()) ?? '';
        expect(kernelHead).toContain(V64_COMMIT.slice(0, 12));
        // Both sides have code, the kernel side from the tree (its first line numbered as the
        // header says), the port side from the TS file; and some rows are paired.
        const kernelLines = await block.locator('td.code.k:not(.gap)').allTextContents();
        const portLines = await block.locator('td.code.t:not(.gap)').allTextContents();
        expect(kernelLines.length).toBeGreaterThan(3);
        expect(portLines.length).toBeGreaterThan(3);
        expect(kernelLines.some((l) => l.includes(name))).toBe(true);
        expect(portLines.some((l) => l.includes(`function ${name}`) || l.includes(`function* ${name}`))).toBe(
          true,
        );
        const firstLine = /:(\d+)/.exec(kernelHead)?.[1];
        expect(kernelHead).toMatch(/kernel arch\/arm64\/\S+:\d+/);
        expect(await block.locator('tbody td.ln').allTextContents()).toContain(firstLine);
        expect(await block.locator('tr.m').count()).toBeGreaterThan(2);
        // Highlighted: shiki colours on both sides.
        expect(await block.locator('td.code.k span[style*="color"]').count()).toBeGreaterThan(0);
        expect(await block.locator('td.code.t span[style*="color"]').count()).toBeGreaterThan(0);
        await shot('reader-function.png');
      },
      TEST_TIMEOUT,
    );

    it.skipIf(!haveV64)(
      `a call link lands on the callee, and the callee lists its caller${skipNote(haveV64, V64_MISSING)}`,
      async () => {
        const { name, target } = callerWithCallee();
        await page.goto(url(`reader/${target}`));
        const link = page.locator(`section.fn[id="${name}"] td.code.t a.call`).first();
        const callee = (await link.textContent()) ?? '';
        const href = (await link.getAttribute('href')) ?? '';
        await link.click();
        await page.waitForURL((u) => u.hash === `#${href.split('#')[1]}`);
        const landed = await targetId();
        expect(landed === callee || landed?.startsWith(`${callee}@`)).toBe(true);
        expect(await page.locator(':target dd.called-by a', { hasText: name }).count()).toBeGreaterThan(0);
        expect(await page.locator(`[id="${landed}"]`).isVisible()).toBe(true);
        await shot('reader-call-link.png');
        // And back: the "called by" link returns to the caller.
        await page.locator(':target dd.called-by a', { hasText: name }).first().click();
        await page.waitForURL((u) => u.hash === `#${name}` || u.hash.startsWith(`#${name}@`));
        expect((await targetId())?.split('@')[0]).toBe(name);
      },
      TEST_TIMEOUT,
    );

    it(
      'a trace page shows CPU lanes and highlights the failing invariant',
      async () => {
        await page.goto(url('trace/index.html'));
        expect(await page.locator('th.lane-head').allTextContents()).toEqual(['CPU 0', 'CPU 1']);
        const bad = page.locator('tr.step.violation');
        expect(await bad.count()).toBe(1);
        expect(await bad.getAttribute('id')).toBe('step-4');
        const invariant = bad.locator('td.lane.active .invariant');
        expect(await invariant.getAttribute('data-invariant')).toBe('user-sees-own-registers');
        expect(await invariant.isVisible()).toBe(true);
        const colour = await invariant.evaluate(
          (el) =>
            (
              globalThis as unknown as { getComputedStyle(e: unknown): { borderTopColor: string } }
            ).getComputedStyle(el).borderTopColor,
        );
        expect(colour).toBe('rgb(207, 34, 46)');
        // The step ran on CPU 0; register ownership is shown in every lane.
        expect(await bad.getAttribute('data-cpu')).toBe('0');
        expect(await page.locator('#step-3 td.lane[data-cpu="0"] .flag.foreign').textContent()).toBe(
          'TIF_FOREIGN_FPSTATE',
        );
        expect(
          await page.locator('#step-2 td.lane[data-cpu="1"] .fact.changed[data-fact="last"]').textContent(),
        ).toBe('fpsimd_last_state → b');
        // The page starts with a link to the violation.
        await page.locator('li.violation-link a').click();
        expect(await targetId()).toBe('step-4');
        await shot('trace.png');
      },
      TEST_TIMEOUT,
    );

    it.skipIf(!haveV64)(
      `a function in the trace links into the reader${skipNote(haveV64, V64_MISSING)}`,
      async () => {
        await page.goto(url('trace/index.html'));
        const link = page.locator('#step-3 a.fn').filter({ hasText: /^fpsimd_save$/ });
        expect(await link.count()).toBe(1);
        await link.click();
        await page.waitForURL((u) => u.hash === '#fpsimd_save');
        expect(await targetId()).toBe('fpsimd_save');
        expect(await page.locator('section.fn:target td.code.k').count()).toBeGreaterThan(3);
      },
      TEST_TIMEOUT,
    );
  },
);
