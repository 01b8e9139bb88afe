/**
 * Events a second over the last `windowMs`: `count` events in that window,
 * divided by the window, or early on by the time since the first event (so a
 * camera 2 s in does not read a fifth of its rate). A source that stops
 * decays to 0 as its events leave the window.
 */
export function windowedRate(count: number, firstEventAt: number | undefined, now: number, windowMs: number): number {
  const spanMs = Math.min(windowMs, Math.max(1, now - (firstEventAt ?? now)));
  return (count * 1000) / spanMs;
}
