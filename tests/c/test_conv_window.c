/* The filter-window walk the convolution reference loops share (conv_walk in
   csrc/kernels/conv_window.h), against nested loops that test every tap of every placement
   one by one: over pseudo-random images, filters, strides, dilations and pads (taps in and
   out of the image on both sides, windows wider than the image, counts of 0), the walk must
   give each placement once, in NHWC order, with exactly the taps that land in the image. */
#include <inttypes.h>

#include "kernels/conv_window.h"
#include "test_util.h"

/* xorshift32: a fixed sequence, so a failure replays. */
static uint32_t next(uint32_t *s) {
    *s ^= *s << 13;
    *s ^= *s >> 17;
    *s ^= *s << 5;
    return *s;
}

static int32_t draw(uint32_t *s, int32_t lo, int32_t hi) {
    return lo + (int32_t)(next(s) % (uint32_t)(hi - lo + 1));
}

/* Whether tap k of a window starting at `start` lands in [0, size), and that the walk's
   range [k0, k1) holds exactly such taps: the in-image taps of a window are contiguous. */
static bool taps_match(int64_t start, int32_t taps, int32_t dilation, int32_t size, int32_t k0,
                       int32_t k1) {
    for (int32_t k = 0; k < taps; k++) {
        const int64_t at = start + (int64_t)k * dilation;
        const bool inside = at >= 0 && at < size;
        if (inside != (k >= k0 && k < k1))
            return false;
    }
    return k0 <= k1;
}

/* One random configuration; `steps` = placements per axis, `size` = image extent. */
static void check_walk(uint32_t *s) {
    struct conv_window w = {0};
    w.stride_h = draw(s, 1, 3);
    w.stride_w = draw(s, 1, 3);
    w.dilation_h = draw(s, 1, 3);
    w.dilation_w = draw(s, 1, 3);
    w.pad_top = draw(s, 0, 4);
    w.pad_left = draw(s, 0, 4);
    const int32_t batch = draw(s, 0, 2), steps_h = draw(s, 0, 6), steps_w = draw(s, 0, 6);
    const int32_t size_h = draw(s, 1, 7), size_w = draw(s, 1, 7);
    const int32_t filter_h = draw(s, 1, 5), filter_w = draw(s, 1, 5);
    struct conv_walk p;
    conv_walk_init(&p, &w, batch, steps_h, steps_w, size_h, size_w, filter_h, filter_w);
    int64_t visited = 0;
    bool ok = true;
    for (int32_t n = 0; n < batch && ok; n++)
        for (int32_t oy = 0; oy < steps_h && ok; oy++)
            for (int32_t ox = 0; ox < steps_w && ok; ox++) {
                ok = conv_walk_next(&p) && p.n == n && p.oy == oy && p.ox == ox &&
                     p.y0 == (int64_t)oy * w.stride_h - w.pad_top &&
                     p.x0 == (int64_t)ox * w.stride_w - w.pad_left &&
                     taps_match(p.y0, filter_h, w.dilation_h, size_h, p.ky0, p.ky1) &&
                     taps_match(p.x0, filter_w, w.dilation_w, size_w, p.kx0, p.kx1) &&
                     conv_walk_pixel(&p, 1, 2) ==
                         ((size_t)n * (size_t)size_h + 1u) * (size_t)size_w + 2u;
                visited++;
            }
    ok = ok && !conv_walk_next(&p) && !conv_walk_next(&p);
    CHECK_MSG(ok,
              "batch %" PRId32 ", steps %" PRId32 "x%" PRId32 ", image %" PRId32 "x%" PRId32
              ", filter %" PRId32 "x%" PRId32 ", stride %" PRId32 ",%" PRId32
              ", dilation %" PRId32 ",%" PRId32 ", pads %" PRId32 ",%" PRId32
              ": wrong at placement %" PRId64,
              batch, steps_h, steps_w, size_h, size_w, filter_h, filter_w, w.stride_h,
              w.stride_w, w.dilation_h, w.dilation_w, w.pad_top, w.pad_left, visited);
}

int main(void) {
    uint32_t state = 0x2545F491u;
    for (int i = 0; i < 2000; i++)
        check_walk(&state);
    return test_report("test_conv_window");
}
