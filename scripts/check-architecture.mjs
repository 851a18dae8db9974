// The architecture rules of `npm run lint`: dependency-cruiser's rules (.dependency-cruiser.cjs: the
// engine is a library used through its index, no file cycle leaves a folder, no orphans), and no
// import cycle between the folders of src/ (each folder a node), which dependency-cruiser's rules do
// not see. Exits 1, naming each cycle with the imports that make it, when one exists. With --graph it
// also prints the folder graph.
import { createRequire } from 'node:module';
import { cruise } from 'dependency-cruiser';

const require = createRequire(import.meta.url);
const config = require('../.dependency-cruiser.cjs');

const { output } = await cruise(['src'], { ...config.options, ruleSet: { forbidden: config.forbidden } });
let failed = false;

for (const v of output.summary.violations) {
  failed = true;
  const path = v.cycle ? v.cycle.map((c) => c.name ?? c).join(' -> ') : `${v.from} -> ${v.to}`;
  console.error(`${v.rule.severity} ${v.rule.name}: ${path}`);
}

// Folder graph: an edge A -> B for every import from src/A/... into src/B/..., with one example.
const folder = (p) => /^src\/([^/]+)\//.exec(p)?.[1];
const edges = new Map();
for (const m of output.modules) {
  const a = folder(m.source);
  if (!a) continue;
  for (const d of m.dependencies) {
    const b = folder(d.resolved);
    if (!b || a === b) continue;
    if (!edges.has(a)) edges.set(a, new Map());
    if (!edges.get(a).has(b)) edges.get(a).set(b, `${m.source} -> ${d.resolved}`);
  }
}
// Depth-first search for back edges: each one closes a cycle.
const state = new Map();
const stack = [];
const cycles = [];
function visit(a) {
  state.set(a, 'open');
  stack.push(a);
  for (const b of edges.get(a)?.keys() ?? []) {
    if (state.get(b) === 'open') cycles.push([...stack.slice(stack.indexOf(b)), b]);
    else if (!state.has(b)) visit(b);
  }
  stack.pop();
  state.set(a, 'done');
}
for (const a of [...edges.keys()].sort()) if (!state.has(a)) visit(a);
for (const cycle of cycles) {
  failed = true;
  console.error(`error folder-cycle: ${cycle.join(' -> ')}`);
  for (let i = 0; i + 1 < cycle.length; i++) console.error(`    ${edges.get(cycle[i]).get(cycle[i + 1])}`);
}

if (process.argv.includes('--graph')) {
  // The folder graph, one line a folder (docs/architecture.md shows it).
  const all = [...new Set([...edges.keys(), ...[...edges.values()].flatMap((m) => [...m.keys()])])].sort();
  for (const a of all) console.log(`${a.padEnd(12)} -> ${[...(edges.get(a)?.keys() ?? [])].sort().join(', ') || '(nothing)'}`);
}

if (failed) process.exit(1);
console.log(
  `architecture: ${output.summary.totalCruised} modules, no rule broken, no cycle between the ${new Set([...edges.keys()]).size} folders of src/`,
);
