// The npm mirror this project is built against lacks some platform-only optional
// packages (macOS/Windows/other-arch builds of @swc/core and unrs-resolver). npm then
// leaves them out of package-lock.json and `npm ci` refuses the lock as out of sync.
// This records them the way npm does against the public registry: optional, with
// their os/cpu/libc, so every installer skips them on platforms they do not fit.
// Run after `npm install` changes the lock: node .ci/complete-lockfile.mjs
import { readFileSync, writeFileSync } from 'node:fs';

const lockPath = new URL('../package-lock.json', import.meta.url);
const lock = JSON.parse(readFileSync(lockPath, 'utf8'));
const packages = lock.packages;

function platformOf(name) {
  const suffix = name.split('/').pop().replace(/^(core|resolver-binding)-/, '');
  const [os, cpu, abi] = suffix.split('-');
  const entry = { os: [os], cpu: [cpu] };
  if (os === 'linux' && abi) entry.libc = [abi.startsWith('musl') ? 'musl' : 'glibc'];
  return entry;
}

let added = 0;
for (const [path, entry] of Object.entries(packages)) {
  for (const [name, version] of Object.entries(entry.optionalDependencies ?? {})) {
    const key = `node_modules/${name}`;
    if (packages[key] || packages[`${path}/${key}`]) continue;
    if (!/^\d+\.\d+\.\d+$/.test(version)) continue;
    const { os, cpu, libc } = platformOf(name);
    packages[key] = {
      version,
      cpu,
      ...(entry.dev ? { dev: true } : {}),
      ...(libc ? { libc } : {}),
      optional: true,
      os,
    };
    added += 1;
  }
}
lock.packages = Object.fromEntries(Object.entries(packages).sort(([a], [b]) => (a === '' ? -1 : b === '' ? 1 : a.localeCompare(b))));
writeFileSync(lockPath, `${JSON.stringify(lock, null, 2)}\n`);
console.log(`complete-lockfile: recorded ${added} platform-only optional packages`);
