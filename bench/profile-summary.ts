// Summarises a V8 .cpuprofile: self time by package/file and the heaviest functions.
import { readFileSync } from 'node:fs';

interface Node { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; hitCount: number; children?: number[] }
const profile = JSON.parse(readFileSync(process.argv[2]!, 'utf8')) as { nodes: Node[]; samples: number[]; timeDeltas: number[] };
const total = profile.nodes.reduce((sum, n) => sum + n.hitCount, 0);
const byArea = new Map<string, number>();
const byFunction = new Map<string, number>();
const area = (url: string) => {
  if (!url) return '(native/gc/idle)';
  const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (m) return m[1]!;
  if (url.startsWith('node:')) return url;
  return url.replace(/^file:\/\/.*?\/(src|bench)\//, '$1/');
};
for (const n of profile.nodes) {
  const a = area(n.callFrame.url);
  byArea.set(a, (byArea.get(a) ?? 0) + n.hitCount);
  const f = `${n.callFrame.functionName || '(anon)'} ${a}:${n.callFrame.lineNumber}`;
  byFunction.set(f, (byFunction.get(f) ?? 0) + n.hitCount);
}
const top = (m: Map<string, number>, k: number) => [...m].sort((a, b) => b[1] - a[1]).slice(0, k).map(([name, hits]) => `${((100 * hits) / total).toFixed(1).padStart(5)}%  ${name}`).join('\n');
process.stdout.write(`samples ${total}\n\nby area (self):\n${top(byArea, 25)}\n\nby function (self):\n${top(byFunction, 40)}\n`);
