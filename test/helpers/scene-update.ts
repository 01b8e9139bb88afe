import type { SceneUpdate } from '../../agent/core/scene.js';

/** A scene update in which nothing happened: spread it and set what a test needs. */
export const EMPTY_SCENE: SceneUpdate = {
  tracks: [],
  tracksActive: 0,
  confirmed: [],
  zoneEntries: [],
  zoneExits: [],
  lineCrossings: [],
  events: [],
  counts: { zones: {}, lines: {} },
  countsChanged: false,
};
