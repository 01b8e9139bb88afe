import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { AgentProcess, agentConfigYaml } from '../helpers/agent-process.js';
import { sampleValue } from '../helpers/metrics-text.js';
import { media } from '../helpers/testdata.js';
import { waitFor } from '../helpers/wait.js';

/** Cuts `seconds` of vtest.avi (10 fps) from `start`, re-encoded with `codec`. */
function clip(dir: string, name: string, start: number, seconds: number, codec: string): string {
  const file = join(dir, name);
  execFileSync('ffmpeg', ['-nostdin', '-loglevel', 'error', '-y', '-ss', String(start), '-i', media('vtest.avi'), '-t', String(seconds), '-c:v', codec, '-an', file]);
  return file;
}

describe('other sources: a playlist of files and a GStreamer pipeline', () => {
  let agent: AgentProcess;
  afterAll(async () => {
    await agent?.stop();
  });

  it('plays each playlist item once, advancing video_index, and a GStreamer pipeline that ends is reopened', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-sources-'));
    // 2 s of H.264 in MP4 then 3 s of MPEG-4 part 2 in AVI: 20 + 30 frames.
    const playlist = [clip(dir, 'a.mp4', 0, 2, 'libx264'), clip(dir, 'b.avi', 10, 3, 'mpeg4')];
    const pipeline = 'videotestsrc num-buffers=30 ! video/x-raw,width=320,height=240,framerate=25/1 ! videoconvert ! video/x-raw,format=BGR ! appsink';
    agent = await AgentProcess.start(
      agentConfigYaml(
        `  - name: list\n    url: [${playlist.join(', ')}]\n    loop: false\n    file_pace: on_demand\n` +
          `  - name: gst\n    url: "${pipeline}"\n    reconnect: { initial_seconds: 0.2, max_seconds: 0.5 }\n`,
      ),
    );
    const value = async (name: string, camera: string): Promise<number> => sampleValue(await agent.metrics(), name, { camera }) ?? NaN;
    await waitFor(async () => (await value('classifier_frames_processed_total', 'list')) === 50, 'all 50 playlist frames processed', 30_000);
    await waitFor(() => agent.logs.some((l) => l.camera === 'list' && l.msg === 'playlist finished and loop is off'), 'playlist end logged', 5000);
    expect(await value('frames_sent_total', 'list')).toBe(50);
    expect(await value('video_index', 'list')).toBe(1);
    expect(await value('frames_dropped_total', 'list')).toBe(0);

    // 30 buffers at 25 fps last 1.2 s; the end of the pipeline is a disconnect, then a reopen.
    await waitFor(async () => (await value('video_index', 'gst')) >= 2, 'GStreamer pipeline reopened twice', 20_000);
    expect(await value('classifier_frames_processed_total', 'gst')).toBeGreaterThanOrEqual(30);
  });
});
