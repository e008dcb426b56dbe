// Summarises a V8 .cpuprofile: self time by package/file and the heaviest functions.
// With the bench's windows.json and a pattern, only the samples taken while a matching scenario
// was measured count (the bench writes windows.json beside the profiles under BENCH_PROFILE_DIR).
import { readFileSync } from 'node:fs';

interface Node { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; hitCount: number; children?: number[] }
interface Profile { nodes: Node[]; samples: number[]; timeDeltas: number[]; startTime: number }
interface Window { scenario: string; fromUs: number; toUs: number }

const [profilePath, windowsPath, scenarioPattern] = process.argv.slice(2);
const profile = JSON.parse(readFileSync(profilePath!, 'utf8')) as Profile;
const hits = countHits(profile, windowsPath ? selectedWindows(windowsPath, scenarioPattern) : undefined);
const total = [...hits.values()].reduce((sum, n) => sum + n, 0);
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
  const count = hits.get(n.id) ?? 0;
  if (!count) continue;
  const a = area(n.callFrame.url);
  byArea.set(a, (byArea.get(a) ?? 0) + count);
  const f = `${n.callFrame.functionName || '(anon)'} ${a}:${n.callFrame.lineNumber}`;
  byFunction.set(f, (byFunction.get(f) ?? 0) + count);
}
const top = (m: Map<string, number>, k: number) => [...m].sort((a, b) => b[1] - a[1]).slice(0, k).map(([name, n]) => `${((100 * n) / total).toFixed(1).padStart(5)}%  ${name}`).join('\n');
process.stdout.write(`samples ${total}\n\nby area (self):\n${top(byArea, 25)}\n\nby function (self):\n${top(byFunction, 40)}\n`);

function selectedWindows(path: string, pattern: string | undefined): Window[] {
  const matches = new RegExp(pattern ?? '', 'i');
  const windows = (JSON.parse(readFileSync(path, 'utf8')) as Window[]).filter((w) => matches.test(w.scenario));
  if (!windows.length) throw new Error(`no measured scenario matches ${pattern}`);
  return windows;
}

/** Samples per node; within the windows only, when given (timestamps are µs on the monotonic clock). */
function countHits(p: Profile, windows: Window[] | undefined): Map<number, number> {
  const counts = new Map<number, number>();
  let at = p.startTime;
  p.samples.forEach((id, i) => {
    at += p.timeDeltas[i]!;
    if (windows && !windows.some((w) => at >= w.fromUs && at <= w.toUs)) return;
    counts.set(id, (counts.get(id) ?? 0) + 1);
  });
  return counts;
}
