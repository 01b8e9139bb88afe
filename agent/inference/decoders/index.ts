import type { DetectorHead, DetectorType } from './head.js';
import { YoloxHead } from './yolox.js';
import { Yolov8Head } from './yolov8.js';

export type { DetectorHead, DetectorType, TensorRecipe } from './head.js';

export const DETECTOR_TYPES = ['yolox', 'yolov8'] as const satisfies readonly DetectorType[];

export function createDetectorHead(type: DetectorType): DetectorHead {
  switch (type) {
    case 'yolox':
      return new YoloxHead();
    case 'yolov8':
      return new Yolov8Head();
  }
}
