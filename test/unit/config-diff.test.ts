import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../agent/config/load.js';
import { diffConfig, isEmptyDiff } from '../../agent/config/diff.js';

const M = '/work/shared/testdata/models';

/** A config with the given extra top-level text and cameras (YAML list items). */
function config(cameras: string, extra = ''): ReturnType<typeof parseConfig> {
  const text = `detector:\n  model: ${M}/yolox_nano.onnx\n  labels: ${M}/coco80_labels.txt\n${extra}cameras:\n${cameras}`;
  return parseConfig(text, '/etc/vigil/agent.yaml', {});
}

const GATE = '  - name: gate\n    url: rtsp://10.0.0.5/s1\n';
const DOOR = '  - name: door\n    url: rtsp://10.0.0.6/s1\n';
const ZONE = '    zones:\n      - name: porch\n        polygon: [[0, 0], [0.5, 0], [0.5, 0.5]]\n';

describe('diffConfig', () => {
  it('finds nothing to do for the same file', () => {
    const diff = diffConfig(config(GATE + DOOR), config(GATE + DOOR));
    expect(isEmptyDiff(diff)).toBe(true);
  });

  it('adds and removes cameras by name, leaving the others alone', () => {
    const diff = diffConfig(config(GATE + DOOR), config(DOOR + '  - name: yard\n    url: /tmp/yard.mp4\n'));
    expect(diff.cameras).toEqual({ added: ['yard'], removed: ['gate'], restarted: [], scene: [] });
    expect(diff.restart).toEqual([]);
    expect(diff.needsRestart).toEqual([]);
  });

  it('counts enabled: false as a removal and turning it back on as an addition', () => {
    const off = config(GATE + DOOR.replace('    url', '    enabled: false\n    url'));
    expect(diffConfig(config(GATE + DOOR), off).cameras.removed).toEqual(['door']);
    expect(diffConfig(off, config(GATE + DOOR)).cameras.added).toEqual(['door']);
  });

  it('restarts only the camera whose stream keys changed', () => {
    const diff = diffConfig(config(GATE + DOOR), config(GATE.replace('s1', 's2') + DOOR));
    expect(diff.cameras).toEqual({ added: [], removed: [], restarted: ['gate'], scene: [] });
    const queue = diffConfig(config(GATE + DOOR), config(GATE + DOOR + '    queue_capacity: 8\n'));
    expect(queue.cameras.restarted).toEqual(['door']);
  });

  it('restarts the cameras whose detector interval changes (issue 16), never the inference workers for it', () => {
    const everyThird = (text: string): ReturnType<typeof parseConfig> => parseConfig(text.replace('labels: ', 'interval: 3\n  labels: '), '/etc/vigil/agent.yaml', {});
    const before = config(GATE + DOOR);
    const global = diffConfig(before, everyThird(`detector:\n  model: ${M}/yolox_nano.onnx\n  labels: ${M}/coco80_labels.txt\ncameras:\n${GATE}${DOOR}`));
    expect(global.cameras.restarted).toEqual(['gate', 'door']);
    expect(global.restart).toEqual([]);
    const own = diffConfig(before, config(GATE + '    detector: { interval: auto }\n' + DOOR));
    expect(own.cameras.restarted).toEqual(['gate']);
    const motion = diffConfig(before, config(GATE + DOOR + '    motion: { enabled: true }\n'));
    expect(motion.cameras.restarted).toEqual(['door']);
  });

  it('applies zones, lines and anchor in place, without a restart', () => {
    const diff = diffConfig(config(GATE + DOOR), config(GATE + ZONE + DOOR + '    anchor: center\n'));
    expect(diff.cameras).toEqual({ added: [], removed: [], restarted: [], scene: ['gate', 'door'] });
  });

  it('restarts every camera when the global capture section changes, and re-scenes them when the tracker does', () => {
    expect(diffConfig(config(GATE + DOOR), config(GATE + DOOR, 'capture:\n  rtsp_transport: udp\n')).cameras.restarted).toEqual(['gate', 'door']);
    expect(diffConfig(config(GATE + DOOR), config(GATE + DOOR, 'tracker:\n  type: sort\n')).cameras.scene).toEqual(['gate', 'door']);
  });

  it('restarts MQTT or HTTP alone and applies health as it is; the log level needs a restart', () => {
    const diff = diffConfig(
      config(GATE),
      config(GATE, 'http:\n  port: 9101\nmqtt:\n  url: mqtt://127.0.0.1:1883\nlog:\n  level: debug\nhealth:\n  disconnected_seconds: 30\n'),
    );
    expect(diff.restart).toEqual(['mqtt', 'http']);
    expect(diff.live).toEqual(['health']);
    expect(diff.needsRestart).toEqual(['log']);
    expect(diff.cameras.restarted).toEqual([]);
  });

  it('reports what only a restart applies: identity, state', () => {
    const diff = diffConfig(config(GATE), config(GATE, 'device:\n  id: edge-7\nstate_dir: /var/lib/other\n'));
    expect(diff.needsRestart).toEqual(['device', 'state_dir']);
    expect(diff.cameras.restarted).toEqual([]);
    expect(diff.restart).toEqual([]);
  });

  it('swaps the inference workers for a model, threshold or worker change, cameras untouched', () => {
    const threshold = diffConfig(config(GATE), parseThreshold(0.6));
    expect(threshold.restart).toEqual(['inference']);
    expect(threshold.cameras).toEqual({ added: [], removed: [], restarted: [], scene: [] });
    expect(diffConfig(config(GATE), config(GATE, 'inference:\n  workers: 2\n')).restart).toEqual(['inference']);
  });
});

function parseThreshold(score: number): ReturnType<typeof parseConfig> {
  const text = `detector:\n  model: ${M}/yolox_nano.onnx\n  labels: ${M}/coco80_labels.txt\n  score_threshold: ${score}\ncameras:\n${GATE}`;
  return parseConfig(text, '/etc/vigil/agent.yaml', {});
}
