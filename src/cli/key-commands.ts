import type { SecretBox } from '../auth/secret-box.ts';
import { generateSigningKey, generateSigningKeys, SIGNING_ALGORITHMS, type SigningAlgorithm } from '../config/signing-keys.ts';
import { addKey, describeKeySet, keySetFromJwks, promoteKey, providerJwks, retireKey, type KeyRotationPolicy, type KeySet, type KeySetChange } from '../signing-keys/key-set.ts';
import type { AuditEvent, AuditLog } from '../observability/audit-log.ts';
import type { KeySetStore } from '../signing-keys/key-set-store.ts';
import type { CommandResult } from './user-commands.ts';

export const KEYS_USAGE = `Usage: npm run cli -- keys <command>
  keys list                   the shared signing keys and their state (never key material)
  keys init [--if-missing]    create the key set from JWKS_FILE, or from fresh RS256 and ES256 keys
  keys add [ALG]              publish a new key (RS256, PS256 or ES256; default RS256); it signs nothing yet
  keys promote KID [--force]  let a published key sign; the key it replaces keeps verifying
  keys retire KID [--force]   take a key out of JWKS once the tokens it signed have expired
Every running instance picks a change up within signingKeys.reloadIntervalSeconds.`;

export interface KeysCommandDeps {
  keySets: KeySetStore;
  box: SecretBox;
  policy: KeyRotationPolicy;
  /** The JWKS_FILE, for `keys init` (may be empty). */
  seedJwks: { keys: Record<string, unknown>[] };
  /** Each change saved is recorded; listing the keys (public, and no one's data) is not. */
  audit: Pick<AuditLog, 'record'>;
  /** @default Date.now */
  now?: () => number;
}

const usage = (message: string): CommandResult => ({ ok: false, exitCode: 2, message: `${message}\n${KEYS_USAGE}` });
const failure = (message: string): CommandResult => ({ ok: false, exitCode: 1, message });

/** The signing-key commands, free of process concerns so tests can drive them with their own clock. */
export async function runKeysCommand(args: readonly string[], deps: KeysCommandDeps): Promise<CommandResult> {
  const { keySets, box, policy, seedJwks, audit, now = Date.now } = deps;
  const [command, ...rest] = args;
  const force = rest.includes('--force');
  const operands = rest.filter((arg) => !arg.startsWith('--'));
  const unknownFlag = rest.find((arg) => arg.startsWith('--') && arg !== '--force' && arg !== '--if-missing');
  if (unknownFlag) return usage(`Unknown option ${unknownFlag}.`);

  switch (command) {
    case 'list': {
      if (rest.length > 0) return usage('keys list takes no arguments.');
      const keySet = await keySets.load();
      return keySet ? { ok: true, output: { version: keySet.version, keys: describeKeySet(keySet, policy) } } : failure('There is no shared key set yet: Sesame creates it on first start from JWKS_FILE, or run `keys init`.');
    }
    case 'init': {
      if (operands.length > 0) return usage('keys init takes no KID.');
      const existing = await keySets.load();
      if (existing) {
        return rest.includes('--if-missing')
          ? { ok: true, output: { version: existing.version, keys: describeKeySet(existing, policy), created: false } }
          : failure('The shared key set exists already; use keys add / promote / retire to change it.');
      }
      const keySet = keySetFromJwks(seedJwks.keys.length > 0 ? seedJwks : generateSigningKeys(), box, now());
      if ((await keySets.save(keySet)) === 'conflict') return failure('Another process created the key set at the same moment; run keys list.');
      audit.record({ event: 'signing_keys.created', kids: keySet.keys.map((key) => key.kid) });
      return { ok: true, output: { version: keySet.version, keys: describeKeySet(keySet, policy), created: true } };
    }
    case 'add': {
      if (operands.length > 1) return usage('keys add takes at most one ALG.');
      const alg = (operands[0] ?? 'RS256') as SigningAlgorithm;
      if (!SIGNING_ALGORITHMS.includes(alg)) return usage(`Unknown algorithm "${operands[0]}": use ${SIGNING_ALGORITHMS.join(', ')}.`);
      const jwk = generateSigningKey(alg);
      return change((keySet) => addKey(keySet, jwk, box, now()), { event: 'signing_key.added', kid: String(jwk.kid), alg });
    }
    case 'promote':
    case 'retire': {
      if (operands.length !== 1) return usage(`keys ${command} takes exactly one KID.`);
      const kid = operands[0]!;
      return change((keySet) => (command === 'promote' ? promoteKey : retireKey)(keySet, kid, policy, now(), { force }), { event: command === 'promote' ? 'signing_key.promoted' : 'signing_key.retired', kid, forced: force });
    }
    default:
      return usage(command === undefined ? 'Missing command.' : `Unknown command "keys ${command}".`);
  }

  // Applies a change to the newest set; if another writer saved in between, applies it again to theirs.
  async function change(apply: (keySet: KeySet) => KeySetChange, saved: AuditEvent): Promise<CommandResult> {
    for (let attempt = 0; attempt < 5; attempt++) {
      const keySet = await keySets.load();
      if (!keySet) return failure('There is no shared key set yet: start Sesame once, or run `keys init`.');
      // A key sealed under keys the servers do not hold would stop every server at its next start.
      try {
        providerJwks(keySet, box);
      } catch (error) {
        return { ok: false, exitCode: 2, message: `ENCRYPTION_KEYS cannot open the key set kept in Redis (${(error as Error).message}): run the CLI with the servers' settings (npm run cli reads .env, as npm start does). Nothing was changed.` };
      }
      const result = apply(keySet);
      if (!result.ok) return failure(result.problem);
      if ((await keySets.save(result.keySet)) === 'saved') {
        audit.record(saved);
        return { ok: true, output: { version: result.keySet.version, keys: describeKeySet(result.keySet, policy), ...(result.warnings.length > 0 ? { warnings: result.warnings } : {}) } };
      }
    }
    return failure('The key set kept changing under this command; try again.');
  }
}
