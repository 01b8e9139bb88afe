import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../helpers/testdata.js';

const UNIT = join(REPO_ROOT, 'systemd/vigil.service');

/** systemd/vigil.service as shipped; installing and running it is test/integration/systemd-install.test.ts. */
describe('systemd unit', () => {
  it('passes systemd-analyze verify', () => {
    const result = spawnSync('systemd-analyze', ['verify', UNIT], { encoding: 'utf8' });
    expect(result.stderr.trim()).toBe('');
    expect(result.status).toBe(0);
  });

  it('keeps the GPU reachable and the process hardened', () => {
    const unit = readFileSync(UNIT, 'utf8');
    const directives = unit.split('\n').filter((l) => /^[A-Za-z]+=/.test(l));
    const value = (key: string): string[] => directives.filter((l) => l.startsWith(`${key}=`)).map((l) => l.slice(key.length + 1));
    expect(value('Type')).toEqual(['notify']);
    expect(value('WatchdogSec')).toHaveLength(1);
    expect(value('Restart')).toEqual(['always']);
    expect(value('SupplementaryGroups').join(' ')).toContain('video');
    for (const key of ['PrivateDevices', 'MemoryDenyWriteExecute']) expect(value(key), key).toEqual([]);
    for (const [key, want] of Object.entries({ ProtectSystem: 'strict', NoNewPrivileges: 'yes', PrivateTmp: 'yes', CapabilityBoundingSet: '', StateDirectory: 'vigil', CacheDirectory: 'vigil', ConfigurationDirectory: 'vigil' })) {
      expect(value(key), key).toEqual([want]);
    }
    expect(value('LoadCredential')).toEqual(['vigil:/etc/vigil/credentials']);
  });
});
