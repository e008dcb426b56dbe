import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * V8's compiled code of Sesame's modules, kept on disk across the suite's processes: each CLI
 * command or server a test starts then compiles its few hundred modules once per machine, not
 * once per process (about half a CPU-second of the CLI's start). Node's own cache: an entry whose
 * module's source changed is compiled again.
 */
const COMPILE_CACHE = join(tmpdir(), `sesame-test-compile-cache-${userInfo().uid}`);

/**
 * `node <entry> ...args` as `npm start` and `npm run cli` run it (TypeScript by type stripping),
 * in `cwd`, seeing only `env`. `entry` is a path in this checkout.
 */
export function spawnNode(entry: string, args: string[], { cwd, env }: { cwd?: string; env: Record<string, string | undefined> }): ChildProcessWithoutNullStreams {
  return spawn(process.execPath, ['--experimental-strip-types', '--disable-warning=ExperimentalWarning', fileURLToPath(new URL(`../../${entry}`, import.meta.url)), ...args], {
    cwd,
    env: { ...env, NODE_COMPILE_CACHE: COMPILE_CACHE },
  });
}
