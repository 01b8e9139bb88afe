import type { MessageKind } from '../core/mqtt-message-kinds.js';

/** A message on its way to the broker; `order` is its place in the outbound sequence. */
export interface OutboundMessage {
  readonly kind: MessageKind;
  readonly topic: string;
  readonly payload: Buffer;
  readonly qos: 0 | 1;
  readonly retain: boolean;
  /** MQTT 5 message expiry; ignored on 3.1.1. */
  readonly expirySeconds?: number;
  /** Set on spooled metrics snapshots: the key of their line in the spool file. */
  readonly spoolId?: string;
  order: number;
}

export function messageBytes(message: OutboundMessage): number {
  return message.payload.length + message.topic.length;
}
