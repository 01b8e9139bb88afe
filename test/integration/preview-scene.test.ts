import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FrameHeader } from '../../agent/preview/frame-message.js';
import type { CameraLayout } from '../../agent/preview/scene-layout.js';
import { AgentProcess, agentConfigYaml } from '../helpers/agent-process.js';
import { launchChromium, openPage } from '../helpers/chromium.js';
import { media, REPO_ROOT } from '../helpers/testdata.js';
import { waitFor } from '../helpers/wait.js';

const CAMERA = 'plaza';
const CANVAS = `canvas.view[data-camera=${CAMERA}]`;
const SCENE = `[data-scene=${CAMERA}]`;
const ARTIFACTS = join(REPO_ROOT, 'test-artifacts');
/** The right half of the plaza, and a vertical line down its middle whose first direction is left to right (zones-schema.ts). */
const ZONE = { name: 'plaza_right', polygon: [[0.55, 0.35], [0.95, 0.35], [0.95, 0.7], [0.55, 0.7]] };
const LINE = { name: 'middle', points: [[0.5, 0.3], [0.5, 0.75]], directions: ['eastbound', 'westbound'] };

/* The page's globals and the DOM calls used inside page.evaluate (the test project has no DOM lib); see preview-browser.test.ts. */
interface PageGlobals {
  readonly vigilPreview: {
    readonly framesDrawn: Record<string, number | undefined>;
    readonly lastHeader: Record<string, FrameHeader | undefined>;
    readonly layouts: Record<string, CameraLayout | undefined>;
  };
  readonly document: { querySelector(selector: string): unknown };
}
interface PageCanvas {
  readonly width: number;
  readonly height: number;
  readonly clientWidth: number;
  getContext(kind: '2d'): { getImageData(x: number, y: number, w: number, h: number): { readonly data: Uint8ClampedArray } };
}
interface PageElement {
  readonly textContent: string | null;
}
interface PageCheckbox {
  readonly checked: boolean;
  click(): void;
}

/**
 * The last drawn frame with zones and lines on, off and on again, compared inside one page task (no
 * frame can land in between), with the boxes off meanwhile so that none hides a point compared.
 */
interface SceneComparison {
  readonly header: FrameHeader;
  readonly sceneText: string;
  /** Points on a grid inside the zone (off its dashed edge), and how many of them the overlay changed. */
  readonly zonePoints: number;
  readonly zonePointsDiffering: number;
  /** The same in the top-left corner, away from every zone, line and label. */
  readonly farPoints: number;
  readonly farPointsDiffering: number;
  /** Beside the line's midpoint: the arrowhead points right (eastbound), the label sits on the left. */
  readonly arrowRightDiffers: boolean;
  readonly labelLeftDiffers: boolean;
  readonly sameAfterToggleBack: boolean;
  readonly checkedWhileOff: boolean;
}

/**
 * The real viewer in headless Chromium against the real agent (real
 * detector, tracker and analytics) reading vtest.avi with one zone and one
 * line: they are drawn, the boxes carry track ids, and the counts shown
 * under the picture are the frame's.
 */
describe('preview of zones, lines, tracks and counts', () => {
  let agent: AgentProcess;
  let browser: Browser;
  let page: Page;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    const camera =
      `  - name: ${CAMERA}\n    url: ${media('vtest.avi')}\n` +
      `    zones:\n      - name: ${ZONE.name}\n        polygon: ${JSON.stringify(ZONE.polygon)}\n` +
      `    lines:\n      - name: ${LINE.name}\n        points: ${JSON.stringify(LINE.points)}\n        directions: ${JSON.stringify(LINE.directions)}\n`;
    const [started, launched] = await Promise.all([
      AgentProcess.start(agentConfigYaml(camera)),
      launchChromium(),
    ]);
    agent = started;
    browser = launched;
    page = await openPage(browser, pageErrors);
  });

  afterAll(async () => {
    await browser?.close();
    await agent?.stop();
  });

  it('draws the zone and the line, labels boxes with track ids, and shows the counts', async () => {
    expect((await page.goto(`http://127.0.0.1:${agent.port}/`))?.status()).toBe(200);
    await page.waitForFunction((camera) => ((globalThis as unknown as PageGlobals).vigilPreview.framesDrawn[camera] ?? 0) >= 3, CAMERA, { timeout: 30_000 });

    // The hello carried the camera's zone and line, in frame fractions, as configured.
    const layout = await page.evaluate((camera) => (globalThis as unknown as PageGlobals).vigilPreview.layouts[camera], CAMERA);
    expect(layout).toEqual({ name: CAMERA, zones: [ZONE], lines: [LINE] });

    // Tracked persons: confirmed tracks carry their id in the frame header (the box labels read `#id person 87%`).
    const tracked = await waitFor(
      async () => {
        const objects = await page.evaluate(
          (camera) => ((globalThis as unknown as PageGlobals).vigilPreview.lastHeader[camera]?.objects ?? []).filter((o) => o.track_id != null),
          CAMERA,
        );
        return objects.length > 0 ? objects : null;
      },
      'a drawn frame with a tracked object',
      20_000,
    );
    expect(tracked.every((o) => Number.isInteger(o.track_id) && o.track_id! >= 1)).toBe(true);

    // Someone crosses the line within the first minute of the plaza (so the screenshot shows counts that moved).
    await page.waitForFunction(
      (camera) => {
        const byDirection = (globalThis as unknown as PageGlobals).vigilPreview.lastHeader[camera]?.counts?.lines.middle ?? {};
        return Object.values(byDirection).some((byLabel) => Object.values(byLabel).some((n) => n > 0));
      },
      CAMERA,
      { timeout: 60_000 },
    );

    const comparison = await page.evaluate(
      ({ camera, canvasSelector, sceneSelector, zone, line }): SceneComparison => {
        const g = globalThis as unknown as PageGlobals;
        const header = g.vigilPreview.lastHeader[camera]!;
        const view = g.document.querySelector(canvasSelector) as PageCanvas;
        const toggle = g.document.querySelector('#scene') as PageCheckbox;
        const boxes = g.document.querySelector('#overlay') as PageCheckbox;
        const ctx = view.getContext('2d');
        const w = view.width;
        const h = view.height;
        boxes.click();
        const on = ctx.getImageData(0, 0, w, h).data;
        toggle.click();
        const checkedWhileOff = toggle.checked;
        const off = ctx.getImageData(0, 0, w, h).data;
        toggle.click();
        const again = ctx.getImageData(0, 0, w, h).data;
        boxes.click();
        const differs = (x: number, y: number): boolean => {
          const p = (Math.round(y) * w + Math.round(x)) * 4;
          return on[p] !== off[p] || on[p + 1] !== off[p + 1] || on[p + 2] !== off[p + 2];
        };
        let sameAfterToggleBack = true;
        for (let i = 0; i < on.length; i++) if (on[i] !== again[i]) sameAfterToggleBack = false;
        // Same aspect ratio (devicePixelRatio 1): the picture fills the canvas, so fractions scale by w, h.
        const [[zx1, zy1], , [zx2, zy2]] = zone.polygon as [[number, number], [number, number], [number, number]];
        let zonePoints = 0;
        let zonePointsDiffering = 0;
        for (let fx = zx1 + 0.02; fx < zx2 - 0.01; fx += 0.03) {
          for (let fy = zy1 + 0.06; fy < zy2 - 0.01; fy += 0.03) {
            zonePoints++;
            if (differs(fx * w, fy * h)) zonePointsDiffering++;
          }
        }
        let farPoints = 0;
        let farPointsDiffering = 0;
        for (let x = 2; x < w * 0.3; x += 7) {
          for (let y = 2; y < h * 0.2; y += 7) {
            farPoints++;
            if (differs(x, y)) farPointsDiffering++;
          }
        }
        const [[lx1, ly1], [, ly2]] = line.points as [[number, number], [number, number]];
        const mx = lx1 * w;
        const my = ((ly1 + ly2) / 2) * h;
        // The viewer sizes the arrow in CSS pixels (22 to the arrowhead's base, 31 to its tip): canvas pixels per CSS pixel.
        const px = w / view.clientWidth;
        const sceneText = (g.document.querySelector(sceneSelector) as PageElement).textContent ?? '';
        return {
          header,
          sceneText,
          zonePoints,
          zonePointsDiffering,
          farPoints,
          farPointsDiffering,
          arrowRightDiffers: differs(mx + 27 * px, my),
          labelLeftDiffers: differs(mx - 40 * px, my),
          sameAfterToggleBack,
          checkedWhileOff,
        };
      },
      { camera: CAMERA, canvasSelector: CANVAS, sceneSelector: SCENE, zone: ZONE, line: LINE },
    );
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, 'preview-scene.png'), fullPage: true });
    expect(comparison.checkedWhileOff).toBe(false);
    expect(comparison.sameAfterToggleBack).toBe(true);
    // The zone's translucent fill tints all of it (points under its label chip differ too); nothing far from it changes.
    expect(comparison.zonePoints).toBeGreaterThan(50);
    expect(comparison.zonePointsDiffering).toBe(comparison.zonePoints);
    expect(comparison.farPointsDiffering).toBe(0);
    expect(comparison.arrowRightDiffers).toBe(true);
    expect(comparison.labelLeftDiffers).toBe(true);

    // The counts under the picture are the drawn frame's: tracks alive, the zone's occupancy, the line's crossings each way.
    const counts = comparison.header.counts!;
    const sum = (byLabel: Record<string, number> | undefined): number => Object.values(byLabel ?? {}).reduce((a, b) => a + b, 0);
    const east = sum(counts.lines.middle?.eastbound);
    const west = sum(counts.lines.middle?.westbound);
    expect(east + west).toBeGreaterThan(0);
    expect(comparison.sceneText).toContain(`tracks ${comparison.header.tracks_active}`);
    expect(comparison.sceneText).toContain(`plaza_right ${sum(counts.zones.plaza_right)}`);
    expect(comparison.sceneText).toContain(`middle eastbound ${east} / westbound ${west}`);
    expect(await page.locator(SCENE).isVisible()).toBe(true);
    expect(pageErrors).toEqual([]);
  });
});
