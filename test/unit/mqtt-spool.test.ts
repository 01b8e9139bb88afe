import { appendFileSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../agent/log.js';
import { MetricsSpool, type SpooledMessage } from '../../agent/mqtt/spool.js';

const silent = createLogger('silent');
const TOPIC = 'vigil/edge-01/metrics';

const snapshot = (seq: number): SpooledMessage => ({ id: `s1:${seq}`, topic: TOPIC, payload: JSON.stringify({ seq }) });
const fileLines = (file: string): string[] => readFileSync(file, 'utf8').split('\n').filter(Boolean);
const idsIn = (file: string): string[] => fileLines(file).map((l) => (JSON.parse(l) as SpooledMessage).id);

let dir: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'vigil-spool-'));
});

afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('MetricsSpool', () => {
  it('writes <stateDir>/mqtt-spool.jsonl, one JSON line per appended snapshot', () => {
    const spool = new MetricsSpool(dir, silent);
    expect(spool.file).toBe(join(dir, 'mqtt-spool.jsonl'));
    spool.append(snapshot(1));
    spool.append(snapshot(2));
    expect(fileLines(spool.file).map((l) => JSON.parse(l) as unknown)).toEqual([snapshot(1), snapshot(2)]);
    expect(spool.pendingCount).toBe(2);
  });

  it('creates a missing state dir on the first append', () => {
    const spool = new MetricsSpool(join(dir, 'a', 'b'), silent);
    spool.append(snapshot(1));
    expect(idsIn(join(dir, 'a', 'b', 'mqtt-spool.jsonl'))).toEqual(['s1:1']);
  });

  it('lets a fresh spool on the same dir load what was left, oldest first', () => {
    const first = new MetricsSpool(dir, silent);
    for (let seq = 1; seq <= 3; seq += 1) first.append(snapshot(seq));
    const second = new MetricsSpool(dir, silent);
    expect(second.load()).toEqual([snapshot(1), snapshot(2), snapshot(3)]);
    expect(second.pendingCount).toBe(3);
  });

  it('keeps track events apart from snapshots, interleaved in the order they were spooled (issue 15)', () => {
    const event: SpooledMessage = { id: 's1:plaza:e1', kind: 'event', topic: 'vigil/edge-01/plaza/events', payload: '{"seq":1}' };
    const first = new MetricsSpool(dir, silent);
    first.append(snapshot(1));
    first.append(event);
    first.append(snapshot(2));
    // a line of an older agent has no kind: a snapshot, as it always was
    expect(new MetricsSpool(dir, silent).load()).toEqual([snapshot(1), event, snapshot(2)]);
    appendFileSync(first.file, `${JSON.stringify({ ...event, id: 's1:plaza:e2', kind: 'bogus' })}\n`);
    expect(new MetricsSpool(dir, silent).load().at(-1)).toEqual({ id: 's1:plaza:e2', topic: event.topic, payload: event.payload });
  });

  it('loads [] when there is no spool file', () => {
    const spool = new MetricsSpool(dir, silent);
    expect(spool.load()).toEqual([]);
    expect(existsSync(spool.file)).toBe(false);
  });

  it('skips a torn last line and lines that are not snapshots', () => {
    const file = join(dir, 'mqtt-spool.jsonl');
    writeFileSync(file, `${JSON.stringify(snapshot(1))}\n${JSON.stringify({ id: 7, topic: TOPIC, payload: '{}' })}\n\n${JSON.stringify(snapshot(2))}\n`);
    appendFileSync(file, JSON.stringify(snapshot(3)).slice(0, 20)); // a crash mid-write
    expect(new MetricsSpool(dir, silent).load()).toEqual([snapshot(1), snapshot(2)]);
  });

  it('keeps a snapshot appended after a torn last line loadable on the next start', () => {
    // a crash mid-write leaves a fragment with no newline; the next run must not glue its first line onto it
    const file = join(dir, 'mqtt-spool.jsonl');
    writeFileSync(file, `${JSON.stringify(snapshot(1))}\n${JSON.stringify(snapshot(2)).slice(0, 20)}`);
    const run2 = new MetricsSpool(dir, silent);
    expect(run2.load()).toEqual([snapshot(1)]);
    run2.append(snapshot(3));
    expect(new MetricsSpool(dir, silent).load()).toEqual([snapshot(1), snapshot(3)]);
  });

  it('empties the file (size 0) once every snapshot is settled', () => {
    const spool = new MetricsSpool(dir, silent);
    for (let seq = 1; seq <= 3; seq += 1) spool.append(snapshot(seq));
    spool.settled('s1:2');
    spool.settled('s1:1');
    expect(idsIn(spool.file)).toEqual(['s1:1', 's1:2', 's1:3']); // 3 lines: far below compaction size
    spool.settled('s1:3');
    expect(statSync(spool.file).size).toBe(0);
    expect(spool.pendingCount).toBe(0);
    expect(new MetricsSpool(dir, silent).load()).toEqual([]);
  });

  it('ignores settling an unknown or already settled id', () => {
    const spool = new MetricsSpool(dir, silent);
    spool.append(snapshot(1));
    spool.settled('s1:99');
    spool.settled('s1:99');
    expect(spool.pendingCount).toBe(1);
    expect(idsIn(spool.file)).toEqual(['s1:1']);
  });

  it('settles snapshots restored by load() too', () => {
    new MetricsSpool(dir, silent).append(snapshot(1));
    const spool = new MetricsSpool(dir, silent);
    expect(spool.load()).toHaveLength(1);
    spool.settled('s1:1');
    expect(statSync(spool.file).size).toBe(0);
  });

  it('compacts to the pending lines once the file holds more than 64 lines and over 4× the pending count', () => {
    const spool = new MetricsSpool(dir, silent);
    for (let seq = 0; seq < 100; seq += 1) spool.append(snapshot(seq));
    // settling 0..74 leaves 25 pending: 100 > 4 × 25 is false, so the file keeps all 100 lines
    for (let seq = 0; seq < 75; seq += 1) spool.settled(`s1:${seq}`);
    expect(fileLines(spool.file)).toHaveLength(100);
    // settling 75 leaves 24 pending: 100 > 96, compact to 76..99
    spool.settled('s1:75');
    expect(idsIn(spool.file)).toEqual(Array.from({ length: 24 }, (_, k) => `s1:${76 + k}`));
    // a restart now restores exactly those
    expect(new MetricsSpool(dir, silent).load().map((m) => m.id)).toEqual(idsIn(spool.file));
    // new appends go after them
    spool.append(snapshot(100));
    expect(idsIn(spool.file).at(-1)).toBe('s1:100');
    expect(fileLines(spool.file)).toHaveLength(25);
  });

  it('does not throw when the state dir cannot be written; it logs once and carries on', () => {
    const notADir = join(dir, 'plain-file');
    writeFileSync(notADir, 'x');
    const logged: { level: string; msg: string }[] = [];
    const logger = createLogger('info', { write: (line: string) => void logged.push(JSON.parse(line) as { level: string; msg: string }) });
    const spool = new MetricsSpool(join(notADir, 'state'), logger);
    expect(() => spool.append(snapshot(1))).not.toThrow();
    expect(() => spool.append(snapshot(2))).not.toThrow();
    expect(() => spool.settled('s1:1')).not.toThrow();
    expect(() => spool.settled('s1:2')).not.toThrow();
    expect(logged.map((l) => [l.level, l.msg])).toEqual([['error', 'MQTT spool write failed; continuing without it']]);
  });
});
