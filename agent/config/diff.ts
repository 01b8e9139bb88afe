import { intervalSetting } from './density-schema.js';
import type { CameraConfig, VigilConfig } from './schema.js';

/** Parts of the agent that a reload restarts on their own, leaving the rest running. */
export type RestartedComponent = 'inference' | 'mqtt' | 'http';

/**
 * What a reload has to do to go from one valid config to the next, with the
 * least disruption (issue 17): which cameras start, stop or restart alone,
 * which take new zones and lines in place, which components restart alone,
 * what applies as it is, and what only a restart of the agent can apply.
 */
export interface ConfigDiff {
  readonly cameras: {
    /** Enabled cameras that were not (new names, or `enabled` turned on). */
    readonly added: readonly string[];
    /** Cameras that were enabled and are no longer (gone, or `enabled: false`). */
    readonly removed: readonly string[];
    /** Capture-relevant keys changed (url, decoder, queue, … or the global `capture`): this camera reconnects alone. */
    readonly restarted: readonly string[];
    /** Only zones, lines or anchor changed (or the global `tracker`): applied without reopening the stream; the camera's counts start again. */
    readonly scene: readonly string[];
  };
  readonly restart: readonly RestartedComponent[];
  /** Keys that take effect as they are (`health`). */
  readonly live: readonly string[];
  /** Keys that changed but need `systemctl restart vigil` to apply; the running agent keeps their old values. */
  readonly needsRestart: readonly string[];
}

/** Keys of a camera that its running stream does not depend on. */
const SCENE_KEYS = new Set(['zones', 'lines', 'anchor']);

/** Top-level keys a reload cannot apply to a running agent (identity, state, the logger and the preview hub built at start). */
const RESTART_ONLY = ['device', 'log', 'metrics', 'preview', 'state_dir', 'cache_dir'] as const;

/** The model sections: a change swaps the inference workers (new ones load while the old ones keep serving). */
const INFERENCE_KEYS = ['inference', 'detector', 'classifier'] as const;

export function diffConfig(before: Readonly<VigilConfig>, after: Readonly<VigilConfig>): ConfigDiff {
  const old = enabledByName(before.cameras);
  const next = enabledByName(after.cameras);
  // The tracker's on/off decides whether interval and motion gating apply: the capture gate changes.
  const captureChanged = !same(before.capture, after.capture) || before.tracker.enabled !== after.tracker.enabled;
  const trackerChanged = !same(before.tracker, after.tracker);
  const added: string[] = [];
  const restarted: string[] = [];
  const scene: string[] = [];
  for (const [name, camera] of next) {
    const was = old.get(name);
    if (!was) added.push(name);
    else if (captureChanged || !same(streamKeys(was), streamKeys(camera)) || !same(intervalSetting(was, before.detector), intervalSetting(camera, after.detector))) {
      restarted.push(name);
    }
    else if (trackerChanged || !same(sceneKeys(was), sceneKeys(camera))) scene.push(name);
  }
  const removed = [...old.keys()].filter((name) => !next.has(name));
  const changed = (key: keyof VigilConfig): boolean => !same(modelPart(before, key), modelPart(after, key));
  const restart: RestartedComponent[] = [];
  if (INFERENCE_KEYS.some(changed)) restart.push('inference');
  if (changed('mqtt')) restart.push('mqtt');
  if (changed('http')) restart.push('http');
  const live = changed('health') ? ['health'] : [];
  const needsRestart = RESTART_ONLY.filter(changed).map(String);
  return { cameras: { added, removed, restarted, scene }, restart, live, needsRestart };
}

/** Whether applying `diff` would change nothing at all. */
export function isEmptyDiff(diff: ConfigDiff): boolean {
  const { added, removed, restarted, scene } = diff.cameras;
  return [added, removed, restarted, scene, diff.restart, diff.live, diff.needsRestart].every((list) => list.length === 0);
}

/** A section as the inference workers see it: the detector interval is the cameras' business (they restart for it), not the models'. */
function modelPart(config: Readonly<VigilConfig>, key: keyof VigilConfig): unknown {
  if (key !== 'detector') return config[key];
  return { ...config.detector, interval: undefined, max_interval: undefined };
}

function enabledByName(cameras: readonly CameraConfig[]): Map<string, CameraConfig> {
  return new Map(cameras.filter((c) => c.enabled).map((c) => [c.name, c]));
}

function streamKeys(camera: CameraConfig): Record<string, unknown> {
  return Object.fromEntries(Object.entries(camera).filter(([key]) => !SCENE_KEYS.has(key)));
}

function sceneKeys(camera: CameraConfig): Record<string, unknown> {
  return Object.fromEntries(Object.entries(camera).filter(([key]) => SCENE_KEYS.has(key)));
}

/** Deep equality of validated config values (plain data; the schema fixes key order). */
function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
