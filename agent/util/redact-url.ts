/**
 * Drops the user-info part of a URL (rtsp://user:pass@host → rtsp://***@host)
 * so it can be logged; anywhere in the text, since a GStreamer pipeline
 * carries the camera's URL inside it.
 */
export function redactUrl(url: string): string {
  return url.replace(/\b([a-z][a-z0-9+.-]*:\/\/)[^@/\s]*@/gi, '$1***@');
}
