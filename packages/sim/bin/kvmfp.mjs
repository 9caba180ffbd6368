#!/usr/bin/env node
// The `kvmfp` command: runs the CLI from its TypeScript source in this very process, so nothing
// has to be built first and no second process stands between a signal and the CLI: Ctrl-C,
// SIGTERM from `timeout` or a batch scheduler reach the CLI directly, which stops a search
// cleanly (packages/sim/src/cli/stop.ts). Two module hooks make that work: tsx compiles the
// TypeScript, and a resolve hook adds the workspace's source export condition (what
// `node --conditions=@kvmfp/source` would do; a shebang cannot pass that flag portably).
import { register } from 'node:module';

const addSourceCondition = `
export async function resolve(specifier, context, next) {
  const conditions = context.conditions.includes('@kvmfp/source')
    ? context.conditions
    : ['@kvmfp/source', ...context.conditions];
  return next(specifier, { ...context, conditions });
}`;
register(`data:text/javascript,${encodeURIComponent(addSourceCondition)}`);
const { register: registerTsx } = await import('tsx/esm/api');
registerTsx();
await import(new URL('../src/cli/main.ts', import.meta.url).href);
