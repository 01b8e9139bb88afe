import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FrameHeader } from '../../agent/preview/frame-message.js';
import { AgentProcess, agentConfigYaml } from '../helpers/agent-process.js';
import { launchChromium, openPage } from '../helpers/chromium.js';
import { h264TestFile, RtspServer } from '../helpers/rtsp-server.js';
import { REPO_ROOT } from '../helpers/testdata.js';
import { waitFor } from '../helpers/wait.js';

const STALL_SECONDS = 3;
const CANVAS = 'canvas.view[data-camera=gate]';
const BADGE = '.badge-disconnected[data-camera=gate]';
const STATS = '[data-stats=gate]';
const OBJECTS = '[data-objects=gate]';
const ARTIFACTS = join(REPO_ROOT, 'test-artifacts');

/*
 * The page's globals and the few DOM calls made inside page.evaluate (the
 * test project has no DOM lib); functions passed to the page are serialised,
 * so each one declares what it uses and closes over nothing.
 */
interface PageGlobals {
  readonly vigilPreview: {
    readonly framesDrawn: Record<string, number | undefined>;
    readonly lastHeader: Record<string, FrameHeader | undefined>;
    readonly connected: boolean;
  };
  readonly document: { querySelector(selector: string): unknown };
}
interface PageCanvas {
  readonly width: number;
  readonly height: number;
  getContext(kind: '2d'): { getImageData(x: number, y: number, w: number, h: number): { readonly data: Uint8ClampedArray } };
}
interface PageCheckbox {
  readonly checked: boolean;
  click(): void;
}

/** Pixel comparison of the last drawn frame with the overlay on, off, and on again (one task: no frame can arrive in between). */
interface OverlayComparison {
  readonly pixels: number;
  readonly differing: number;
  /** Differing pixels outside every box (widened for the label chip above it). */
  readonly outsideBoxes: number;
  /** Whether the left edge of the best person box, halfway down, is among them. */
  readonly personEdgeDiffers: boolean;
  readonly sameAfterToggleBack: boolean;
  readonly checkedWhileOff: boolean;
  readonly checkedAfter: boolean;
}

/**
 * The real viewer in a real (headless) Chromium against the real agent fed
 * by a real RTSP server: pictures and boxes drawn on the canvas, the overlay
 * toggle, the numbers, and the DISCONNECTED badge across a server outage.
 */
describe('preview in a browser', () => {
  let server: RtspServer;
  let agent: AgentProcess;
  let browser: Browser;
  let page: Page;
  const pageErrors: string[] = [];

  const framesDrawn = (): Promise<number> => page.evaluate(() => (globalThis as unknown as PageGlobals).vigilPreview.framesDrawn.gate ?? 0);
  const waitForFramesDrawn = async (atLeast: number, timeoutMs: number): Promise<void> => {
    await page.waitForFunction((n) => ((globalThis as unknown as PageGlobals).vigilPreview.framesDrawn.gate ?? 0) >= n, atLeast, { timeout: timeoutMs });
  };

  beforeAll(async () => {
    server = new RtspServer(h264TestFile());
    await server.start();
    const [started, launched] = await Promise.all([
      AgentProcess.start(
        agentConfigYaml(
          `  - name: gate\n    url: ${server.url}\n    stall_timeout_seconds: ${STALL_SECONDS}\n    reconnect: { initial_seconds: 0.5, max_seconds: 2 }\n`,
          { extra: 'capture:\n  rtsp_timeout_seconds: 1\n' },
        ),
      ),
      launchChromium(),
    ]);
    agent = started;
    browser = launched;
    page = await openPage(browser, pageErrors);
  });

  afterAll(async () => {
    await browser?.close();
    await agent?.stop();
    await server?.kill();
  });

  it('draws live frames with person boxes, toggles the overlay, and updates the numbers', async () => {
    const response = await page.goto(`http://127.0.0.1:${agent.port}/`);
    expect(response?.status()).toBe(200);
    await waitForFramesDrawn(3, 30_000);
    expect(await page.evaluate(() => (globalThis as unknown as PageGlobals).vigilPreview.connected)).toBe(true);
    // One camera: the single view, no grid, and no badge while frames flow.
    expect(await page.locator('canvas.view').count()).toBe(1);
    expect(await page.locator('#camera').inputValue()).toBe('gate');
    await expect.poll(() => page.locator(BADGE).isHidden()).toBe(true);

    // The canvas really changes: two screenshots about a second apart differ, and frames keep being drawn.
    const canvas = page.locator(CANVAS);
    const drawnBefore = await framesDrawn();
    const shotBefore = await canvas.screenshot();
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const shotAfter = await canvas.screenshot();
    expect(shotAfter.equals(shotBefore)).toBe(false);
    expect(await framesDrawn()).toBeGreaterThan(drawnBefore);
    const box = await canvas.boundingBox();
    expect(box?.width).toBeGreaterThan(300);

    // Persons are detected (vtest.avi is people walking) and listed under the picture.
    await page.waitForFunction(
      () => ((globalThis as unknown as PageGlobals).vigilPreview.lastHeader.gate?.objects ?? []).some((o) => o.label === 'person' && o.score > 0.5),
      undefined,
      { timeout: 15_000 },
    );
    await expect.poll(() => page.locator(OBJECTS).textContent(), { timeout: 5000 }).toContain('person');

    // The overlay is drawn: with it off the last frame is redrawn without boxes, on again exactly as before,
    // and the only pixels that differ are on and around the boxes. Compared inside one page task, so no new
    // frame can land in between (a retry when the frame drawn last happens to have no confident person).
    const comparison = await waitFor(
      () =>
        page.evaluate(
          ({ canvasSelector }): OverlayComparison | null => {
            const g = globalThis as unknown as PageGlobals;
            const header = g.vigilPreview.lastHeader.gate;
            const persons = (header?.objects ?? []).filter((o) => o.label === 'person' && o.score > 0.5).sort((a, b) => b.score - a.score);
            if (!header || persons.length === 0) return null;
            const view = g.document.querySelector(canvasSelector) as PageCanvas;
            const toggle = g.document.querySelector('#overlay') as PageCheckbox;
            const ctx = view.getContext('2d');
            const w = view.width;
            const h = view.height;
            const on = ctx.getImageData(0, 0, w, h).data;
            toggle.click();
            const checkedWhileOff = toggle.checked;
            const off = ctx.getImageData(0, 0, w, h).data;
            toggle.click();
            const again = ctx.getImageData(0, 0, w, h).data;
            // Same aspect ratio (devicePixelRatio 1): the picture fills the canvas, source pixels scale by kx, ky.
            const kx = w / header.width;
            const ky = h / header.height;
            const rects = header.objects.map((o) => [
              Math.min(o.box[0] * kx, w - 250) - 4,
              o.box[1] * ky - 30,
              Math.max(o.box[2] * kx, o.box[0] * kx + 250) + 4,
              o.box[3] * ky + 4,
            ]);
            let differing = 0;
            let outsideBoxes = 0;
            let sameAfterToggleBack = true;
            for (let i = 0; i < w * h; i++) {
              const p = i * 4;
              if (on[p] !== again[p] || on[p + 1] !== again[p + 1] || on[p + 2] !== again[p + 2]) sameAfterToggleBack = false;
              if (on[p] === off[p] && on[p + 1] === off[p + 1] && on[p + 2] === off[p + 2]) continue;
              differing++;
              const x = i % w;
              const y = Math.floor(i / w);
              if (!rects.some((r) => x >= r[0]! && x <= r[2]! && y >= r[1]! && y <= r[3]!)) outsideBoxes++;
            }
            const best = persons[0]!;
            const edgeX = Math.round(best.box[0] * kx);
            const edgeY = Math.round(((best.box[1] + best.box[3]) / 2) * ky);
            let personEdgeDiffers = false;
            for (let x = Math.max(0, edgeX - 1); x <= Math.min(w - 1, edgeX + 1); x++) {
              const p = (edgeY * w + x) * 4;
              if (on[p] !== off[p] || on[p + 1] !== off[p + 1] || on[p + 2] !== off[p + 2]) personEdgeDiffers = true;
            }
            return { pixels: w * h, differing, outsideBoxes, personEdgeDiffers, sameAfterToggleBack, checkedWhileOff, checkedAfter: toggle.checked };
          },
          { canvasSelector: CANVAS },
        ),
      'a drawn frame with a person to compare overlay on and off',
      15_000,
    );
    expect(comparison.checkedWhileOff).toBe(false);
    expect(comparison.checkedAfter).toBe(true);
    expect(comparison.sameAfterToggleBack).toBe(true);
    expect(comparison.differing).toBeGreaterThan(200);
    expect(comparison.differing).toBeLessThan(comparison.pixels / 2);
    expect(comparison.outsideBoxes).toBe(0);
    expect(comparison.personEdgeDiffers).toBe(true);

    // The overlay off survives new frames: boxes stay off until it is switched on again.
    await page.locator('#overlay').uncheck();
    const offFrom = await framesDrawn();
    await waitForFramesDrawn(offFrom + 2, 10_000);
    const offShot = await canvas.screenshot();
    await page.locator('#overlay').check();
    expect((await canvas.screenshot()).equals(offShot)).toBe(false);

    // The numbers: the stats line changes within a few seconds and shows a processed fps above 0.
    const seen = new Set<string>();
    await waitFor(
      async () => {
        seen.add((await page.locator(STATS).textContent()) ?? '');
        return seen.size >= 2;
      },
      'the stats line to change',
      6000,
      250,
    );
    const statsText = (await page.locator(STATS).textContent()) ?? '';
    const fps = Number(/fps (\d+(?:\.\d+)?)/.exec(statsText)?.[1] ?? NaN);
    expect(fps, statsText).toBeGreaterThan(0);
    expect(statsText).toMatch(/· connected$/);

    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, 'preview.png'), fullPage: true });
    expect(pageErrors).toEqual([]);
  });

  it('shows DISCONNECTED within the stall timeout when the RTSP server dies, and hides it when frames are back', async () => {
    const badge = page.locator(BADGE);
    expect(await badge.isHidden()).toBe(true);
    await server.kill();
    const killedAt = Date.now();
    await badge.waitFor({ state: 'visible', timeout: (STALL_SECONDS + 10) * 1000 });
    const shownAfterMs = Date.now() - killedAt;
    expect(shownAfterMs).toBeLessThanOrEqual((STALL_SECONDS + 3) * 1000);
    expect(await badge.textContent()).toBe('DISCONNECTED');
    expect(await page.locator(STATS).textContent()).toMatch(/disconnected$/);
    // The viewer's own connection to the agent is fine; only the camera is gone, so no frames are drawn.
    expect(await page.evaluate(() => (globalThis as unknown as PageGlobals).vigilPreview.connected)).toBe(true);
    const drawnWhileDown = await framesDrawn();
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(await framesDrawn()).toBe(drawnWhileDown);
    const canvas = page.locator(CANVAS);
    const frozen = await canvas.screenshot();

    await server.start();
    const restartedAt = Date.now();
    await badge.waitFor({ state: 'hidden', timeout: 25_000 });
    const hiddenAfterMs = Date.now() - restartedAt;
    await waitForFramesDrawn(drawnWhileDown + 5, 15_000);
    expect((await canvas.screenshot()).equals(frozen)).toBe(false);
    expect(await page.locator(STATS).textContent()).toMatch(/connected$/);
    expect(pageErrors).toEqual([]);
    console.info(`badge shown ${shownAfterMs} ms after the kill, hidden ${hiddenAfterMs} ms after the restart`);
  });
});
