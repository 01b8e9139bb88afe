/** The kinds of MQTT message and the reasons one is dropped: the `kind` and `reason` labels of the mqtt_* metrics. */
export const MESSAGE_KINDS = ['metrics', 'detections', 'status', 'event', 'counts', 'discovery'] as const;
export type MessageKind = (typeof MESSAGE_KINDS)[number];

export const MQTT_DROP_REASONS = ['buffer_full', 'too_large', 'rate_limit', 'rejected', 'shutdown'] as const;
export type MqttDropReason = (typeof MQTT_DROP_REASONS)[number];
