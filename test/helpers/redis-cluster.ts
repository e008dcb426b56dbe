import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import type { HostPort } from '../../src/config/config-schema.ts';
import { answersPing, freePort, spawnRedisServer, stopChild } from './redis.ts';

export interface StartedCluster {
  nodes: HostPort[];
  stop(): Promise<void>;
}

const SLOTS = 16384;

/**
 * A real Redis Cluster of `size` masters on loopback ports, built by hand in well under a second:
 * each node gets a third of the slots and its own config epoch, then they MEET.
 */
export async function startRedisCluster(size = 3): Promise<StartedCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'sesame-cluster-'));
  const started: { child: ChildProcess; port: number; busPort: number }[] = [];
  const stop = async () => {
    for (const { child } of started) await stopChild(child);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    for (let i = 0; i < size; i++) {
      const [port, busPort] = [await freePort(), await freePort()];
      const child = spawnRedisServer([
        '--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir,
        '--cluster-enabled', 'yes', '--cluster-config-file', `nodes-${port}.conf`, '--cluster-port', String(busPort), '--cluster-node-timeout', '2000',
      ]);
      started.push({ child, port, busPort });
      if (!(await answersPing(`redis://127.0.0.1:${port}`, child))) throw new Error(`cluster node on port ${port} did not start`);
    }
    const admins = started.map(({ port }) => new Redis(port, '127.0.0.1', { maxRetriesPerRequest: 1 }));
    try {
      for (const [i, admin] of admins.entries()) {
        const first = Math.floor((SLOTS * i) / size);
        const last = Math.floor((SLOTS * (i + 1)) / size) - 1;
        await admin.call('CLUSTER', 'ADDSLOTSRANGE', String(first), String(last));
        await admin.call('CLUSTER', 'SET-CONFIG-EPOCH', String(i + 1));
      }
      for (const { port, busPort } of started.slice(1)) await admins[0]!.call('CLUSTER', 'MEET', '127.0.0.1', String(port), String(busPort));
      const deadline = Date.now() + 15_000;
      for (const admin of admins) {
        for (;;) {
          const info = String(await admin.call('CLUSTER', 'INFO'));
          if (info.includes('cluster_state:ok') && info.includes(`cluster_known_nodes:${size}`)) break;
          if (Date.now() > deadline) throw new Error(`cluster did not form:\n${info}`);
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
      }
    } finally {
      for (const admin of admins) admin.disconnect();
    }
    return { nodes: started.map(({ port }) => ({ host: '127.0.0.1', port })), stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

export interface StartedSentinel {
  sentinels: HostPort[];
  masterName: string;
  stop(): Promise<void>;
}

/**
 * One Sentinel watching `masterPort` as master group "sesame-master". It calls the master down
 * after `downAfterMs` without an answer, and then fails over to a replica on its own (quorum 1).
 */
export async function startSentinel(masterPort: number, { downAfterMs = 2000 }: { downAfterMs?: number } = {}): Promise<StartedSentinel> {
  const dir = mkdtempSync(join(tmpdir(), 'sesame-sentinel-'));
  const port = await freePort();
  const masterName = 'sesame-master';
  // Sentinel rewrites its config file, so it must be a file of its own.
  const file = join(dir, 'sentinel.conf');
  writeFileSync(file, [`port ${port}`, 'bind 127.0.0.1', `dir ${dir}`, `sentinel monitor ${masterName} 127.0.0.1 ${masterPort} 1`, `sentinel down-after-milliseconds ${masterName} ${downAfterMs}`, `sentinel failover-timeout ${masterName} ${Math.max(1000, downAfterMs * 2)}`, ''].join('\n'));
  const child = spawnRedisServer([file, '--sentinel']);
  const stop = async () => {
    await stopChild(child);
    rmSync(dir, { recursive: true, force: true });
  };
  if (!(await answersPing(`redis://127.0.0.1:${port}`, child))) {
    await stop();
    throw new Error('redis-server --sentinel did not start');
  }
  return { sentinels: [{ host: '127.0.0.1', port }], masterName, stop };
}
