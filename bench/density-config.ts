import { resolve } from 'node:path';
import type { DetectorInterval } from '../agent/config/density-schema.js';
import { parseConfig } from '../agent/config/load.js';
import type { VigilConfig } from '../agent/config/schema.js';

/**
 * The agent configs of the density bench, written against the issue 16
 * keys (agent/config/density-schema.ts, classifier.mode, capture.workers),
 * so the bench measures each feature as it is, and the same YAML an
 * operator would write.
 */

export const TESTDATA = resolve(process.env.VIGIL_TESTDATA ?? '../shared/testdata');
export const VTEST = `${TESTDATA}/media/vtest.avi`;
/** The line across the plaza of vtest.avi: about a person crossing every few seconds. */
export const PLAZA_LINE = '[[0, 0.55], [1, 0.55]]';

/** One group of identical cameras in a config. */
export interface CameraGroup {
  readonly prefix: string;
  readonly count: number;
  readonly url: string;
  /** Copies of `url` shifted in time: camera i plays copies[i % length], so the cameras' bursts do not all come at once. */
  readonly copies?: readonly string[];
  readonly interval?: DetectorInterval;
  readonly maxInterval?: number;
  readonly motion?: boolean;
  /** The line crossings are counted on ([[x, y], [x, y]] in frame fractions). */
  readonly line?: string;
  readonly pace?: 'realtime' | 'on_demand';
  /** `fps_cap`: frames a second handed to the queue (the rest are decoded and skipped at capture). */
  readonly fpsCap?: number;
  readonly loop?: boolean;
}

export interface DensitySettings {
  readonly groups: readonly CameraGroup[];
  /** off: no classifier section at all (today's default config). */
  readonly classifier?: 'off' | 'per_frame' | 'per_track';
  readonly logLevel?: string;
}

function cameraYaml(group: CameraGroup, index: number): string {
  const keys = [
    `name: ${group.prefix}${index}`,
    `url: ${group.copies?.length ? group.copies[index % group.copies.length] : group.url}`,
    `file_pace: ${group.pace ?? 'realtime'}`,
    `loop: ${group.loop ?? true}`,
    'queue_capacity: 4',
  ];
  if (group.fpsCap !== undefined) keys.push(`fps_cap: ${group.fpsCap}`);
  if (group.interval !== undefined || group.maxInterval !== undefined) {
    const detector = [group.interval !== undefined ? `interval: ${group.interval}` : '', group.maxInterval !== undefined ? `max_interval: ${group.maxInterval}` : ''];
    keys.push(`detector: { ${detector.filter(Boolean).join(', ')} }`);
  }
  if (group.motion) keys.push('motion: { enabled: true }');
  if (group.line) keys.push(`lines: [{ name: crossing, points: ${group.line} }]`);
  return `  - { ${keys.join(', ')} }`;
}

/** Only persons are kept: the line and track counts then mean people, and the classifier (person crops) matches bench.ts's. */
export function densityConfigYaml({ groups, classifier = 'off', logLevel = 'error' }: DensitySettings): string {
  const cameras = groups.flatMap((g) => Array.from({ length: g.count }, (_, i) => cameraYaml(g, i)));
  return [
    `log: { level: ${logLevel} }`,
    'http: { port: 0 }',
    `inference: { providers: [cpu], workers: ${process.env.VIGIL_BENCH_WORKERS ?? 'auto'} }`,
    `detector: { model: ${TESTDATA}/models/yolox_nano.onnx, labels: ${TESTDATA}/models/coco80_labels.txt, classes: [person] }`,
    classifier === 'off'
      ? ''
      : `classifier: { model: ${TESTDATA}/models/mobilenetv2-12-int8.onnx, labels: ${TESTDATA}/models/classification_classes_ILSVRC2012.txt, apply_to: [person], mode: ${classifier} }`,
    'cameras:',
    ...cameras,
  ].join('\n');
}

export function densityConfig(settings: DensitySettings): Readonly<VigilConfig> {
  return parseConfig(densityConfigYaml(settings), resolve('bench-density.yaml'));
}
