/* RESIZE of NHWC float32 images in the OpenCL delegate. The host fills, per axis, the table
   of source cells and weights with the CPU kernel's coordinate arithmetic (csrc/kernels/
   resize_coords.h, in float32, so nearest picks the same cell on exact .5 ties), and the kernels
   (kernels/layout.cl) only read the tables: nearest and bilinear through layout_resize,
   cubic, antialias and crop-and-resize through the general taps of layout_resize_taps.
   Scales, sizes or a roi given at run time (inputs 1 and last) are refused. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/resize_coords.h"
#include "ops_misc.h"

/* The most taps per output coordinate the delegate builds tables for (antialias at a scale
   of 1/16 needs 32 linear or 64 cubic taps). */
#define MAX_TAPS 64

typedef struct resize_params {
    int64_t mode, transform, rounding;
    bool exclude_outside, antialias;
    float scale[2], cubic_a, extrapolation;
    float roi[2][2]; /* H, W: start, end */
} resize_params;

static void resize_read(const ember_core_api *api, const ember_interp *ip, uint32_t node,
                        resize_params *p) {
    p->mode = cld_param_int(api, ip, node, "mode");
    p->transform = cld_param_int(api, ip, node, "coordinate_transform");
    p->rounding = cld_param_int(api, ip, node, "nearest_rounding");
    p->exclude_outside = cld_param_int(api, ip, node, "exclude_outside") != 0;
    p->antialias = cld_param_int(api, ip, node, "antialias") != 0;
    p->scale[0] = cld_param_float(api, ip, node, "scale_h");
    p->scale[1] = cld_param_float(api, ip, node, "scale_w");
    p->cubic_a = cld_param_float(api, ip, node, "cubic_coeff_a");
    p->extrapolation = cld_param_float(api, ip, node, "extrapolation_value");
    p->roi[0][0] = cld_param_float(api, ip, node, "roi_h_start");
    p->roi[0][1] = cld_param_float(api, ip, node, "roi_h_end");
    p->roi[1][0] = cld_param_float(api, ip, node, "roi_w_start");
    p->roi[1][1] = cld_param_float(api, ip, node, "roi_w_end");
}

static bool general(const resize_params *p) {
    return p->mode == EMBER_RESIZE_MODE_CUBIC || p->antialias ||
           p->transform == EMBER_COORDINATE_TRANSFORM_TF_CROP_AND_RESIZE;
}

/* The filter's scale: antialias stretches it by 1 / scale when downsampling. */
static float filter_scale(const resize_params *p, float scale) {
    return p->antialias && scale < 1.0f ? scale : 1.0f;
}

/* Taps per output coordinate (1 nearest, else twice the filter's half-width in input
   cells), or -1 past MAX_TAPS. */
static int32_t taps_count(const resize_params *p, float scale) {
    if (p->mode == EMBER_RESIZE_MODE_NEAREST)
        return 1;
    const double support = p->mode == EMBER_RESIZE_MODE_CUBIC ? 2.0 : 1.0;
    const double k = 2.0 * ceil(support / (double)filter_scale(p, scale));
    return k <= MAX_TAPS ? (int32_t)k : -1;
}

static bool resize_supports(const ember_core_api *api, const ember_interp *ip, uint32_t node,
                            char *why, size_t why_size) {
    const uint32_t inputs = api->node_io_count(ip, node, 0);
    if (inputs != 1)
        return cld_why(why, why_size, "scales, sizes or roi given at run time (%u inputs)",
                       (unsigned)inputs);
    if (!misc_supports_float(api, ip, node, why, why_size))
        return false;
    uint32_t t;
    ember_tensor_info in;
    if (!cld_io(api, ip, node, 0, 0, &t, &in) || in.rank != 4)
        return cld_why(why, why_size, "needs an NHWC (rank 4) input");
    resize_params p;
    resize_read(api, ip, node, &p);
    if (p.mode < 0 || p.mode >= EMBER_RESIZE_MODE_COUNT || p.transform < 0 ||
        p.transform >= EMBER_COORDINATE_TRANSFORM_COUNT || p.rounding < 0 ||
        p.rounding >= EMBER_NEAREST_ROUNDING_COUNT)
        return cld_why(why, why_size, "unknown mode %lld, transform %lld or rounding %lld",
                       (long long)p.mode, (long long)p.transform, (long long)p.rounding);
    if (!(p.scale[0] > 0.0f && p.scale[1] > 0.0f && isfinite(p.scale[0]) &&
          isfinite(p.scale[1])))
        return cld_why(why, why_size, "scales %g,%g", (double)p.scale[0], (double)p.scale[1]);
    if (general(&p) && (taps_count(&p, p.scale[0]) < 0 || taps_count(&p, p.scale[1]) < 0))
        return cld_why(why, why_size, "antialias at scales %g,%g needs more than %d taps",
                       (double)p.scale[0], (double)p.scale[1], MAX_TAPS);
    return true;
}

static int32_t float_bits(float f) {
    int32_t bits;
    memcpy(&bits, &f, sizeof bits);
    return bits;
}

/* One axis of the nearest / bilinear table: lo[out], hi[out], weight-of-hi bits[out]. */
static void fill_axis(const resize_params *p, int32_t *t, float scale, int32_t in, int32_t out,
                      const float roi[2]) {
    const float last = (float)(in - 1);
    for (int32_t x = 0; x < out; x++) {
        float c = resize_source_coord(p->transform, x, scale, in, out, roi);
        if (p->mode == EMBER_RESIZE_MODE_NEAREST) {
            t[x] = t[out + x] = resize_cell_index(resize_nearest(p->rounding, c), in);
            t[2 * out + x] = float_bits(0.0f);
        } else {
            c = !(c >= 0.0f) ? 0.0f : (c > last ? last : c);
            const int32_t lo = resize_cell_index(c, in);
            t[x] = lo;
            t[out + x] = lo < in - 1 ? lo + 1 : lo;
            t[2 * out + x] = float_bits(c - (float)lo);
        }
    }
}

/* The taps of coordinate c (resize_filter_taps), the weights as float32 bits. */
static void fill_taps_at(const resize_params *p, int32_t k, float fs, float c, int32_t in,
                         int32_t *cell, int32_t *w) {
    float weights[MAX_TAPS];
    resize_filter_taps((uint8_t)p->mode, p->cubic_a, p->exclude_outside,
                       p->antialias || p->exclude_outside, k, fs, c, in, cell, weights);
    for (int32_t j = 0; j < k; j++)
        w[j] = float_bits(weights[j]);
}

/* One axis of the general table: k cells per output coordinate, then k weights each. */
static void fill_taps(const resize_params *p, int32_t *t, int32_t k, float scale, int32_t in,
                      int32_t out, const float roi[2]) {
    const float fs = filter_scale(p, scale);
    const bool crop = p->transform == EMBER_COORDINATE_TRANSFORM_TF_CROP_AND_RESIZE;
    for (int32_t o = 0; o < out; o++) {
        int32_t *cell = t + (size_t)o * (size_t)k;
        int32_t *w = t + (size_t)out * (size_t)k + (size_t)o * (size_t)k;
        const float c = resize_source_coord(p->transform, o, scale, in, out, roi);
        if (crop && !(c >= 0.0f && c <= (float)(in - 1))) {
            for (int32_t j = 0; j < k; j++) {
                cell[j] = -1;
                w[j] = float_bits(0.0f);
            }
        } else if (p->mode == EMBER_RESIZE_MODE_NEAREST) {
            cell[0] = resize_cell_index(resize_nearest(p->rounding, c), in);
            w[0] = float_bits(1.0f);
        } else
            fill_taps_at(p, k, fs, c, in, cell, w);
    }
}

static void bind_image(cld_args *args, const misc_tensor *in, const misc_tensor *out) {
    cld_arg_int(args, (int32_t)out->count);
    cld_arg_int(args, in->info.dims[3]);
    cld_arg_int(args, in->info.dims[1]);
    cld_arg_int(args, in->info.dims[2]);
    cld_arg_int(args, out->info.dims[1]);
    cld_arg_int(args, out->info.dims[2]);
}

static ember_status resize_encode(cld_plan *plan, uint32_t node) {
    misc_tensor in, out;
    if (!misc_io(plan, node, 0, 0, &in) || !misc_io(plan, node, 1, 0, &out))
        return cld_status(plan);
    if (in.info.rank != 4 || out.info.rank != 4)
        return cld_fail(plan, EMBER_STATUS_UNSUPPORTED, "node %u (resize): needs NHWC",
                        (unsigned)node);
    if (out.count == 0)
        return cld_status(plan);
    resize_params p;
    resize_read(cld_api(plan), cld_interp(plan), node, &p);
    const int32_t in_h = in.info.dims[1], in_w = in.info.dims[2];
    const int32_t out_h = out.info.dims[1], out_w = out.info.dims[2];
    const bool taps = general(&p);
    const int32_t ky = taps ? taps_count(&p, p.scale[0]) : 3;
    const int32_t kx = taps ? taps_count(&p, p.scale[1]) : 3;
    if (ky < 1 || kx < 1 || in_h < 1 || in_w < 1)
        return cld_fail(plan, EMBER_STATUS_UNSUPPORTED,
                        "node %u (resize): %dx%d image, %d and %d taps", (unsigned)node,
                        (int)in_h, (int)in_w, (int)ky, (int)kx);
    /* taps: cells and weights per coordinate (2k); else lo, hi and weight (3) */
    const size_t per_y = taps ? 2 * (size_t)ky : 3, per_x = taps ? 2 * (size_t)kx : 3;
    const size_t count = per_y * (size_t)out_h + per_x * (size_t)out_w;
    int32_t *tab = malloc(count * sizeof *tab);
    if (tab == NULL)
        return cld_fail(plan, EMBER_STATUS_NO_MEMORY, "node %u (resize): tables of %zu ints",
                        (unsigned)node, count);
    int32_t *cols = tab + per_y * (size_t)out_h;
    if (taps) {
        fill_taps(&p, tab, ky, p.scale[0], in_h, out_h, p.roi[0]);
        fill_taps(&p, cols, kx, p.scale[1], in_w, out_w, p.roi[1]);
    } else {
        fill_axis(&p, tab, p.scale[0], in_h, out_h, p.roi[0]);
        fill_axis(&p, cols, p.scale[1], in_w, out_w, p.roi[1]);
    }
    cl_kernel k = cld_kernel(plan, taps ? "layout_resize_taps" : "layout_resize");
    cld_args args = cld_args_begin(plan, k);
    cld_arg_ref(&args, cld_tensor(plan, in.index));
    cld_arg_ref(&args, cld_tensor(plan, out.index));
    cld_arg_ref(&args, misc_table(plan, tab, count));
    free(tab);
    bind_image(&args, &in, &out);
    if (taps) {
        cld_arg_int(&args, ky);
        cld_arg_int(&args, kx);
        cld_arg_float(&args, p.extrapolation);
    } else
        cld_arg_int(&args, p.mode != EMBER_RESIZE_MODE_NEAREST);
    misc_launch(plan, k, out.count);
    return cld_status(plan);
}

const cld_op misc_op_resize = {"resize", resize_supports, resize_encode};
