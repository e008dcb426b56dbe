import { spawnNode } from './node-process.ts';

export interface CliResult {
  code: number | null;
  stdout: string;
  /** What the CLI says to the operator on stderr, without its audit lines. */
  stderr: string;
  /** The audit lines it wrote to stderr, parsed (README "Audit log"). */
  audit: Record<string, unknown>[];
}

/**
 * Runs `npm run cli -- ...args` as an operator would: src/cli/main.ts in a process of its own that
 * sees only `env`, in `cwd` (its config/ directory) or this checkout.
 */
export function runCli(args: string[], { env, cwd }: { env: Record<string, string>; cwd?: string }): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawnNode('src/cli/main.ts', args, { cwd, env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, ...splitAuditLines(stderr) }));
  });
}

/** Separates the CLI's audit lines (JSON with `"audit":true`) from the rest of its stderr. */
export function splitAuditLines(stderr: string): { stderr: string; audit: Record<string, unknown>[] } {
  const audit: Record<string, unknown>[] = [];
  const rest = stderr.split(/(?<=\n)/).filter((line) => {
    if (!line.startsWith('{"level":')) return true;
    const parsed = JSON.parse(line) as Record<string, unknown>;
    if (parsed.audit !== true) return true;
    audit.push(parsed);
    return false;
  });
  return { stderr: rest.join(''), audit };
}
