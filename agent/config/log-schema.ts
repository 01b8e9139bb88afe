import { z } from 'zod';
import { NATIVE_LEVELS } from '../util/native-log-lines.js';

/** The `log` section: vigil's log lines and the native libraries' (issue 17). */

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace'] as const;
export const LOG_FORMATS = ['auto', 'json', 'pretty'] as const;

export const logSchema = z
  .object({
    level: z.enum(LOG_LEVELS).default('info').describe('Least severe level logged.'),
    format: z
      .enum(LOG_FORMATS)
      .default('auto')
      .describe('`json`: one JSON object per line (journald, log shippers). `pretty`: one human-readable line per record. `auto`: pretty when stdout is a terminal, JSON otherwise (under systemd).'),
    native_level: z
      .enum(NATIVE_LEVELS)
      .default('warn')
      .describe(
        "Least severe level of FFmpeg's, GStreamer's and OpenCV's own messages that is logged (as records with component ffmpeg, gstreamer, glib or opencv); " +
          '`silent` drops them all. Sets OPENCV_LOG_LEVEL and GST_DEBUG at start unless already in the environment. FFmpeg prints errors only (`silent` and `fatal` silence it). ' +
          'Their stderr is read through native/stderr-capture; without it (not built) the libraries print raw lines on stderr.',
      ),
  })
  .strict()
  .prefault({})
  .describe('Log lines on stdout: JSON under systemd (journald), or human-readable on a terminal.');
