/**
 * A constant-velocity Kalman filter over a 4-number measurement, the model
 * SORT and ByteTrack both use: the state is the measurement followed by the
 * velocities of its first `stateSize - 4` entries, so F = I plus ones at
 * (i, 4 + i) and H = [I₄ 0]. The matrix products are written out for that
 * shape (no general matrix library) and run on typed arrays, so predict and
 * update allocate nothing; what differs between the two trackers (what is
 * measured, the noise) is a MotionModel.
 */

export const MEASURED = 4;

export interface MotionModel {
  /** 7 for SORT (cx, cy, s, r and three velocities), 8 for ByteTrack (cx, cy, a, h and four). */
  readonly stateSize: number;
  /** Diagonal of the initial covariance for a track started on measurement z. */
  initialVariance(z: Float64Array, out: Float64Array): void;
  /** Diagonal of the process noise Q, from the state before the prediction. */
  processVariance(x: Float64Array, out: Float64Array): void;
  /** Diagonal of the measurement noise R, from the predicted state. */
  measurementVariance(x: Float64Array, out: Float64Array): void;
}

/** Scratch shared by every filter: the agent runs each camera's tracker on one thread, one update at a time. */
const MAX_STATE = 8;
const q = new Float64Array(MAX_STATE);
const r = new Float64Array(MEASURED);
const s = new Float64Array(MEASURED * MEASURED);
const sInv = new Float64Array(MEASURED * MEASURED);
const gain = new Float64Array(MAX_STATE * MEASURED);
const topRows = new Float64Array(MEASURED * MAX_STATE);
const chol = new Float64Array(MEASURED * MEASURED);
const column = new Float64Array(MEASURED);

export class KalmanFilter {
  /** The state estimate; its first four entries are the measurement's. */
  readonly x: Float64Array;
  /** Covariance, row-major stateSize × stateSize. */
  readonly P: Float64Array;
  private readonly n: number;

  constructor(
    private readonly model: MotionModel,
    z: Float64Array,
  ) {
    const n = model.stateSize;
    if (n <= MEASURED || n > MAX_STATE) throw new RangeError(`stateSize must be 5 to ${MAX_STATE} (got ${n})`);
    this.n = n;
    this.x = new Float64Array(n);
    this.P = new Float64Array(n * n);
    this.x.set(z.subarray(0, MEASURED));
    model.initialVariance(z, q);
    for (let i = 0; i < n; i++) this.P[i * n + i] = q[i]!;
  }

  /** x = F x; P = F P Fᵀ + Q. */
  predict(): void {
    const { n, x, P } = this;
    const velocities = n - MEASURED;
    this.model.processVariance(x, q);
    for (let i = 0; i < velocities; i++) x[i]! += x[MEASURED + i]!;
    // F P: row i += row 4+i; then (F P) Fᵀ: column i += column 4+i. Rows and
    // columns 4+i are never among those changed, so both run in place.
    for (let i = 0; i < velocities; i++) {
      const to = i * n;
      const from = (MEASURED + i) * n;
      for (let c = 0; c < n; c++) P[to + c]! += P[from + c]!;
    }
    for (let i = 0; i < velocities; i++) {
      for (let row = 0; row < n; row++) P[row * n + i]! += P[row * n + MEASURED + i]!;
    }
    for (let i = 0; i < n; i++) P[i * n + i]! += q[i]!;
  }

  /** The standard update with H = [I₄ 0]: S = P₄₄ + R, K = P Hᵀ S⁻¹, x += K (z − x₄), P −= K H P. */
  update(z: Float64Array): void {
    const { n, x, P } = this;
    this.model.measurementVariance(x, r);
    for (let i = 0; i < MEASURED; i++) {
      for (let j = 0; j < MEASURED; j++) s[i * MEASURED + j] = P[i * n + j]! + (i === j ? r[i]! : 0);
    }
    invertSymmetric4(s, sInv);
    // K = P[:, 0:4] S⁻¹ (n × 4)
    for (let row = 0; row < n; row++) {
      for (let j = 0; j < MEASURED; j++) {
        let sum = 0;
        for (let k = 0; k < MEASURED; k++) sum += P[row * n + k]! * sInv[k * MEASURED + j]!;
        gain[row * MEASURED + j] = sum;
      }
    }
    const y0 = z[0]! - x[0]!;
    const y1 = z[1]! - x[1]!;
    const y2 = z[2]! - x[2]!;
    const y3 = z[3]! - x[3]!;
    for (let row = 0; row < n; row++) {
      const k = row * MEASURED;
      x[row]! += gain[k]! * y0 + gain[k + 1]! * y1 + gain[k + 2]! * y2 + gain[k + 3]! * y3;
    }
    topRows.set(P.subarray(0, MEASURED * n));
    for (let row = 0; row < n; row++) {
      const k = row * MEASURED;
      for (let c = 0; c < n; c++) {
        P[row * n + c]! -=
          gain[k]! * topRows[c]! + gain[k + 1]! * topRows[n + c]! + gain[k + 2]! * topRows[2 * n + c]! + gain[k + 3]! * topRows[3 * n + c]!;
      }
    }
  }
}

/** Inverse of a symmetric positive-definite 4 × 4 matrix by Cholesky (S = L Lᵀ, S⁻¹ = L⁻ᵀ L⁻¹). */
export function invertSymmetric4(a: Float64Array, out: Float64Array): void {
  const m = MEASURED;
  chol.fill(0);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j <= i; j++) {
      let sum = a[i * m + j]!;
      for (let k = 0; k < j; k++) sum -= chol[i * m + k]! * chol[j * m + k]!;
      chol[i * m + j] = i === j ? Math.sqrt(sum) : sum / chol[j * m + j]!;
    }
  }
  // Column by column: solve L y = e_c, then Lᵀ x = y.
  for (let c = 0; c < m; c++) {
    const y = column;
    for (let i = 0; i < m; i++) {
      let sum = i === c ? 1 : 0;
      for (let k = 0; k < i; k++) sum -= chol[i * m + k]! * y[k]!;
      y[i] = sum / chol[i * m + i]!;
    }
    for (let i = m - 1; i >= 0; i--) {
      let sum = y[i]!;
      for (let k = i + 1; k < m; k++) sum -= chol[k * m + i]! * out[k * m + c]!;
      out[i * m + c] = sum / chol[i * m + i]!;
    }
  }
}
