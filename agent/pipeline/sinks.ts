import type { FrameResult } from '../core/frame.js';
import type { ResultSink } from '../core/pipeline-ports.js';
import type { Logger } from '../log.js';
import { LogThrottle } from '../util/log-throttle.js';

/**
 * Hands each result to every sink. A sink that throws is logged (at most once
 * a minute per sink) and skipped, so one broken output never stops the
 * pipeline or the other outputs. Sinks must not block: slow I/O belongs
 * behind their own bounded buffers.
 */
export class SinkFanout {
  private readonly errorLog = new LogThrottle(60_000);

  constructor(
    private readonly sinks: readonly ResultSink[],
    private readonly logger: Logger,
  ) {}

  publish(result: FrameResult): void {
    for (const sink of this.sinks) {
      try {
        sink.handle(result);
      } catch (err) {
        if (this.errorLog.allow(sink.name)) this.logger.error({ sink: sink.name, err }, 'result sink failed');
      }
    }
  }
}
