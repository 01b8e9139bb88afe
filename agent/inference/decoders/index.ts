import type { DetectorType } from '../../core/detector-recipe.js';
import type { DetectorHead } from './head.js';
import { Yolov8Head } from './yolov8.js';
import { YoloxHead } from './yolox.js';

export function createDetectorHead(type: DetectorType): DetectorHead {
  switch (type) {
    case 'yolox':
      return new YoloxHead();
    case 'yolov8':
      return new Yolov8Head();
  }
}
