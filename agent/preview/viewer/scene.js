// @ts-check
/**
 * The viewer's zones and lines (issue 15): drawn over the picture from the
 * `hello` message's geometry (fractions of the frame) with the frame
 * header's counts, and the counts as a line of text. Used by viewer.js.
 */

/**
 * @typedef {Record<string, number>} ByLabel
 * @typedef {{ zones?: Record<string, ByLabel>, lines?: Record<string, Record<string, ByLabel>> }} SceneCounts
 * @typedef {{ name: string, polygon?: number[][] }} Zone
 * @typedef {{ name: string, points?: number[][], directions?: string[] }} Line
 * @typedef {{ name: string, zones?: Zone[], lines?: Line[] }} CameraInfo
 */
/**
 * Where the picture lies on the canvas and how big lines and text are drawn there.
 * @typedef {{ ox: number, oy: number, dw: number, dh: number, cw: number, ch: number, px: number, lw: number, pad: number, th: number }} View
 */

/**
 * The side of a line its first direction (`in`) crosses into, as the sign of cross(b - a, p - a) in
 * picture coordinates (y down): the left-hand side seen from its first point towards its second
 * (agent/analytics/geometry.ts signedDistance; for a line drawn left to right, up the picture).
 */
const IN_SIDE = -1;

/** A stable hue for a name (the boxes' labels, the zones, the lines). @param {string} label */
export function hue(label) {
  let h = 2166136261;
  for (let i = 0; i < label.length; i++) h = Math.imul(h ^ label.charCodeAt(i), 16777619) >>> 0;
  return h % 360;
}

/** @param {CameraInfo} layout */
export const hasScene = (layout) => Boolean(layout.zones?.length || layout.lines?.length);
/** @param {ByLabel | undefined} byLabel */
const total = (byLabel) => Object.values(byLabel ?? {}).reduce((sum, n) => sum + (Number(n) || 0), 0);
/** A line's two direction names, `in` first. @param {Line} l @returns {[string, string]} */
const directions = (l) => [l.directions?.[0] ?? 'in', l.directions?.[1] ?? 'out'];
/** @param {Line} l @param {SceneCounts | undefined} counts */
function lineText(l, counts) {
  const [dirIn, dirOut] = directions(l), byDirection = counts?.lines?.[l.name] ?? {};
  return `${l.name} · ${dirIn} ${total(byDirection[dirIn])} · ${dirOut} ${total(byDirection[dirOut])}`;
}
/**
 * A zone's or line's label: dark, with text in its colour (a detection's is filled with its colour),
 * its top left at (x, y), kept inside the canvas.
 * @param {CanvasRenderingContext2D} ctx @param {string} text @param {number} x @param {number} y @param {string} col @param {View} v
 */
function sceneLabel(ctx, text, x, y, col, v) {
  const tw = ctx.measureText(text).width + v.pad * 2;
  const tx = Math.max(0, Math.min(x, v.cw - tw)), ty = Math.max(0, Math.min(y, v.ch - v.th));
  ctx.fillStyle = 'rgba(14, 17, 22, 0.8)';
  ctx.fillRect(tx, ty, tw, v.th);
  ctx.fillStyle = col;
  ctx.fillText(text, tx + v.pad, ty + v.th / 2);
}
/**
 * Zones as translucent dashed polygons named with their occupancy now; lines with an arrow
 * pointing the `in` way and their crossings each way. Geometry is in fractions of the frame.
 * @param {CanvasRenderingContext2D} ctx @param {CameraInfo} layout @param {SceneCounts | undefined} counts @param {View} v
 */
export function drawScene(ctx, layout, counts, v) {
  /** @param {number[] | undefined} p @returns {[number, number]} */
  const at = (p) => [v.ox + (Number(p?.[0]) || 0) * v.dw, v.oy + (Number(p?.[1]) || 0) * v.dh];
  ctx.lineWidth = v.lw;
  for (const z of layout.zones ?? []) {
    const pts = (z.polygon ?? []).map(at);
    if (pts.length < 3) continue;
    const h = hue(`zone:${z.name}`);
    ctx.beginPath();
    pts.forEach(([x, y], i) => (i ? ctx.lineTo(x, y) : ctx.moveTo(x, y)));
    ctx.closePath();
    ctx.fillStyle = `hsla(${h}, 85%, 55%, 0.22)`;
    ctx.fill();
    ctx.strokeStyle = `hsl(${h}, 85%, 60%)`;
    ctx.setLineDash([6 * v.px, 4 * v.px]);
    ctx.stroke();
    ctx.setLineDash([]);
    // In the top-left corner of the zone's bounding box, as nvdsanalytics labels its ROIs.
    const left = Math.min(...pts.map((p) => p[0])), top = Math.min(...pts.map((p) => p[1]));
    sceneLabel(ctx, counts ? `${z.name} · ${total(counts.zones?.[z.name])}` : z.name, left + v.lw, top + v.lw, `hsl(${h}, 85%, 65%)`, v);
  }
  for (const l of layout.lines ?? []) {
    const [a, b] = [at(l.points?.[0]), at(l.points?.[1])];
    const dx = b[0] - a[0], dy = b[1] - a[1], len = Math.hypot(dx, dy);
    if (len < 1) continue;
    const col = `hsl(${hue(`line:${l.name}`)}, 90%, 60%)`;
    // Unit normal on the side an object crosses into when it goes `in`.
    const nx = (-dy / len) * IN_SIDE, ny = (dx / len) * IN_SIDE;
    // The line and an arrow from its middle, the `in` way: a dark edge first, then the colour.
    const mx = (a[0] + b[0]) / 2, my = (a[1] + b[1]) / 2, arrow = 22 * v.px, head = 9 * v.px;
    const tipX = mx + nx * (arrow + head), tipY = my + ny * (arrow + head);
    const baseX = mx + nx * arrow, baseY = my + ny * arrow;
    ctx.lineJoin = 'round';
    for (const [stroke, width] of /** @type {const} */ ([['rgba(0, 0, 0, 0.6)', 3], [col, 1.5]])) {
      ctx.strokeStyle = stroke;
      ctx.fillStyle = stroke;
      ctx.lineWidth = v.lw * width;
      ctx.beginPath();
      ctx.moveTo(a[0], a[1]);
      ctx.lineTo(b[0], b[1]);
      ctx.moveTo(mx, my);
      ctx.lineTo(baseX, baseY);
      ctx.moveTo(tipX, tipY);
      ctx.lineTo(baseX - ny * head, baseY + nx * head);
      ctx.lineTo(baseX + ny * head, baseY - nx * head);
      ctx.closePath();
      ctx.stroke();
      ctx.fill();
    }
    // The name and counts on the other side of the line, clear of it.
    const text = lineText(l, counts), tw = ctx.measureText(text).width + v.pad * 2;
    const off = (Math.abs(nx) * tw) / 2 + (Math.abs(ny) * v.th) / 2 + v.lw * 3;
    sceneLabel(ctx, text, mx - nx * off - tw / 2, my - ny * off - v.th / 2, col, v);
  }
}
/**
 * The counts under the picture, as text: '' for a camera that is not tracked.
 * @param {CameraInfo} layout @param {SceneCounts | undefined} counts @param {number | undefined} tracksActive
 */
export function sceneSummary(layout, counts, tracksActive) {
  if (!counts) return '';
  const parts = typeof tracksActive === 'number' ? [`tracks ${tracksActive}`] : [];
  const zoneNames = [...new Set([...(layout.zones ?? []).map((z) => z.name), ...Object.keys(counts.zones ?? {})])];
  for (const name of zoneNames) {
    const byLabel = counts.zones?.[name] ?? {};
    const labels = Object.keys(byLabel).filter((k) => byLabel[k]).sort();
    parts.push(`${name} ${total(byLabel)}${labels.length ? ` (${labels.map((k) => `${k} ${byLabel[k]}`).join(', ')})` : ''}`);
  }
  const lines = [...(layout.lines ?? [])];
  for (const name of Object.keys(counts.lines ?? {})) if (!lines.some((l) => l.name === name)) lines.push({ name });
  for (const l of lines) {
    const [dirIn, dirOut] = directions(l), byDirection = counts.lines?.[l.name] ?? {};
    parts.push(`${l.name} ${dirIn} ${total(byDirection[dirIn])} / ${dirOut} ${total(byDirection[dirOut])}`);
  }
  return parts.join(' · ');
}
