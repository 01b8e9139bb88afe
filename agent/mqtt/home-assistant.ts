import { createHash } from 'node:crypto';
import type { SceneLayout } from './scene-payloads.js';

/** What the discovery configs are built from. */
export interface DiscoveryInput {
  readonly discoveryPrefix: string;
  readonly deviceId: string;
  readonly version: string;
  /** vigil's retained online/offline topic: every entity's availability. */
  readonly statusTopic: string;
  readonly countsTopic: (camera: string) => string;
  readonly cameras: readonly SceneLayout[];
}

/** One retained discovery message: `<discovery_prefix>/<component>/<node id>/<object id>/config`. */
export interface DiscoveryConfig {
  readonly topic: string;
  readonly payload: Record<string, unknown>;
}

/** An MQTT topic level and HA object id may hold only [A-Za-z0-9_-]; a name that needed changing gets a short hash, so two names never meet. */
export function idPart(name: string): string {
  const safe = name.replace(/[^A-Za-z0-9_-]/g, '_');
  return safe === name ? name : `${safe}_${createHash('sha1').update(name).digest('hex').slice(0, 6)}`;
}

/** The node id every discovery topic of this device carries, so its configs are found again (and cleared) by one subscription. */
export function discoveryNodeId(deviceId: string): string {
  return `vigil_${idPart(deviceId)}`;
}

/** The subscription that finds every discovery config this device ever published, the current config's and stale ones. */
export function discoveryFilter(discoveryPrefix: string, deviceId: string): string {
  return `${discoveryPrefix}/+/${discoveryNodeId(deviceId)}/+/config`;
}

/** A Jinja string literal (HA templates): JSON's escaping is a subset Jinja reads the same. */
const key = (name: string): string => JSON.stringify(name);

/**
 * Home Assistant MQTT discovery for one device: per camera, a sensor per
 * zone (objects inside now, and per label when the zone filters labels), a
 * sensor per line and direction (crossings since the agent started, and per
 * label when the line filters them) and a connectivity binary_sensor; all
 * read the camera's retained counts message, all are unavailable while
 * vigil's status is `offline`.
 */
export function discoveryConfigs(input: DiscoveryInput): DiscoveryConfig[] {
  const node = discoveryNodeId(input.deviceId);
  const device = { identifiers: [node], name: `vigil ${input.deviceId}`, manufacturer: 'vigil', model: 'vigil edge video analytics agent', sw_version: input.version };
  const common = {
    device,
    origin: { name: 'vigil', sw_version: input.version },
    availability_topic: input.statusTopic,
    payload_available: 'online',
    payload_not_available: 'offline',
  };
  const configs: DiscoveryConfig[] = [];
  const add = (component: 'sensor' | 'binary_sensor', objectId: string, entity: Record<string, unknown>): void => {
    configs.push({ topic: `${input.discoveryPrefix}/${component}/${node}/${objectId}/config`, payload: { ...entity, unique_id: `${node}_${objectId}`, ...common } });
  };
  for (const camera of input.cameras) {
    const cam = idPart(camera.name);
    const state_topic = input.countsTopic(camera.name);
    add('binary_sensor', `${cam}_connected`, {
      name: `${camera.name} connected`,
      state_topic,
      value_template: "{{ 'ON' if value_json.connected else 'OFF' }}",
      payload_on: 'ON',
      payload_off: 'OFF',
      device_class: 'connectivity',
      entity_category: 'diagnostic',
    });
    for (const zone of camera.zones) {
      const occupancy = { state_topic, state_class: 'measurement', unit_of_measurement: 'objects', icon: 'mdi:account-group' };
      add('sensor', `${cam}_zone_${idPart(zone.name)}`, {
        name: `${camera.name} ${zone.name} occupancy`,
        value_template: `{{ value_json.totals.zones[${key(zone.name)}] | default(0) }}`,
        ...occupancy,
      });
      for (const label of zone.labels ?? []) {
        add('sensor', `${cam}_zone_${idPart(zone.name)}_${idPart(label)}`, {
          name: `${camera.name} ${zone.name} ${label}`,
          value_template: `{{ value_json.zones[${key(zone.name)}][${key(label)}] | default(0) }}`,
          ...occupancy,
        });
      }
    }
    for (const line of camera.lines) {
      for (const direction of line.directions) {
        const crossings = { state_topic, state_class: 'total_increasing', unit_of_measurement: 'crossings', icon: 'mdi:transit-transfer' };
        const objectId = `${cam}_line_${idPart(line.name)}_${idPart(direction)}`;
        add('sensor', objectId, {
          name: `${camera.name} ${line.name} ${direction}`,
          value_template: `{{ value_json.totals.lines[${key(line.name)}][${key(direction)}] | default(0) }}`,
          ...crossings,
        });
        for (const label of line.labels ?? []) {
          add('sensor', `${objectId}_${idPart(label)}`, {
            name: `${camera.name} ${line.name} ${direction} ${label}`,
            value_template: `{{ value_json.lines[${key(line.name)}][${key(direction)}][${key(label)}] | default(0) }}`,
            ...crossings,
          });
        }
      }
    }
  }
  return configs;
}
