import { z } from 'zod';
import { polygonProblem } from '../util/polygon.js';
import { name } from './schema-parts.js';

/**
 * A camera's zones, lines and anchor (issue 15): the keys `cameras[].zones`,
 * `cameras[].lines` and `cameras[].anchor`. Coordinates are fractions of the
 * frame (0–1, x from the left, y from the top), so a zone survives a change
 * of resolution. docs/tracking.md ("Zones and lines") says how they count.
 */

/** The point of a box that stands for the object: bottom_center is where a person or car touches the ground (Frigate, nvdsanalytics). */
export const ANCHORS = ['bottom_center', 'center', 'top_center', 'bottom_left', 'bottom_right', 'center_left', 'center_right', 'top_left', 'top_right'] as const;
export type Anchor = (typeof ANCHORS)[number];

const fraction = z.number().min(0, 'a fraction of the frame: 0–1').max(1, 'a fraction of the frame: 0–1');
const point = z.tuple([fraction, fraction]);

/** A simple polygon in frame fractions: zones here, motion masks in density-schema.ts. */
export function framePolygon(what: string) {
  return z
    .array(point)
    .min(3, `${what} needs at least 3 points`)
    .superRefine((polygon, ctx) => {
      // Zod runs this after the point checks failed too: a polygon with too few points is reported once, above.
      if (polygon.length < 3 || !polygon.every((p) => Array.isArray(p) && p.every(Number.isFinite))) return;
      const problem = polygonProblem(polygon);
      if (problem) ctx.addIssue({ code: 'custom', message: problem, input: polygon });
    });
}

const labels = z
  .array(z.string().min(1))
  .default([])
  .describe("Detector labels counted here, e.g. `[person]`; `[]` counts every label the detector keeps.");

const zone = z
  .object({
    name: name.describe('The zone, in metrics (`zone` label), MQTT counts and events; unique among the camera\'s zones.'),
    polygon: framePolygon('a zone').describe('Corners [x, y] in fractions of the frame (0–1, from the top left), in order around the zone; edges may not cross.'),
    labels,
    inertia: z
      .number()
      .int()
      .min(1, 'at least 1 frame')
      .max(100)
      .default(3)
      .describe(
        "Frames in a row the object's anchor must be inside before it counts as entered, and outside before it counts as left; " +
          'entry and exit times are those of the first of these frames.',
      ),
  })
  .strict();

const line = z
  .object({
    name: name.describe('The line, in metrics (`line` label), MQTT counts and events; unique among the camera\'s lines.'),
    points: z
      .tuple([point, point])
      .describe('Its two ends [[x, y], [x, y]] in fractions of the frame (0–1, from the top left); only crossings between them count.'),
    directions: z
      .tuple([name, name])
      .default(['in', 'out'])
      .describe(
        'Names of the two crossing directions. The first is an object crossing from the right-hand side of the line, seen from its first point towards its second, ' +
          'to the left-hand side: for a line drawn left to right across the picture, the first is moving up the picture, the second down.',
      ),
    labels,
    hysteresis: z
      .number()
      .min(0)
      .max(0.2)
      .default(0.02)
      .describe(
        "How far (a fraction of the frame's diagonal) the anchor must get past the line before a crossing counts, and back before the reverse does: " +
          'a box jittering on the line counts once.',
      ),
  })
  .strict()
  .superRefine((l, ctx) => {
    const [a, b] = l.points;
    if (!Array.isArray(a) || !Array.isArray(b)) return;
    if (a[0] === b[0] && a[1] === b[1]) ctx.addIssue({ code: 'custom', path: ['points'], message: 'the two points are the same: a line needs length', input: l.points });
    if (l.directions[0] === l.directions[1]) {
      ctx.addIssue({ code: 'custom', path: ['directions'], message: 'the two directions need different names', input: l.directions });
    }
  });

/** Names are label values and MQTT keys: unique within a camera's zones, and within its lines. */
function uniqueNames<T extends { name: string }>(kind: string) {
  return (items: readonly T[], ctx: z.RefinementCtx): void => {
    const first = new Map<string, number>();
    items.forEach((item, i) => {
      const earlier = first.get(item.name);
      if (earlier === undefined) first.set(item.name, i);
      else ctx.addIssue({ code: 'custom', path: [i, 'name'], message: `duplicate ${kind} name "${item.name}" (also ${kind}s[${earlier}])`, input: item.name });
    });
  };
}

/** Spread into the camera schema. */
export const sceneKeys = {
  zones: z
    .array(zone)
    .default([])
    .superRefine(uniqueNames('zone'))
    .describe('Polygons whose occupancy, entries and dwell are counted per label (needs the tracker).'),
  lines: z
    .array(line)
    .default([])
    .superRefine(uniqueNames('line'))
    .describe('Lines whose crossings are counted per direction and label (needs the tracker).'),
  anchor: z
    .enum(ANCHORS)
    .default('bottom_center')
    .describe("The point of a box whose position decides zones and line crossings; `bottom_center` is where a person or car meets the ground."),
};

export type ZoneConfig = z.infer<typeof zone>;
export type LineConfig = z.infer<typeof line>;

interface LabelledScene {
  readonly detector: { readonly classes: readonly string[] };
  readonly cameras: readonly { readonly zones: readonly { readonly labels: readonly string[] }[]; readonly lines: readonly { readonly labels: readonly string[] }[] }[];
}

/** A zone or line filtering on a label the detector drops (detector.classes) would count nothing, silently: say so. */
export function checkSceneLabels(config: LabelledScene, ctx: z.RefinementCtx): void {
  if (config.detector.classes.length === 0) return;
  const kept = new Set(config.detector.classes);
  config.cameras.forEach((camera, c) => {
    for (const kind of ['zones', 'lines'] as const) {
      camera[kind].forEach((item, i) =>
        item.labels.forEach((label, l) => {
          if (!kept.has(label)) ctx.addIssue({ code: 'custom', path: ['cameras', c, kind, i, 'labels', l], message: `not in detector.classes, so never counted`, input: label });
        }),
      );
    }
  });
}
