import WebSocket from 'ws';

/** A preview viewer in the soak: watches cameras, counts frames, and can be killed (socket dropped without a close) and reconnected. */
export class SoakViewer {
  /** Arrival times (Date.now()) of binary frames. */
  readonly frameTimes: number[] = [];
  private ws: WebSocket | null = null;

  constructor(
    private readonly port: number,
    private readonly cameras: readonly string[],
  ) {}

  async connect(): Promise<void> {
    const ws = new WebSocket(`ws://127.0.0.1:${this.port}/ws`);
    this.ws = ws;
    ws.on('message', (_data, isBinary) => {
      if (isBinary) this.frameTimes.push(Date.now());
    });
    // A killed viewer's socket may still report an error afterwards; the soak reads the agent's side.
    ws.on('error', () => undefined);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    ws.send(JSON.stringify({ type: 'watch', cameras: this.cameras }));
  }

  /** The way a crashed browser tab or a pulled cable leaves: no close frame. */
  kill(): void {
    this.ws?.terminate();
    this.ws = null;
  }

  framesSince(time: number): number {
    return this.frameTimes.filter((t) => t >= time).length;
  }

  close(): void {
    this.ws?.close();
    this.ws = null;
  }
}
