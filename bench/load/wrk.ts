import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Measurement } from './closed-loop.ts';

export interface WrkRequest {
  url: string;
  method?: 'GET' | 'POST';
  body?: string;
  headers?: Record<string, string>;
}

/**
 * Repeatable requests (GETs, client_credentials, userinfo with one token) go through wrk: a C
 * load generator, so the client side is never what limits a fast endpoint such as hello-world.
 */
export async function runWrk(request: WrkRequest, { concurrency, seconds, core, scratchDir }: { concurrency: number; seconds: number; core: number; scratchDir: string }): Promise<Measurement> {
  const script = join(scratchDir, `wrk-${Math.random().toString(36).slice(2)}.lua`);
  const headers = Object.entries(request.headers ?? {}).map(([name, value]) => `wrk.headers[${JSON.stringify(name)}] = ${JSON.stringify(value)}`);
  writeFileSync(script, [`wrk.method = ${JSON.stringify(request.method ?? 'GET')}`, ...(request.body ? [`wrk.body = ${JSON.stringify(request.body)}`] : []), ...headers].join('\n'));
  const output = await run('taskset', ['-c', String(core), 'wrk', '-t1', `-c${concurrency}`, `-d${seconds}s`, '--latency', '-s', script, request.url]);
  const rate = Number(/Requests\/sec:\s+([\d.]+)/.exec(output)?.[1]);
  if (!Number.isFinite(rate)) throw new Error(`could not read wrk output:\n${output}`);
  // wrk reports answers other than 2xx/3xx itself: a fast stream of errors must not pass for throughput.
  const bad = /Non-2xx or 3xx responses:\s+(\d+)/.exec(output);
  if (bad) throw new Error(`${bad[1]} error answers from ${request.method ?? 'GET'} ${request.url}:\n${output}`);
  return { rate, p50Ms: latencyMs(output, '50%'), p99Ms: latencyMs(output, '99%'), ops: Number(/(\d+) requests in/.exec(output)?.[1] ?? 0) };
}

function latencyMs(output: string, label: string): number {
  const match = new RegExp(`^\\s*${label}\\s+([\\d.]+)(us|ms|s)\\s*$`, 'm').exec(output);
  if (!match) return NaN;
  const value = Number(match[1]);
  return match[2] === 'us' ? value / 1000 : match[2] === 's' ? value * 1000 : value;
}

function run(command: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args);
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(output) : reject(new Error(`${command} exited ${code}: ${output}`))));
  });
}
