import { describe, expect, it } from 'vitest';
import { discoveryConfigs, discoveryFilter, discoveryNodeId, idPart } from '../../agent/mqtt/home-assistant.js';
import type { SceneLayout } from '../../agent/mqtt/scene-payloads.js';
import { schemaErrors } from '../helpers/payload-schemas.js';

const cameras: SceneLayout[] = [
  {
    name: 'plaza',
    zones: [{ name: 'counter', labels: [] }, { name: 'door', labels: ['person', 'dog'] }],
    lines: [{ name: 'gate', directions: ['in', 'out'], labels: [] }],
  },
  { name: 'yard', zones: [], lines: [] },
];

function configs(list: readonly SceneLayout[] = cameras) {
  return discoveryConfigs({
    discoveryPrefix: 'homeassistant',
    deviceId: 'edge-01',
    version: '1.2.3',
    statusTopic: 'vigil/edge-01/status',
    countsTopic: (camera) => `vigil/edge-01/${camera}/counts`,
    cameras: list,
  });
}

const byTopic = (list = configs()) => new Map(list.map((c) => [c.topic, c.payload]));

describe('Home Assistant discovery configs', () => {
  it('one entity per camera connection, zone (and zone × filtered label) and line direction, all under the device node id', () => {
    expect(configs().map((c) => c.topic)).toEqual([
      'homeassistant/binary_sensor/vigil_edge-01/plaza_connected/config',
      'homeassistant/sensor/vigil_edge-01/plaza_zone_counter/config',
      'homeassistant/sensor/vigil_edge-01/plaza_zone_door/config',
      'homeassistant/sensor/vigil_edge-01/plaza_zone_door_person/config',
      'homeassistant/sensor/vigil_edge-01/plaza_zone_door_dog/config',
      'homeassistant/sensor/vigil_edge-01/plaza_line_gate_in/config',
      'homeassistant/sensor/vigil_edge-01/plaza_line_gate_out/config',
      'homeassistant/binary_sensor/vigil_edge-01/yard_connected/config',
    ]);
  });

  it('every entity is of one device, available with vigil, and reads the camera counts', () => {
    const list = configs();
    const units = new Set(list.map((c) => c.payload.unique_id));
    expect(units.size).toBe(list.length);
    for (const { payload } of list) {
      expect(schemaErrors('discovery', payload)).toEqual([]);
      expect(payload.device).toEqual({ identifiers: ['vigil_edge-01'], name: 'vigil edge-01', manufacturer: 'vigil', model: 'vigil edge video analytics agent', sw_version: '1.2.3' });
      expect(payload).toMatchObject({ availability_topic: 'vigil/edge-01/status', payload_available: 'online', payload_not_available: 'offline' });
    }
    expect(byTopic().get('homeassistant/binary_sensor/vigil_edge-01/yard_connected/config')).toMatchObject({ state_topic: 'vigil/edge-01/yard/counts', device_class: 'connectivity' });
  });

  it('occupancy is a measurement of the zone total or its label, crossings a total_increasing of the direction', () => {
    const map = byTopic();
    expect(map.get('homeassistant/sensor/vigil_edge-01/plaza_zone_counter/config')).toMatchObject({
      unique_id: 'vigil_edge-01_plaza_zone_counter',
      name: 'plaza counter occupancy',
      state_topic: 'vigil/edge-01/plaza/counts',
      value_template: '{{ value_json.totals.zones["counter"] | default(0) }}',
      state_class: 'measurement',
    });
    expect(map.get('homeassistant/sensor/vigil_edge-01/plaza_zone_door_dog/config')).toMatchObject({
      value_template: '{{ value_json.zones["door"]["dog"] | default(0) }}',
      state_class: 'measurement',
    });
    expect(map.get('homeassistant/sensor/vigil_edge-01/plaza_line_gate_out/config')).toMatchObject({
      name: 'plaza gate out',
      value_template: '{{ value_json.totals.lines["gate"]["out"] | default(0) }}',
      state_class: 'total_increasing',
    });
  });

  it('a removed zone is one topic fewer, the rest unchanged (what the publisher clears at connect)', () => {
    const without = configs([{ ...cameras[0]!, zones: [cameras[0]!.zones[1]!] }, cameras[1]!]);
    const before = byTopic();
    const after = byTopic(without);
    expect([...before.keys()].filter((t) => !after.has(t))).toEqual(['homeassistant/sensor/vigil_edge-01/plaza_zone_counter/config']);
    for (const [topic, payload] of after) expect(before.get(topic)).toEqual(payload);
  });

  it('names that cannot be a topic level become safe ones that never collide', () => {
    expect(idPart('front_door-2')).toBe('front_door-2');
    expect(idPart('front door')).toMatch(/^front_door_[0-9a-f]{6}$/);
    expect(idPart('front door')).not.toBe(idPart('front/door'));
    expect(discoveryNodeId('edge.01')).toMatch(/^vigil_edge_01_[0-9a-f]{6}$/);
    expect(discoveryFilter('ha', 'edge-01')).toBe('ha/+/vigil_edge-01/+/config');
  });
});
