import { z } from 'zod';

/** The `tracker` section: one tracker per camera, after the detector, in capture order (issue 15). */

export const TRACKER_TYPES = ['bytetrack', 'sort'] as const;

const fraction = () => z.number().min(0).max(1);

const sort = z
  .object({
    max_age: z.number().int().min(0).max(1000).default(1).describe('Frames a track survives without a match (sort.py max_age).'),
    min_hits: z
      .number()
      .int()
      .min(1)
      .max(100)
      .default(3)
      .describe('Consecutive matched frames before a track is reported (sort.py min_hits); every track is reported in the first min_hits frames.'),
    iou_threshold: z
      .number()
      .gt(0)
      .max(1)
      .default(0.3)
      .describe('A detection and a predicted track box overlapping by less IoU are never paired.'),
  })
  .strict()
  .describe("`type: sort` only: Bewley's SORT with its published settings, the reference the ByteTrack mode is measured against.");

export const trackerSchema = z
  .object({
    enabled: z
      .boolean()
      .default(true)
      .describe('false reports per-frame detections only: no track ids, no zones, lines or scene series.'),
    type: z
      .enum(TRACKER_TYPES)
      .default('bytetrack')
      .describe(
        '`bytetrack`: Kalman filter on box centre, aspect and height; high-score detections matched first, low-score ones then keep unmatched tracks alive. ' +
          '`sort`: plain SORT (IoU matching, no memory beyond max_age), the reference.',
      ),
    high_score: fraction()
      .default(0.5)
      .describe("`bytetrack`: detections scoring at least this are matched in the first stage (ByteTrack's track_thresh); below it, in the second."),
    low_score: fraction()
      .default(0.1)
      .describe("`bytetrack`: detections scoring below this are ignored. The detector's score_threshold (0.3) usually drops them first."),
    new_track_score: fraction()
      .default(0.6)
      .describe('`bytetrack`: an unmatched detection starts a new (tentative) track only when it scores at least this.'),
    match_iou: fraction()
      .default(0.2)
      .describe('`bytetrack`: first stage, a high-score detection and a track are paired only if their IoU (times the score, with fuse_score) reaches this.'),
    low_match_iou: fraction()
      .default(0.5)
      .describe('`bytetrack`: second stage, a low-score detection and an unmatched track are paired only if their IoU reaches this.'),
    confirm_iou: fraction()
      .default(0.3)
      .describe('`bytetrack`: a tentative track and a detection are paired only if their IoU (times the score, with fuse_score) reaches this.'),
    fuse_score: z
      .boolean()
      .default(true)
      .describe('`bytetrack`: weigh IoU by the detection score in the first stage and for tentative tracks, so a confident detection wins a contested track.'),
    confirm_frames: z
      .number()
      .int()
      .min(1)
      .max(30)
      .default(2)
      .describe('`bytetrack`: consecutive matched frames that confirm a track (it gets its id then); a tentative track missing one frame is dropped.'),
    lost_frames: z
      .number()
      .int()
      .min(0)
      .max(10_000)
      .default(30)
      .describe("`bytetrack`: frames a confirmed track is kept while unmatched (lost) before it ends; a match in time resumes it under its id (ByteTrack's track_buffer)."),
    sort: sort.prefault({}),
  })
  .strict()
  .refine((t) => t.low_score <= t.high_score, { message: 'low_score must not exceed high_score', path: ['low_score'] })
  .describe('Multi-object tracking: stable per-camera track ids, the basis of zones, lines and dwell time (docs/tracking.md).');

export type TrackerConfig = z.output<typeof trackerSchema>;
