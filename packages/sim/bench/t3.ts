import { Explorer, fullAlphabet, loadExploreConfig, resolveTable } from '@kvmfp/sim';
const cfg = loadExploreConfig(process.argv[2]);
const ex = new Explorer(cfg.world, resolveTable('v6.4', null), fullAlphabet(cfg.alphabet), 'v6.4', null);
let frontier = [ex.initial()];
const seen = new Set<string>();
const all = [];
for (let d = 0; d < Number(process.argv[3]); d++) {
  const next = [];
  for (let i = 0; i < frontier.length; i++) {
    const n = frontier[i];
    for (const ev of ex.candidatesOf(n, false)) {
      const r = ex.step(n, ev);
      if (!r.child || r.violations.length) continue;
      const k = r.child.key.join(',');
      if (seen.has(k)) continue;
      seen.add(k);
      all.push(r.child);
      (r.child.depth === n.depth ? frontier : next).push(r.child);
    }
  }
  frontier = next;
}
const skip = new Set(['step','moves','seq','writers','violations','findings','rev','mutant','config']);
function flat(v: unknown, p: string, out: Map<string,string>, seen: Set<object>) {
  if (typeof v !== 'object' || v === null) { out.set(p, JSON.stringify(v)); return; }
  if (seen.has(v)) { out.set(p, 'ref'); return; } seen.add(v);
  if (Array.isArray(v)) { out.set(p+'#', String(v.length)); v.forEach((x, i) => flat(x, p + '.' + i, out, seen)); return; }
  for (const k in v as object) if (!skip.has(k)) flat((v as any)[k], p + '.' + k, out, seen);
}
const flats = all.map((n) => { const m = new Map<string,string>(); flat(n.world, '', m, new Set()); m.set('PATHS', n.paths.map(p=>p.pid+':'+p.sig).join('|')); return m; });
const keys = new Set<string>(); for (const f of flats) for (const k of f.keys()) keys.add(k);
const total = new Set(flats.map(f => [...keys].map(k => f.get(k)).join('\u0001'))).size;
console.log('states', all.length, 'distinct flat', total);
// group keys by top-level prefix (two levels)
const groups = new Map<string,string[]>();
for (const k of keys) { const g = k.split('.').slice(0, 4).join('.').replace(/\.\d+$/, (m)=>m); const arr = groups.get(g) ?? []; arr.push(k); groups.set(g, arr); }
const rows = [];
for (const [g, ks] of groups) { const rest = [...keys].filter(k => !ks.includes(k)); const c = new Set(flats.map(f => rest.map(k => f.get(k)).join('\u0001'))).size; rows.push([total - c, g]); }
rows.sort((a,b)=>Number(b[0])-Number(a[0])); for (const r of rows.slice(0, 30)) console.log(r[0], r[1]);
