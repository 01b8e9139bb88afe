import { median } from '../../agent/util/numbers.js';
import type { FaultKind } from './chaos-plan.js';

/** One scrape of the agent's /metrics during the soak. */
export interface SoakSample {
  /** ms since the soak started */
  readonly t: number;
  /** how long the scrape took, ms */
  readonly scrapeMs: number;
  readonly rssBytes: number;
  /** V8 heap in use on the main thread, bytes (nodejs_heap_size_used_bytes) */
  readonly heapUsedBytes: number;
  /** Buffers and other memory outside the V8 heap that V8 knows of, bytes (nodejs_external_memory_bytes) */
  readonly externalBytes: number;
  /** prom-client's event-loop delay p99 over the time since the previous scrape, seconds */
  readonly eventLoopP99Seconds: number;
  readonly mqttConnected: number;
  readonly previewClients: number;
  readonly cameras: Readonly<Record<string, { readonly disconnected: number; readonly processed: number }>>;
}

/** A fault as it was carried out. */
export interface InjectedFault {
  readonly kind: FaultKind;
  /** ms since the soak started */
  readonly at: number;
  readonly restoredAt: number;
}

export interface FaultOutcome {
  readonly kind: FaultKind;
  readonly at: number;
  readonly durationMs: number;
  /** What was watched: a camera, `mqtt` or `preview`. */
  readonly subject: string;
  /** From the fault to the first sample showing it; null when never seen. */
  readonly detectMs: number | null;
  /** From the restore to the first sample showing the subject working again; null when it did not recover. */
  readonly recoverMs: number | null;
}

/** Times 0 → 1 of a camera's detector_disconnected over the samples: the disconnect episodes the agent reported. */
export function disconnectEpisodes(samples: readonly SoakSample[], camera: string): number {
  let episodes = 0;
  let previous = 0;
  for (const s of samples) {
    const now = s.cameras[camera]?.disconnected ?? previous;
    if (previous === 0 && now === 1) episodes++;
    previous = now;
  }
  return episodes;
}

/**
 * How each fault looked from the agent's /metrics: when the sampled state
 * first showed it, and when the subject worked again after the restore
 * (a camera: connected with new frames; MQTT: connected; a viewer: back in
 * preview_clients).
 */
export function faultOutcomes(fault: InjectedFault, samples: readonly SoakSample[], rtspCameras: readonly string[], viewers: number): FaultOutcome[] {
  const base = { kind: fault.kind, at: fault.at, durationMs: fault.restoredAt - fault.at };
  const firstAfter = (from: number, holds: (s: SoakSample) => boolean): number | null => {
    const found = samples.find((s) => s.t >= from && holds(s));
    return found ? found.t - from : null;
  };
  switch (fault.kind) {
    case 'rtsp_kill':
    case 'rtsp_freeze':
      return rtspCameras.map((camera) => {
        const atRestore = samples.filter((s) => s.t <= fault.restoredAt).at(-1)?.cameras[camera]?.processed ?? 0;
        return {
          ...base,
          subject: camera,
          detectMs: firstAfter(fault.at, (s) => s.cameras[camera]?.disconnected === 1),
          recoverMs: firstAfter(fault.restoredAt, (s) => s.cameras[camera]?.disconnected === 0 && (s.cameras[camera]?.processed ?? 0) > atRestore),
        };
      });
    case 'broker_kill':
    case 'broker_freeze':
      return [
        {
          ...base,
          subject: 'mqtt',
          detectMs: firstAfter(fault.at, (s) => s.mqttConnected === 0),
          recoverMs: firstAfter(fault.restoredAt, (s) => s.mqttConnected === 1),
        },
      ];
    case 'viewer_kill':
      return [
        {
          ...base,
          subject: 'preview',
          detectMs: firstAfter(fault.at, (s) => s.previewClients < viewers),
          recoverMs: firstAfter(fault.restoredAt, (s) => s.previewClients === viewers),
        },
      ];
  }
}

/** Memory every `everyMs` (MiB), for the report: where RSS goes if it grows. */
export function memoryTimeline(samples: readonly SoakSample[], everyMs: number): { t: number; rssMiB: number; heapMiB: number; externalMiB: number }[] {
  const out: { t: number; rssMiB: number; heapMiB: number; externalMiB: number }[] = [];
  const mib = (bytes: number): number => Math.round((bytes / 2 ** 20) * 10) / 10;
  let last = Number.NEGATIVE_INFINITY;
  for (const s of samples) {
    if (s.t - last < everyMs) continue;
    last = s.t;
    out.push({ t: Math.round(s.t / 1000), rssMiB: mib(s.rssBytes), heapMiB: mib(s.heapUsedBytes), externalMiB: mib(s.externalBytes) });
  }
  return out;
}

/**
 * RSS over the run: the medians of the first fifth after warm-up, of the
 * middle fifth and of the last, and the growth from the first to the last.
 * Medians of wide windows, because RSS swings ±4 % from one second to the
 * next with frames, JPEGs and MQTT buffers in flight.
 */
export function rssSummary(samples: readonly SoakSample[], warmupMs: number): { startMiB: number; middleMiB: number; endMiB: number; growthPercent: number } {
  const after = samples.filter((s) => s.t >= warmupMs);
  const window = Math.max(1, Math.floor(after.length / 5));
  const mib = (part: readonly SoakSample[]): number => median(part.map((s) => s.rssBytes)) / 2 ** 20;
  const mid = Math.floor(after.length / 2);
  const startMiB = mib(after.slice(0, window));
  const middleMiB = mib(after.slice(mid - Math.floor(window / 2), mid + Math.ceil(window / 2)));
  const endMiB = mib(after.slice(-window));
  return { startMiB, middleMiB, endMiB, growthPercent: ((endMiB - startMiB) / startMiB) * 100 };
}
