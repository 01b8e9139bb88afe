import { z } from 'zod';
import { secondsAtLeast } from './schema-parts.js';
import { framePolygon } from './zones-schema.js';

/**
 * Less inference per camera (issue 16): the detector interval (top level
 * `detector.interval`, per camera `cameras[].detector`) and motion gating
 * (`cameras[].motion`). docs/density.md says how they work and what they
 * cost in accuracy.
 */

const interval = z
  .union([z.literal('auto'), z.number().int('a whole number of frames').min(1, 'at least 1 (1 runs the detector on every frame)').max(30)], {
    // zod reports a fraction (1.5) as a type mismatch of both options: say what fits instead of "Invalid input".
    error: (issue) => (issue.code === 'invalid_union' ? 'a whole number of frames (1–30) or auto' : undefined),
  })
  .describe(
    'Run the detector on every N-th frame; on the frames between, the tracker predicts the boxes and every output is computed from the tracks. ' +
      '`auto`: 1 while the camera keeps up, raised (up to max_interval) when its queue fills instead of dropping frames, lowered again when the load goes. ' +
      'Needs the tracker; without it every frame is detected.',
  );

const maxInterval = z.number().int().min(2).max(30).describe('The highest interval `auto` goes to.');

/** Spread into the top-level `detector` section: the default for every camera. */
export const detectorDensityKeys = {
  interval: interval.default(1),
  max_interval: maxInterval.default(5),
};

/** `cameras[].detector`: the camera's own interval; unset keys take the top-level `detector` ones. */
export const cameraDetectorSchema = z
  .object({
    interval: interval.optional(),
    max_interval: maxInterval.optional(),
  })
  .strict()
  .prefault({})
  .describe("This camera's detector interval; unset keys take `detector.interval` and `detector.max_interval`.");

export const motionSchema = z
  .object({
    enabled: z
      .boolean()
      .default(false)
      .describe(
        'Skip the detector while nothing moves: no motion in the frame and no moving track. Motion is measured on the capture thread ' +
          '(a downscaled greyscale frame against a running background, OpenCV), skipped frames are computed from the tracks. Needs the tracker.',
      ),
    width: z.number().int().min(32).max(640).default(160).describe('Width (pixels) of the downscaled greyscale image motion is measured on.'),
    threshold: z
      .number()
      .int()
      .min(1)
      .max(255)
      .default(25)
      .describe('A pixel moved when its grey level differs from the background by more than this (0–255).'),
    min_area: z
      .number()
      .min(0)
      .max(1)
      .default(0.002)
      .describe('Motion is present when at least this fraction of the unmasked frame moved.'),
    refresh_seconds: secondsAtLeast(0.5, 'detecting that often is no gating at all')
      .default(5)
      .describe('Detect at least this often (s) even without motion, so an object entering too slowly to register as motion is still found.'),
    mask: z
      .array(framePolygon('a mask region'))
      .default([])
      .describe('Regions (polygons [[x, y], …] in frame fractions, 0–1) where motion is ignored: timestamp overlays, trees in the wind.'),
  })
  .strict()
  .prefault({})
  .describe('Motion gating: the detector runs only when something moves (Frigate-style).');

export type MotionConfig = z.infer<typeof motionSchema>;
export type DetectorInterval = z.infer<typeof interval>;

/** A camera's interval after its own keys fall back to the top-level ones. */
export interface IntervalSetting {
  readonly interval: DetectorInterval;
  readonly maxInterval: number;
}

export function intervalSetting(
  camera: { readonly detector: { readonly interval?: DetectorInterval | undefined; readonly max_interval?: number | undefined } },
  detector: { readonly interval: DetectorInterval; readonly max_interval: number },
): IntervalSetting {
  return { interval: camera.detector.interval ?? detector.interval, maxInterval: camera.detector.max_interval ?? detector.max_interval };
}
