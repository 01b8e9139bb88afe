import { defineConfig } from 'vitest/config';

/**
 * Test files only `npm run test:full` (CI) runs. Each takes 15 s or more here,
 * mostly waiting by design (outages, stalls, load and soak phases as long as
 * what they check), or covers ground a fast file already walks through;
 * `npm test`, the loop run on every change, keeps one file per subject.
 * docs/testing.md lists what each file checks.
 */
const SLOW = [
  // minutes: seeded chaos over several cameras, broker and viewers; every fault path
  'test/soak/**/*.test.ts',
  'test/faults/**/*.test.ts',
  // outages, stalls and full load, each as long as what it checks
  'test/integration/mqtt-outage.test.ts',
  'test/integration/mqtt-spool.test.ts',
  // issue 17: 10 s and 60 s RTSP outages and a freeze, each as long as it says
  'test/integration/rtsp-recovery.test.ts',
  // issue 17: config reloads on the real agent, one after another (11-27 s)
  'test/integration/config-reload.test.ts',
  // issue 17: the fleet's uplink cut for 2 minutes, then the agent mode's WAL replayed
  'test/integration/prometheus-remote-write.test.ts',
  // tracks, zones and lines: a 20 s clip analysed frame by frame
  'test/integration/mqtt-events.test.ts',
  'test/integration/preview-backpressure.test.ts',
  'test/integration/load-and-metrics.test.ts',
  // issue 15's end-to-end figures: a rendered video played in real time, vtest.avi played twice
  'test/integration/scene-*.test.ts',
  'test/integration/lead-worker.test.ts',
  // issue 16: a rendered clip played in real time on a gated and a plain camera; auto interval up under load and down after (up to minutes)
  'test/integration/density.test.ts',
  // subjects the fast files cover in part: MQTT (credentials, TLS), RTSP
  // (GStreamer decode), preview (in Chromium), batching, the install script
  'test/integration/mqtt-security.test.ts',
  'test/integration/mosquitto-helper.test.ts',
  'test/integration/rtsp-gstreamer-decode.test.ts',
  'test/integration/preview-browser.test.ts',
  'test/integration/preview-scene.test.ts',
  'test/integration/cross-camera-batching.test.ts',
  'test/integration/systemd-install.test.ts',
];

export default defineConfig({
  test: {
    // opencv4nodejs and onnxruntime-node are native addons: run test files in
    // child processes, not worker threads, and one at a time (2-core machine,
    // timing-sensitive integration tests).
    pool: 'forks',
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 120_000,
    reporters: ['default'],
    // `vitest run --project fast` is `npm test`; `vitest run` runs both, fast
    // first, and never the two at once (groupOrder).
    projects: [
      { extends: true, test: { name: 'fast', include: ['test/**/*.test.ts'], exclude: SLOW, sequence: { groupOrder: 0 } } },
      { extends: true, test: { name: 'slow', include: SLOW, sequence: { groupOrder: 1 } } },
    ],
  },
});
