/** Drops the user-info part of a URL (rtsp://user:pass@host → rtsp://***@host) so it can be logged. */
export function redactUrl(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^@/]*@/i, '$1***@');
}
