/** The topic contract (docs/mqtt.md); consumers subscribe to these, so they must not change. */
export class MqttTopics {
  private readonly base: string;

  constructor(prefix: string, device: string) {
    this.base = `${prefix}/${device}`;
  }

  /** Retained `online` / `offline`; the Last Will sets `offline`. */
  get status(): string {
    return `${this.base}/status`;
  }

  get metrics(): string {
    return `${this.base}/metrics`;
  }

  detections(camera: string): string {
    return `${this.base}/${camera}/detections`;
  }

  /** Track events: new, update (a zone or line change), end. */
  events(camera: string): string {
    return `${this.base}/${camera}/events`;
  }

  /** Retained zone occupancy, line crossings and connected state. */
  counts(camera: string): string {
    return `${this.base}/${camera}/counts`;
  }
}

/** Payload schema version carried as `"schema"` by every JSON message; bumped on any incompatible change. */
export const PAYLOAD_SCHEMA_VERSION = 1;
