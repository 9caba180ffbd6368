// The main-thread side of cli-worker.ts: run a command line with a timeout that holds even if the
// CLI never yields (the worker is terminated and a fresh one started for the next case).

import { Worker } from 'node:worker_threads';
import type { CliRun } from './cli-harness.js';

export class CliInWorker {
  private worker!: Worker;
  private ready!: Promise<void>;
  private nextId = 0;
  private pending = new Map<number, (r: CliRun) => void>();

  constructor() {
    this.start();
  }

  private start(): void {
    const tsx = import.meta.resolve('tsx/esm/api');
    const target = new URL('./cli-worker.ts', import.meta.url).href;
    const boot = `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(target)}); })`;
    const w = new Worker(boot, { eval: true, execArgv: ['--conditions=@kvmfp/source'] });
    this.worker = w;
    this.ready = new Promise((resolve, reject) => {
      w.once('error', reject);
      w.on('message', (m: 'ready' | (CliRun & { id: number })) => {
        if (m === 'ready') return resolve();
        this.pending.get(m.id)?.(m);
        this.pending.delete(m.id);
      });
    });
  }

  /** The run, or 'timeout' when it took longer than `ms` (the worker is then replaced). */
  async run(argv: string[], ms: number): Promise<CliRun | 'timeout'> {
    await this.ready;
    const id = this.nextId++;
    let timer: NodeJS.Timeout | undefined;
    const result = await Promise.race([
      new Promise<CliRun>((resolve) => {
        this.pending.set(id, resolve);
        this.worker.postMessage({ id, argv });
      }),
      new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), ms))),
    ]);
    clearTimeout(timer);
    if (result === 'timeout') {
      this.pending.delete(id);
      void this.worker.terminate();
      this.start();
    }
    return result;
  }

  async close(): Promise<void> {
    await this.worker.terminate();
  }
}
