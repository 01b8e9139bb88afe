import type { CvBinding, CvMat } from './opencv-binding.js';

/** What the main thread asks a capture worker for while someone watches its camera. */
export interface PreviewSettings {
  /** Minimum time between two preview frames. */
  readonly everyMs: number;
  /** Target width; never upscaled. */
  readonly width: number;
  readonly quality: number;
}

export interface PreviewImage {
  readonly jpeg: ArrayBuffer;
  readonly width: number;
  readonly height: number;
}

/**
 * Encodes a downscaled JPEG of every frame that is due, on the capture
 * thread (OpenCV's encoder, ~2 ms for 640 px here), so neither the main
 * loop nor inference pays for the preview.
 */
export class PreviewEncoder {
  private settings: PreviewSettings | null = null;
  private nextDueAt = -Infinity;

  constructor(private readonly cv: CvBinding) {}

  configure(settings: PreviewSettings | null): void {
    this.settings = settings;
    this.nextDueAt = -Infinity;
  }

  /** A JPEG of `bgr` when one is due, else undefined. Does not release `bgr`. */
  maybeEncode(bgr: CvMat, now: number): PreviewImage | undefined {
    const settings = this.settings;
    // 10 % slack: a camera's frames jitter, and at 10 fps a strict 200 ms gap would give 3.3 previews a second, not 5.
    if (!settings || now < this.nextDueAt - settings.everyMs * 0.1) return undefined;
    // Keep the cadence; after a gap of more than a period (start, a stall) start it again from now.
    this.nextDueAt = (now - this.nextDueAt > settings.everyMs ? now : this.nextDueAt) + settings.everyMs;
    const width = Math.min(settings.width, bgr.cols);
    const height = Math.max(1, Math.round((bgr.rows * width) / bgr.cols));
    const scaled = width === bgr.cols ? bgr : bgr.resize(height, width, 0, 0, this.cv.INTER_AREA);
    try {
      const encoded = this.cv.imencode('.jpg', scaled, [this.cv.IMWRITE_JPEG_QUALITY, settings.quality]);
      const jpeg = encoded.buffer.slice(encoded.byteOffset, encoded.byteOffset + encoded.byteLength) as ArrayBuffer;
      return { jpeg, width, height };
    } finally {
      if (scaled !== bgr) scaled.release();
    }
  }
}
