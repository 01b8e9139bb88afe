/**
 * Stable error codes: operators grep logs and alert on these, so a code, once
 * published, keeps its meaning.
 */
export const ErrorCode = {
  CONFIG_INVALID: 'AGENT_ERR_CONFIG_INVALID',
  CONFIG_READ: 'AGENT_ERR_CONFIG_READ',
  /** A config reload (SIGHUP, POST /-/reload) refused an invalid file; the running config stays. */
  CONFIG_RELOAD: 'AGENT_ERR_CONFIG_RELOAD',
  MODEL_LOAD: 'AGENT_ERR_MODEL_LOAD',
  MODEL_SHAPE: 'AGENT_ERR_MODEL_SHAPE',
  LABELS_READ: 'AGENT_ERR_LABELS_READ',
  PROVIDER_UNAVAILABLE: 'AGENT_ERR_PROVIDER_UNAVAILABLE',
  RTSP_OPEN: 'AGENT_ERR_RTSP_OPEN',
  CAPTURE_READ: 'AGENT_ERR_CAPTURE_READ',
  CAPTURE_STALL: 'AGENT_ERR_CAPTURE_STALL',
  MEDIA_DAMAGED: 'AGENT_ERR_MEDIA_DAMAGED',
  INFERENCE_FAILED: 'AGENT_ERR_INFERENCE_FAILED',
  INFERENCE_STUCK: 'AGENT_ERR_INFERENCE_STUCK',
  TRACKING_FAILED: 'AGENT_ERR_TRACKING_FAILED',
  WORKER_CRASHED: 'AGENT_ERR_WORKER_CRASHED',
  HTTP_LISTEN: 'AGENT_ERR_HTTP_LISTEN',
  MQTT_CONNECT: 'AGENT_ERR_MQTT_CONNECT',
  MQTT_AUTH: 'AGENT_ERR_MQTT_AUTH',
  MQTT_TLS: 'AGENT_ERR_MQTT_TLS',
  MQTT_CONNECTION_LOST: 'AGENT_ERR_MQTT_CONNECTION_LOST',
  MQTT_SPOOL: 'AGENT_ERR_MQTT_SPOOL',
} as const;

export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

export class VigilError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'VigilError';
  }
}

/** Exit codes: 2 = the operator must fix config/models (systemd should not loop on it), 1 = runtime failure. */
export const EXIT_CONFIG = 2;
export const EXIT_RUNTIME = 1;

export function isConfigError(err: unknown): boolean {
  return (
    err instanceof VigilError &&
    (err.code === ErrorCode.CONFIG_INVALID ||
      err.code === ErrorCode.CONFIG_READ ||
      err.code === ErrorCode.MODEL_LOAD ||
      err.code === ErrorCode.MODEL_SHAPE ||
      err.code === ErrorCode.LABELS_READ)
  );
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
