import type { MotionConfig } from '../config/density-schema.js';
import type { CvBinding, CvMat } from './opencv-binding.js';

/**
 * How much of the running background each frame replaces. 0.05 a frame is a
 * time constant of 20 frames (2 s at 10 fps): an object with a contrast of
 * 100 grey levels stays above the default threshold (25) for ln(100/25)/0.05
 * ≈ 28 frames after it covers a pixel, so an object creeping a fraction of a
 * downscaled pixel a frame still leaves a band of moved pixels behind its
 * leading edge (a plain difference of consecutive frames sees only a faint
 * edge and misses it); a parked car or a light change is absorbed within a
 * few seconds, after which the scene counts as still again. Frigate's 0.01
 * is meant for its 5 fps detect stream; at 10 fps and more it would keep a
 * light change "moving" for over 10 s, running the detector for nothing.
 */
export const BACKGROUND_WEIGHT = 0.05;

/** A light blur, so sensor noise and compression artefacts do not count as motion. */
const BLUR_KERNEL = 5;

interface MaskForSize {
  readonly rows: number;
  readonly cols: number;
  /** 255 where motion counts, 0 inside the mask polygons; null without polygons. */
  readonly mat: CvMat | null;
  readonly unmasked: number;
}

/**
 * The motion measure of motion gating (issue 16), in the camera's capture
 * worker: the fraction of the unmasked frame whose (downscaled, grey,
 * blurred) pixels differ from a running-average background by more than
 * `threshold`. Every per-pixel step runs in OpenCV; JS sees a count. Mats
 * are released explicitly (capture turns opencv4nodejs's memory tracking
 * off, opencv-binding.ts).
 */
export class MotionDetector {
  /** Float (CV_32FC1) running average of the downscaled grey frames; null until the first frame. */
  private background: CvMat | null = null;
  private mask: MaskForSize | null = null;

  constructor(
    private readonly config: Pick<MotionConfig, 'width' | 'threshold' | 'mask'>,
    private readonly cv: CvBinding,
  ) {}

  /**
   * Fraction (0–1) of the unmasked frame that moved in `bgr` (8-bit BGR, any
   * size). The first frame after construction, `reset()` or a change of
   * resolution only starts the background and measures 0.
   */
  measure(bgr: CvMat): number {
    const { cv } = this;
    const cols = Math.min(this.config.width, bgr.cols);
    const rows = Math.max(1, Math.round((bgr.rows * cols) / bgr.cols));
    const made: CvMat[] = [];
    const own = (mat: CvMat): CvMat => (made.push(mat), mat);
    try {
      const small = own(this.downscale(bgr, rows, cols, own));
      const grey = own(small.cvtColor(cv.COLOR_BGR2GRAY));
      const blurred = own(grey.gaussianBlur(new cv.Size(BLUR_KERNEL, BLUR_KERNEL), 0));
      if (!this.background || this.background.rows !== rows || this.background.cols !== cols) {
        this.background?.release();
        this.background = blurred.convertTo(cv.CV_32FC1);
        return 0;
      }
      const background8 = own(this.background.convertTo(cv.CV_8UC1));
      const moved = own(own(blurred.absdiff(background8)).threshold(this.config.threshold, 255, cv.THRESH_BINARY));
      cv.accumulateWeighted(blurred, this.background, BACKGROUND_WEIGHT);
      const mask = this.maskFor(rows, cols);
      if (mask.unmasked === 0) return 0;
      const count = mask.mat ? own(moved.bitwiseAnd(mask.mat)).countNonZero() : moved.countNonZero();
      return count / mask.unmasked;
    } finally {
      for (const mat of made) mat.release();
    }
  }

  /** A new connection: the next frame starts a new background. */
  reset(): void {
    this.background?.release();
    this.background = null;
  }

  /** Frees the OpenCV memory held (the background and the mask); the detector can still measure afterwards. */
  release(): void {
    this.reset();
    this.mask?.mat?.release();
    this.mask = null;
  }

  /**
   * An area average (every source pixel counts, so noise averages out and a
   * small object is not skipped between samples), made cheap: OpenCV's
   * INTER_AREA is several times slower at a fractional ratio (768 → 160) than
   * at an exact integer one, so a bilinear step to twice the size goes
   * first and the area step halves it.
   */
  private downscale(bgr: CvMat, rows: number, cols: number, own: (mat: CvMat) => CvMat): CvMat {
    const { cv } = this;
    if (bgr.cols <= 2 * cols) return bgr.resize(rows, cols, 0, 0, cv.INTER_AREA);
    const twice = own(bgr.resize(2 * rows, 2 * cols, 0, 0, cv.INTER_LINEAR));
    return twice.resize(rows, cols, 0, 0, cv.INTER_AREA);
  }

  /** The mask image for a downscaled size, built once per size from the polygons in frame fractions. */
  private maskFor(rows: number, cols: number): MaskForSize {
    if (this.mask && this.mask.rows === rows && this.mask.cols === cols) return this.mask;
    this.mask?.mat?.release();
    const { cv } = this;
    if (this.config.mask.length === 0) {
      this.mask = { rows, cols, mat: null, unmasked: rows * cols };
      return this.mask;
    }
    const mat = new cv.Mat(Buffer.alloc(rows * cols, 255), rows, cols, cv.CV_8UC1);
    const polygons = this.config.mask.map((polygon) => polygon.map(([x, y]) => new cv.Point2(Math.round(x * cols), Math.round(y * rows))));
    mat.drawFillPoly(polygons, new cv.Vec3(0, 0, 0));
    this.mask = { rows, cols, mat, unmasked: mat.countNonZero() };
    return this.mask;
  }
}
