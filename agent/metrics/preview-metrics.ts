import { Counter, Gauge, type Registry } from 'prom-client';

/** The live preview's own numbers, registered when the preview is enabled. */
export class PreviewMetrics {
  readonly clients: Gauge;
  readonly framesSent: Counter<'camera'>;
  readonly framesSkipped: Counter<'camera' | 'reason'>;

  constructor(registry: Registry) {
    const registers = [registry];
    this.clients = new Gauge({ name: 'preview_clients', help: 'Preview viewers (count) connected now', registers });
    this.framesSent = new Counter({ name: 'preview_frames_sent_total', help: 'Preview frames (count) sent to viewers, one per viewer', labelNames: ['camera'], registers });
    this.framesSkipped = new Counter({
      name: 'preview_frames_skipped_total',
      help: 'Preview frames (count) not sent to a viewer, by reason (backpressure: the viewer was behind)',
      labelNames: ['camera', 'reason'],
      registers,
    });
    this.clients.set(0);
  }
}
