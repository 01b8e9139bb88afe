/*
 * The per-pixel work of building the models' input tensors, in C.
 *
 * letterboxPlanar: the last step of the detector's tensor, in one pass: an
 * already resized 8-bit HWC image (BGR, as OpenCV decodes) is written into a
 * float32 NCHW tensor at (offsetX, offsetY), every value times `scale`, the
 * rest of the tensor filled with padValue × scale. OpenCV's copyMakeBorder +
 * blobFromImage + getData do the same in three passes with two 2 MB
 * allocations and a 2 MB copy (~1.8 ms for 416² here); this writes once into
 * a buffer the caller reuses (~0.25 ms), so the capture thread leaves more of
 * the cores to inference.
 *
 * letterboxPlanar(src, srcWidth, srcHeight, dst, dstWidth, dstHeight,
 *                 offsetX, offsetY, scale, padValue, swapRB)
 *   src: Uint8Array/Buffer of srcWidth × srcHeight × 3 bytes
 *   dst: ArrayBuffer of at least 3 × dstWidth × dstHeight float32
 *   swapRB: true writes the channels as RGB
 * cropToPlanes(src, srcWidth, srcHeight, regionX, regionY, regionWidth,
 *              regionHeight, dst, dstOffset, dstWidth, dstHeight, affine, swapRB)
 *   the classifier's crops: bilinear resize (half-pixel centres, OpenCV's
 *   INTER_LINEAR convention) of a region of a BGR image into three float
 *   planes of dstWidth x dstHeight at dstOffset (in floats) of the
 *   Float32Array dst, each value v -> v x affine[p] + affine[3 + p] for
 *   plane p. The same arithmetic as resizeIntoTensor in
 *   agent/inference/tensor-fill.ts (the fallback), bit for bit, in half the
 *   time (0.45 against 0.9 ms for a 224² crop here; float instead of double
 *   arithmetic bought little more, so parity won).
 *
 * Both throw a RangeError when a region or image does not fit or a buffer is
 * too small: a wrong call must never read or write outside its buffers.
 */
#include <node_api.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>


static void fill(float *restrict out, size_t count, float value) {
  for (size_t i = 0; i < count; i++) out[i] = value;
}

/*
 * One read of each BGR pixel, three streaming writes. Writing the 2 MB
 * tensor is what it costs: an AVX2 build of this loop (vectorised) ran no
 * faster than the scalar one (0.25 ms for 416x312 either way), so there is
 * no SIMD variant.
 */
static void pixels_to_planes(const uint8_t *restrict in, float *restrict o0, float *restrict o1, float *restrict o2, size_t count, float scale) {
  for (size_t x = 0; x < count; x++) {
    o0[x] = (float)in[3 * x] * scale;
    o1[x] = (float)in[3 * x + 1] * scale;
    o2[x] = (float)in[3 * x + 2] * scale;
  }
}

static napi_value fail(napi_env env, const char *message) {
  napi_throw_range_error(env, "ETENSORKERNEL", message);
  return NULL;
}

static bool int_arg(napi_env env, napi_value value, int32_t *out) {
  return napi_get_value_int32(env, value, out) == napi_ok;
}

/* A typed array of `type`: its data and its length in elements. */
static bool typed_arg(napi_env env, napi_value value, napi_typedarray_type type, void **data, size_t *length) {
  bool is_typed = false;
  napi_typedarray_type actual;
  return napi_is_typedarray(env, value, &is_typed) == napi_ok && is_typed &&
         napi_get_typedarray_info(env, value, &actual, length, data, NULL, NULL) == napi_ok && actual == type;
}

static napi_value letterbox_planar(napi_env env, napi_callback_info info) {
  size_t argc = 11;
  napi_value args[11];
  if (napi_get_cb_info(env, info, &argc, args, NULL, NULL) != napi_ok || argc != 11) {
    return fail(env, "letterboxPlanar takes 11 arguments");
  }

  void *src_data = NULL, *dst_data = NULL;
  size_t src_length = 0, dst_length = 0;
  if (!typed_arg(env, args[0], napi_uint8_array, &src_data, &src_length)) return fail(env, "src must be a Uint8Array");
  bool dst_is_buffer = false;
  napi_is_arraybuffer(env, args[3], &dst_is_buffer);
  if (!dst_is_buffer || napi_get_arraybuffer_info(env, args[3], &dst_data, &dst_length) != napi_ok) {
    return fail(env, "dst must be an ArrayBuffer");
  }

  int32_t sw, sh, dw, dh, ox, oy;
  double scale_arg, pad_arg;
  bool swap_rb;
  if (!int_arg(env, args[1], &sw) || !int_arg(env, args[2], &sh) || !int_arg(env, args[4], &dw) || !int_arg(env, args[5], &dh) ||
      !int_arg(env, args[6], &ox) || !int_arg(env, args[7], &oy) || napi_get_value_double(env, args[8], &scale_arg) != napi_ok ||
      napi_get_value_double(env, args[9], &pad_arg) != napi_ok || napi_get_value_bool(env, args[10], &swap_rb) != napi_ok) {
    return fail(env, "sizes and offsets must be integers, scale and padValue numbers, swapRB a boolean");
  }
  if (sw < 1 || sh < 1 || dw < 1 || dh < 1 || ox < 0 || oy < 0 || (int64_t)ox + sw > dw || (int64_t)oy + sh > dh) {
    return fail(env, "the image must lie inside the tensor");
  }
  const size_t plane = (size_t)dw * (size_t)dh;
  if (src_length < (size_t)sw * (size_t)sh * 3) return fail(env, "src is smaller than srcWidth x srcHeight x 3");
  if (dst_length < plane * 3 * sizeof(float)) return fail(env, "dst is smaller than 3 x dstWidth x dstHeight float32");

  const uint8_t *src = src_data;
  const float scale = (float)scale_arg;
  const float pad = (float)(pad_arg * scale_arg);
  float *dst = dst_data;
  /* Source channel k (B, G, R) goes to plane k, or to plane 2 - k for RGB. */
  float *plane0 = dst, *plane1 = dst + plane, *plane2 = dst + 2 * plane;
  if (swap_rb) {
    float *t = plane0;
    plane0 = plane2;
    plane2 = t;
  }
  const size_t right = (size_t)(dw - ox - sw);
  for (int c = 0; c < 3; c++) fill(dst + plane * c, (size_t)oy * dw, pad);
  for (int32_t y = 0; y < sh; y++) {
    const size_t row = (size_t)(oy + y) * dw;
    float *restrict r0 = plane0 + row, *restrict r1 = plane1 + row, *restrict r2 = plane2 + row;
    fill(r0, ox, pad);
    fill(r1, ox, pad);
    fill(r2, ox, pad);
    pixels_to_planes(src + (size_t)y * sw * 3, r0 + ox, r1 + ox, r2 + ox, (size_t)sw, scale);
    fill(r0 + ox + sw, right, pad);
    fill(r1 + ox + sw, right, pad);
    fill(r2 + ox + sw, right, pad);
  }
  const size_t below = (size_t)(oy + sh) * dw;
  for (int c = 0; c < 3; c++) fill(dst + plane * c + below, plane - below, pad);
  return NULL;
}

/* Classifier inputs are a few hundred pixels on a side; the axis tables live on the stack. */
#define MAX_CROP_SIDE 2048

/* One axis of the bilinear resize, as axisTable() in tensor-fill.ts: source
 * indices and the second one's weight (rounded to float, as its Float32Array). */
static void axis_table(int32_t start, int32_t length, int32_t limit, int32_t out_length, int32_t *i0, int32_t *i1, float *w1) {
  const double ratio = (double)length / out_length;
  for (int32_t d = 0; d < out_length; d++) {
    double s = (d + 0.5) * ratio - 0.5;
    if (s < 0) s = 0;
    if (s > length - 1) s = length - 1;
    const int32_t lo = (int32_t)s;
    const int32_t hi = lo + 1 < length ? lo + 1 : length - 1;
    i0[d] = start + lo < limit - 1 ? start + lo : limit - 1;
    i1[d] = start + hi < limit - 1 ? start + hi : limit - 1;
    w1[d] = (float)(s - lo);
  }
}

static napi_value crop_to_planes(napi_env env, napi_callback_info info) {
  size_t argc = 13;
  napi_value args[13];
  if (napi_get_cb_info(env, info, &argc, args, NULL, NULL) != napi_ok || argc != 13) return fail(env, "cropToPlanes takes 13 arguments");

  void *src_data = NULL, *dst_data = NULL, *affine_data = NULL;
  size_t src_length = 0, dst_length = 0, affine_length = 0;
  if (!typed_arg(env, args[0], napi_uint8_array, &src_data, &src_length)) return fail(env, "src must be a Uint8Array");
  if (!typed_arg(env, args[7], napi_float32_array, &dst_data, &dst_length)) return fail(env, "dst must be a Float32Array");
  if (!typed_arg(env, args[11], napi_float64_array, &affine_data, &affine_length) || affine_length != 6) {
    return fail(env, "affine must be a Float64Array of 6: three multipliers, then three offsets");
  }
  int32_t sw, sh, rx, ry, rw, rh, offset, dw, dh;
  bool swap_rb;
  if (!int_arg(env, args[1], &sw) || !int_arg(env, args[2], &sh) || !int_arg(env, args[3], &rx) || !int_arg(env, args[4], &ry) ||
      !int_arg(env, args[5], &rw) || !int_arg(env, args[6], &rh) || !int_arg(env, args[8], &offset) || !int_arg(env, args[9], &dw) ||
      !int_arg(env, args[10], &dh) || napi_get_value_bool(env, args[12], &swap_rb) != napi_ok) {
    return fail(env, "sizes, region and offset must be integers, swapRB a boolean");
  }
  if (sw < 1 || sh < 1 || rw < 1 || rh < 1 || dw < 1 || dh < 1 || dw > MAX_CROP_SIDE || dh > MAX_CROP_SIDE || rx < 0 || ry < 0 || (int64_t)rx + rw > sw ||
      (int64_t)ry + rh > sh) {
    return fail(env, "the region must lie inside the image, and the planes be 1..2048 on a side");
  }
  const size_t plane = (size_t)dw * dh;
  if (src_length < (size_t)sw * sh * 3) return fail(env, "src is smaller than srcWidth x srcHeight x 3");
  if (offset < 0 || (size_t)offset + 3 * plane > dst_length) return fail(env, "dst has no room for three planes at dstOffset");

  int32_t xi0[MAX_CROP_SIDE], xi1[MAX_CROP_SIDE], yi0[MAX_CROP_SIDE], yi1[MAX_CROP_SIDE];
  float xw[MAX_CROP_SIDE], yw[MAX_CROP_SIDE];
  axis_table(rx, rw, sw, dw, xi0, xi1, xw);
  axis_table(ry, rh, sh, dh, yi0, yi1, yw);

  const uint8_t *src = src_data;
  const double *affine = affine_data;
  float *out = (float *)dst_data + offset;
  /* Plane p takes source channel c[p] (BGR in memory). */
  const int c0 = swap_rb ? 2 : 0, c2 = swap_rb ? 0 : 2;
  const size_t stride = (size_t)sw * 3;
  for (int32_t y = 0; y < dh; y++) {
    const uint8_t *row0 = src + (size_t)yi0[y] * stride, *row1 = src + (size_t)yi1[y] * stride;
    const double wy = yw[y];
    float *o = out + (size_t)y * dw;
    for (int32_t x = 0; x < dw; x++) {
      const size_t xa = (size_t)xi0[x] * 3, xb = (size_t)xi1[x] * 3;
      const double wx = xw[x];
      /* Same operations in the same order as tensor-fill.ts, in double like JS numbers. */
      const double w00 = (1 - wx) * (1 - wy), w01 = wx * (1 - wy), w10 = (1 - wx) * wy, w11 = wx * wy;
      const uint8_t *p00 = row0 + xa, *p01 = row0 + xb, *p10 = row1 + xa, *p11 = row1 + xb;
      o[x] = (float)((p00[c0] * w00 + p01[c0] * w01 + p10[c0] * w10 + p11[c0] * w11) * affine[0] + affine[3]);
      o[x + plane] = (float)((p00[1] * w00 + p01[1] * w01 + p10[1] * w10 + p11[1] * w11) * affine[1] + affine[4]);
      o[x + 2 * plane] = (float)((p00[c2] * w00 + p01[c2] * w01 + p10[c2] * w10 + p11[c2] * w11) * affine[2] + affine[5]);
    }
  }
  return NULL;
}

NAPI_MODULE_INIT() {
  napi_value fn;
  if (napi_create_function(env, "letterboxPlanar", NAPI_AUTO_LENGTH, letterbox_planar, NULL, &fn) != napi_ok) return NULL;
  if (napi_set_named_property(env, exports, "letterboxPlanar", fn) != napi_ok) return NULL;
  if (napi_create_function(env, "cropToPlanes", NAPI_AUTO_LENGTH, crop_to_planes, NULL, &fn) != napi_ok) return NULL;
  if (napi_set_named_property(env, exports, "cropToPlanes", fn) != napi_ok) return NULL;
  return exports;
}
