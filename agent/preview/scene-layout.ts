/**
 * What the viewer needs to draw a camera's zones and lines (issue 15): their
 * names and geometry in fractions of the frame, straight from the config, so
 * the drawing survives any preview width. Label filters, inertia and
 * hysteresis stay on the device: the viewer only draws.
 */

type Point = readonly [number, number];

export interface ZoneLayout {
  readonly name: string;
  readonly polygon: readonly Point[];
}

export interface LineLayout {
  readonly name: string;
  readonly points: readonly [Point, Point];
  /**
   * The names of the two crossing directions (the counts' keys in SceneCounts.lines); the first is
   * from the line's right-hand side to its left, seen from its first point (agent/config/zones-schema.ts).
   */
  readonly directions: readonly [string, string];
}

/** One camera's entry in the `hello` message; zones and lines only when it has any. */
export interface CameraLayout {
  readonly name: string;
  readonly zones?: readonly ZoneLayout[];
  readonly lines?: readonly LineLayout[];
}

/** The parts of a camera's config this reads: structural, so the config schema's own types fit as they are. */
export interface CameraSceneConfig {
  readonly name: string;
  readonly zones?: readonly { readonly name: string; readonly polygon: readonly (readonly number[])[] }[];
  readonly lines?: readonly {
    readonly name: string;
    readonly points: readonly (readonly number[])[];
    readonly directions?: readonly string[];
  }[];
}

const point = (p: readonly number[]): Point => [p[0] ?? 0, p[1] ?? 0];

export function cameraLayout(camera: CameraSceneConfig): CameraLayout {
  const zones = (camera.zones ?? []).map((z) => ({ name: z.name, polygon: z.polygon.map(point) }));
  const lines = (camera.lines ?? []).map((l) => ({
    name: l.name,
    points: [point(l.points[0] ?? []), point(l.points[1] ?? [])] as const,
    directions: [l.directions?.[0] ?? 'in', l.directions?.[1] ?? 'out'] as const,
  }));
  return { name: camera.name, ...(zones.length ? { zones } : {}), ...(lines.length ? { lines } : {}) };
}
