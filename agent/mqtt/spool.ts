import { appendFileSync, existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ErrorCode } from '../errors.js';
import type { Logger } from '../log.js';

/** One unsent metrics snapshot or track event, one JSON line in the spool file. */
export interface SpooledMessage {
  readonly id: string;
  /** Absent on lines written before events were spooled: a metrics snapshot. */
  readonly kind?: 'metrics' | 'event';
  readonly topic: string;
  readonly payload: string;
}

/** Rewrite the file without acknowledged lines once it holds this many times more lines than are pending. */
const COMPACT_RATIO = 4;
const COMPACT_MIN_LINES = 64;

/**
 * Keeps metrics snapshots (and track events) that have not reached the broker in
 * <state_dir>/mqtt-spool.jsonl, so an agent restart during an outage loses
 * none of them. Lines are appended when a snapshot is buffered; the file is
 * emptied once every spooled snapshot has been acknowledged (or evicted),
 * and compacted when acknowledged lines pile up. Delivery is at least
 * once: a crash between PUBACK and compaction re-sends a few snapshots,
 * which consumers recognise by (session, seq). Writes are synchronous: one
 * small line per metrics interval, and it must be on disk before a crash.
 */
export class MetricsSpool {
  readonly file: string;
  private readonly pending = new Set<string>();
  private lines = 0;
  private failed = false;

  constructor(
    stateDir: string,
    private readonly logger: Logger,
  ) {
    this.file = join(stateDir, 'mqtt-spool.jsonl');
  }

  /**
   * What a previous run left unsent, oldest first. Malformed lines (a write
   * torn by a crash) are skipped and the file is rewritten without them, so
   * the next append does not land on the end of a fragment.
   */
  load(): SpooledMessage[] {
    if (!existsSync(this.file)) return [];
    const messages: SpooledMessage[] = [];
    const text = readFileSync(this.file, 'utf8');
    let damaged = text.length > 0 && !text.endsWith('\n');
    for (const line of text.split('\n')) {
      if (!line.trim()) continue;
      const message = parseLine(line);
      if (!message) damaged = true;
      else if (!this.pending.has(message.id)) {
        messages.push(message);
        this.pending.add(message.id);
      }
    }
    if (damaged) {
      this.logger.warn({ file: this.file }, 'skipped damaged lines in the MQTT spool');
      this.write(() => this.rewrite(messages.map((m) => JSON.stringify(m))));
    }
    this.lines = messages.length;
    return messages;
  }

  append(message: SpooledMessage): void {
    this.pending.add(message.id);
    this.write(() => {
      mkdirSync(join(this.file, '..'), { recursive: true });
      appendFileSync(this.file, `${JSON.stringify(message)}\n`);
      this.lines += 1;
    });
  }

  /** The snapshot reached the broker, or was evicted: either way it no longer needs the disk. */
  settled(id: string): void {
    if (!this.pending.delete(id)) return;
    if (this.pending.size === 0) this.write(() => this.rewrite([]));
    else if (this.lines > COMPACT_MIN_LINES && this.lines > this.pending.size * COMPACT_RATIO) this.write(() => this.compact());
  }

  get pendingCount(): number {
    return this.pending.size;
  }

  private compact(): void {
    const keep = existsSync(this.file)
      ? readFileSync(this.file, 'utf8')
          .split('\n')
          .filter((line) => line.trim() && this.pending.has(idOf(line)))
      : [];
    this.rewrite(keep);
  }

  private rewrite(lines: readonly string[]): void {
    if (lines.length === 0 && (!existsSync(this.file) || statSync(this.file).size === 0)) {
      this.lines = 0;
      return;
    }
    const tmp = `${this.file}.tmp`;
    writeFileSync(tmp, lines.map((l) => `${l}\n`).join(''));
    renameSync(tmp, this.file);
    this.lines = lines.length;
  }

  /** A full or read-only disk must not stop publishing: log once, carry on without the spool. */
  private write(action: () => void): void {
    if (this.failed) return;
    try {
      action();
    } catch (err) {
      this.failed = true;
      this.logger.error({ code: ErrorCode.MQTT_SPOOL, file: this.file, err }, 'MQTT spool write failed; continuing without it');
    }
  }
}

function parseLine(line: string): SpooledMessage | undefined {
  try {
    const parsed = JSON.parse(line) as Partial<SpooledMessage>;
    if (typeof parsed.id === 'string' && typeof parsed.topic === 'string' && typeof parsed.payload === 'string') {
      return { id: parsed.id, ...(parsed.kind === 'event' ? { kind: 'event' as const } : {}), topic: parsed.topic, payload: parsed.payload };
    }
  } catch {
    // a torn line
  }
  return undefined;
}

function idOf(line: string): string {
  try {
    return String((JSON.parse(line) as { id?: unknown }).id);
  } catch {
    return '';
  }
}
