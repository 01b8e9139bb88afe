import { copyFileSync, unlinkSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { threadId } from 'node:worker_threads';

/** The slice of the opencv4nodejs native binding that capture uses. */
export interface CvMat {
  readonly rows: number;
  readonly cols: number;
  readonly channels: number;
  readonly empty: boolean;
  getData(): Buffer;
  cvtColor(code: number): CvMat;
  resize(rows: number, cols: number, fx?: number, fy?: number, interpolation?: number): CvMat;
  copyMakeBorder(top: number, bottom: number, left: number, right: number, borderType: number, value: CvVec3): CvMat;
  /** Reinterprets an N-d float Mat as rows×cols (a 4-D blob cannot be read out directly). */
  flattenFloat(rows: number, cols: number): CvMat;
  // Motion measure (motion-detector.ts).
  gaussianBlur(kSize: CvSize, sigmaX: number): CvMat;
  convertTo(type: number, alpha?: number, beta?: number): CvMat;
  absdiff(other: CvMat): CvMat;
  threshold(thresh: number, maxVal: number, type: number): CvMat;
  bitwiseAnd(other: CvMat): CvMat;
  countNonZero(): number;
  drawFillPoly(polygons: CvPoint2[][], color?: CvVec3): void;
  release(): void;
}

// Opaque handles of the binding's value types.
export type CvVec3 = { readonly __cvVec3: true };
export type CvSize = { readonly __cvSize: true };
export type CvPoint2 = { readonly __cvPoint2: true };

export interface CvVideoCapture {
  get(property: number): number;
  readAsync(callback: (err: Error | null, mat: CvMat) => void): void;
  release(): void;
}

export interface CvBinding {
  VideoCapture: new (source: string, apiPreference?: number) => CvVideoCapture;
  Mat: new (data: Buffer, rows: number, cols: number, type: number) => CvMat;
  Vec3: new (a: number, b: number, c: number) => CvVec3;
  Size: new (width: number, height: number) => CvSize;
  Point2: new (x: number, y: number) => CvPoint2;
  /** dst = (1 - alpha) · dst + alpha · src, in place; dst is 32- or 64-bit float. */
  accumulateWeighted(src: CvMat, dst: CvMat, alpha: number): void;
  imread(path: string, flags?: number): CvMat;
  blobFromImage(image: CvMat, scale: number, size: CvSize, mean: CvVec3, swapRB: boolean, crop: boolean): CvMat;
  imencode(extension: string, image: CvMat, flags?: number[]): Buffer;
  readonly IMWRITE_JPEG_QUALITY: number;
  readonly INTER_AREA: number;
  readonly IMREAD_COLOR: number;
  readonly CV_8UC3: number;
  readonly INTER_LINEAR: number;
  readonly BORDER_CONSTANT: number;
  readonly CAP_FFMPEG: number;
  readonly CAP_GSTREAMER: number;
  readonly CAP_PROP_FPS: number;
  readonly CAP_PROP_FRAME_COUNT: number;
  readonly COLOR_GRAY2BGR: number;
  readonly COLOR_BGRA2BGR: number;
  readonly COLOR_BGR2GRAY: number;
  readonly CV_8UC1: number;
  readonly CV_32FC1: number;
  readonly THRESH_BINARY: number;
}

const NO_MEM_TRACKING = 'OPENCV4NODEJS_DISABLE_EXTERNAL_MEM_TRACKING';

/**
 * Process-wide environment for OpenCV, set on the main thread (worker threads
 * get a copy of process.env that C's getenv() never sees) before any capture
 * worker starts. opencv4nodejs's external memory tracking installs one global
 * cv::Mat allocator bound to the V8 isolate of whichever thread loaded it
 * first; Mats freed on another thread then corrupt that isolate's GC
 * (measured: "Check failed: marking_done_" with two capture workers). Capture
 * releases every Mat explicitly instead.
 */
export function prepareOpenCvEnvironment(ffmpegCaptureOptions: string): void {
  process.env[NO_MEM_TRACKING] = '1';
  // An operator's own value wins (e.g. extra FFmpeg options); ours otherwise.
  process.env.OPENCV_FFMPEG_CAPTURE_OPTIONS ??= ffmpegCaptureOptions;
}

/**
 * opencv4nodejs is a NAN addon that is not context-aware: Node refuses to load
 * the same .node file into a second thread ("Module did not self-register",
 * UrielCh/opencv4nodejs#140). Loading a private copy per capture worker gives
 * each thread its own registration; the shared libopencv_* libraries are
 * still loaded once. The copy is unlinked right after dlopen.
 */
export function loadOpenCvBinding(): CvBinding {
  if (process.env[NO_MEM_TRACKING] !== '1') throw new Error(`${NO_MEM_TRACKING}=1 must be set before capture workers start`);
  const require = createRequire(import.meta.url);
  const packageEntry = require.resolve('@u4/opencv4nodejs');
  const original = join(dirname(packageEntry), '..', '..', 'build', 'Release', 'opencv4nodejs.node');
  const copy = join(tmpdir(), `vigil-opencv-${process.pid}-${threadId}-${Date.now()}.node`);
  copyFileSync(original, copy);
  try {
    return require(copy) as CvBinding;
  } finally {
    unlinkSync(copy);
  }
}
