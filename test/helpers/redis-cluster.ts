import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import type { HostPort } from '../../src/config/config-schema.ts';
import { answersPing, freePort, spawnRedisServer, stopChild } from './redis.ts';

export interface StartedCluster {
  nodes: HostPort[];
  /** Stops node `index` as an outage would (the others go on serving their slots, with `isolate`). */
  stopNode(index: number): Promise<void>;
  /** Starts node `index` again on its port, with its identity and slots (its keys are gone). */
  startNode(index: number): Promise<void>;
  stop(): Promise<void>;
}

export interface ClusterOptions {
  /**
   * The last node serves the slot of this key and no other, the others share the rest, and every
   * node serves its slots while another is down (cluster-require-full-coverage no): so that
   * stopping the last node fails exactly the commands on that one slot, as a failed Cluster node
   * fails only its own.
   */
  isolate?: string;
}

const SLOTS = 16384;

/**
 * A real Redis Cluster of `size` masters on loopback ports, built by hand in well under a second:
 * each node gets a third of the slots and its own config epoch, then they MEET.
 */
export async function startRedisCluster(size = 3, { isolate }: ClusterOptions = {}): Promise<StartedCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'sesame-cluster-'));
  const started: { child: ChildProcess; port: number; busPort: number }[] = [];
  const argsOf = (port: number, busPort: number) => [
    '--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir,
    '--cluster-enabled', 'yes', '--cluster-config-file', `nodes-${port}.conf`, '--cluster-port', String(busPort), '--cluster-node-timeout', '2000',
    ...(isolate === undefined ? [] : ['--cluster-require-full-coverage', 'no']),
  ];
  const startNode = async (i: number) => {
    const { port, busPort } = started[i]!;
    const child = spawnRedisServer(argsOf(port, busPort));
    started[i]!.child = child;
    if (!(await answersPing(`redis://127.0.0.1:${port}`, child))) throw new Error(`cluster node on port ${port} did not start`);
    // It answers CLUSTERDOWN until it has heard from the others again.
    const admin = new Redis(port, '127.0.0.1', { maxRetriesPerRequest: 1 });
    try {
      await untilClusterOk(admin, `the restarted node on port ${port}`);
    } finally {
      admin.disconnect();
    }
  };
  const stop = async () => {
    for (const { child } of started) await stopChild(child);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    for (let i = 0; i < size; i++) {
      const [port, busPort] = [await freePort(), await freePort()];
      const child = spawnRedisServer(argsOf(port, busPort));
      started.push({ child, port, busPort });
      if (!(await answersPing(`redis://127.0.0.1:${port}`, child))) throw new Error(`cluster node on port ${port} did not start`);
    }
    const admins = started.map(({ port }) => new Redis(port, '127.0.0.1', { maxRetriesPerRequest: 1 }));
    try {
      const isolated = isolate === undefined ? undefined : Number(await admins[0]!.call('CLUSTER', 'KEYSLOT', isolate));
      const sharing = isolated === undefined ? size : size - 1;
      for (const [i, admin] of admins.entries()) {
        let ranges: [number, number][];
        if (i >= sharing) ranges = [[isolated!, isolated!]];
        else {
          const first = Math.floor((SLOTS * i) / sharing);
          const last = Math.floor((SLOTS * (i + 1)) / sharing) - 1;
          ranges = isolated === undefined || isolated < first || isolated > last ? [[first, last]] : [[first, isolated - 1], [isolated + 1, last]];
        }
        const args = ranges.filter(([first, last]) => first <= last).flatMap(([first, last]) => [String(first), String(last)]);
        if (args.length > 0) await admin.call('CLUSTER', 'ADDSLOTSRANGE', ...args);
        await admin.call('CLUSTER', 'SET-CONFIG-EPOCH', String(i + 1));
      }
      for (const { port, busPort } of started.slice(1)) await admins[0]!.call('CLUSTER', 'MEET', '127.0.0.1', String(port), String(busPort));
      for (const admin of admins) await untilClusterOk(admin, 'the cluster', size);
    } finally {
      for (const admin of admins) admin.disconnect();
    }
    return { nodes: started.map(({ port }) => ({ host: '127.0.0.1', port })), stopNode: (i) => stopChild(started[i]!.child), startNode, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

async function untilClusterOk(admin: Redis, what: string, knownNodes?: number): Promise<void> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const info = String(await admin.call('CLUSTER', 'INFO'));
    if (info.includes('cluster_state:ok') && (knownNodes === undefined || info.includes(`cluster_known_nodes:${knownNodes}`))) return;
    if (Date.now() > deadline) throw new Error(`${what} did not form:\n${info}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
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
