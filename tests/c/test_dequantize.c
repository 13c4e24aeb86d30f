/* DEQUANTIZE: float16 -> float32 on all 65536 half values against a reference built from
   ldexp (arithmetic, not bit moves), per-channel int8 against the formula, and weights
   dequantized at prepare: outside the arena, computed once, read by the float ops. The
   Python tests compare the same kernel with numpy's float16 conversion. */
#include <math.h>

#include "emberlite.h"
#include "test_util.h"

/* The value of half `h` from its fields: (-1)^s * m * 2^(e - 25) for normal numbers (m with its
   implicit bit), m * 2^-24 for subnormals. */
static float half_reference(uint16_t h) {
    const int sign = h >> 15, exponent = (h >> 10) & 0x1f, mantissa = h & 0x3ff;
    double v;
    if (exponent == 0x1f)
        v = mantissa ? NAN : INFINITY;
    else if (exponent == 0)
        v = ldexp((double)mantissa, -24);
    else
        v = ldexp((double)(mantissa + 1024), exponent - 25);
    return (float)(sign ? -v : v);
}

static uint32_t bits_of(float f) {
    uint32_t b;
    memcpy(&b, &f, sizeof b);
    return b;
}

static ember_interp *open_model(const char *dir, const char *name, uint8_t **file) {
    size_t size;
    *file = test_read_file(dir, name, &size);
    ember_interp *ip = NULL;
    if (*file == NULL)
        return NULL;
    CHECK(ember_interp_create(*file, size, NULL, &ip) == EMBER_STATUS_OK);
    CHECK_MSG(ember_interp_allocate(ip) == EMBER_STATUS_OK, "%s: %s", name, ember_errmsg(ip));
    return ip;
}

static void test_float16_exhaustive(const char *dir) {
    uint8_t *file;
    ember_interp *ip = open_model(dir, "op_dequantize_f16.ember", &file);
    if (ip == NULL)
        return;
    const uint32_t x = (uint32_t)ember_interp_input_tensor(ip, 0);
    const uint32_t y = (uint32_t)ember_interp_output_tensor(ip, 0);
    uint16_t *in = ember_interp_tensor_data(ip, x);
    const float *out = ember_interp_tensor_data(ip, y);
    int wrong = 0, nans = 0;
    for (uint32_t start = 0; start < 65536; start += 4096) {
        for (uint32_t i = 0; i < 4096; i++)
            in[i] = (uint16_t)(start + i);
        CHECK(ember_interp_invoke(ip) == EMBER_STATUS_OK);
        for (uint32_t i = 0; i < 4096; i++) {
            const uint16_t h = (uint16_t)(start + i);
            const float want = half_reference(h);
            if (isnan(want)) {
                /* A NaN keeps its sign and payload (the mantissa's bits, shifted up). */
                const uint32_t b = bits_of(out[i]);
                nans++;
                wrong += !(isnan(out[i]) && (b >> 31) == (uint32_t)(h >> 15) &&
                           ((b >> 13) & 0x3ffu) == (h & 0x3ffu) && (b & 0x1fffu) == 0);
            } else {
                wrong += bits_of(out[i]) != bits_of(want);
            }
        }
    }
    CHECK_MSG(wrong == 0, "%d of 65536 half values convert wrongly", wrong);
    CHECK(nans == 2 * 1023);
    ember_interp_destroy(ip);
    free(file);
}

static void test_int8_per_channel(const char *dir) {
    uint8_t *file;
    ember_interp *ip = open_model(dir, "op_dequantize_i8_channel.ember", &file);
    if (ip == NULL)
        return;
    const uint32_t x = (uint32_t)ember_interp_input_tensor(ip, 0);
    ember_tensor_info info;
    CHECK(ember_interp_tensor_info(ip, x, &info) == EMBER_STATUS_OK);
    CHECK(info.quant_count == 3 && info.quant_axis == 1 && info.rank == 3);
    float scales[3];
    int64_t zero_points[3];
    CHECK(ember_interp_tensor_quant(ip, x, scales, zero_points, 3) == 3);
    int8_t *in = ember_interp_tensor_data(ip, x);
    for (int i = 0; i < 24; i++)
        in[i] = (int8_t)(i * 11 - 128);
    CHECK(ember_interp_invoke(ip) == EMBER_STATUS_OK);
    const float *out = ember_interp_tensor_data(ip, (uint32_t)ember_interp_output_tensor(ip, 0));
    int wrong = 0;
    for (int i = 0; i < 24; i++) {
        const int c = i / 4 % 3; /* [2, 3, 4]: the channel is the middle index */
        wrong += out[i] != scales[c] * (float)(in[i] - (int32_t)zero_points[c]);
    }
    CHECK_MSG(wrong == 0, "%d of 24 per-channel values wrong", wrong);
    ember_interp_destroy(ip);
    free(file);
}

static uint32_t tensor_named(ember_interp *ip, const char *name) {
    for (uint32_t t = 0; t < ember_interp_tensor_count(ip); t++) {
        ember_tensor_info info;
        if (ember_interp_tensor_info(ip, t, &info) == EMBER_STATUS_OK &&
            strcmp(info.name, name) == 0)
            return t;
    }
    CHECK_MSG(0, "no tensor '%s'", name);
    return 0;
}

/* Prepared weights: is_constant 2, memory outside the arena and the file, values from the
   stored constant (int8 per output channel, float16). The arena is the caller's, so where it
   lies is known. */
static void test_prepared_weights(const char *dir) {
    size_t size;
    uint8_t *file = test_read_file(dir, "dequantized_weights.ember", &size);
    ember_interp *ip = NULL;
    if (file == NULL)
        return;
    /* The reference kernels ask for no scratch, so the arena is the planned tensors alone. */
    ember_options reference;
    ember_options_init(&reference);
    reference.isa_mask = EMBER_ISA_NONE;
    CHECK(ember_interp_create(file, size, &reference, &ip) == EMBER_STATUS_OK);
    CHECK(ember_interp_allocate(ip) == EMBER_STATUS_OK);
    const size_t planned = ember_interp_arena_size(ip);
    ember_interp_destroy(ip);
    /* x, conv and flat (which aliases conv) and y: the float weights take no arena space */
    CHECK_MSG(planned == 64 * ((108 * 4 + 63) / 64 + (144 * 4 + 63) / 64 + 1), "arena %zu",
              planned);
    /* The optimised kernels may add scratch (a small-Cin convolution gathers its rows there). */
    CHECK(ember_interp_create(file, size, NULL, &ip) == EMBER_STATUS_OK);
    CHECK(ember_interp_allocate(ip) == EMBER_STATUS_OK);
    const size_t need = ember_interp_arena_size(ip);
    ember_interp_destroy(ip);
    CHECK_MSG(need >= planned, "arena %zu, planned part %zu", need, planned);
    uint8_t *arena = aligned_alloc(64, need);
    ember_options o;
    ember_options_init(&o);
    o.arena = arena;
    o.arena_size = need;
    CHECK(ember_interp_create(file, size, &o, &ip) == EMBER_STATUS_OK);
    CHECK_MSG(ember_interp_allocate(ip) == EMBER_STATUS_OK, "%s", ember_errmsg(ip));
    const uint32_t w = tensor_named(ip, "conv.w"), wq = tensor_named(ip, "conv.w.i8");
    const uint32_t fc = tensor_named(ip, "fc.w"), fq = tensor_named(ip, "fc.w.f16");
    ember_tensor_info info;
    CHECK(ember_interp_tensor_info(ip, w, &info) == EMBER_STATUS_OK && info.is_constant == 2);
    CHECK(ember_interp_tensor_info(ip, wq, &info) == EMBER_STATUS_OK && info.is_constant == 1);
    const float *wf = ember_interp_tensor_data(ip, w);
    const int8_t *q = ember_interp_tensor_data(ip, wq);
    const uint8_t *wb = (const uint8_t *)wf;
    CHECK(wf != NULL && (wb + 4 * 108 <= file || wb >= file + size));
    CHECK(wb + 4 * 108 <= arena || wb >= arena + need);
    float scales[4];
    CHECK(ember_interp_tensor_quant(ip, wq, scales, NULL, 4) == 4);
    int wrong = 0;
    for (int i = 0; i < 108; i++) /* [4, 3, 3, 3], channel = i / 27 */
        wrong += wf[i] != scales[i / 27] * (float)q[i];
    const float *fcf = ember_interp_tensor_data(ip, fc);
    const uint16_t *fch = ember_interp_tensor_data(ip, fq);
    for (int i = 0; i < 5 * 144; i++)
        wrong += bits_of(fcf[i]) != bits_of(half_reference(fch[i]));
    CHECK_MSG(wrong == 0, "%d dequantized weights wrong", wrong);

    /* Invoke leaves the prepared weights as they are and gives the same result each time. */
    float *x = ember_interp_tensor_data(ip, (uint32_t)ember_interp_input_tensor(ip, 0));
    for (int i = 0; i < 108; i++)
        x[i] = (float)(i % 13) * 0.125f - 0.75f;
    const float *y = ember_interp_tensor_data(ip, (uint32_t)ember_interp_output_tensor(ip, 0));
    float first[5];
    CHECK(ember_interp_invoke(ip) == EMBER_STATUS_OK);
    memcpy(first, y, sizeof first);
    CHECK(ember_interp_invoke(ip) == EMBER_STATUS_OK);
    CHECK(memcmp(first, y, sizeof first) == 0);
    CHECK(wf[5] == scales[0] * (float)q[5]);
    ember_interp_destroy(ip);
    free(arena);
    free(file);
}

int main(int argc, char **argv) {
    const char *dir = argc > 1 ? argv[1] : "build/models";
    test_float16_exhaustive(dir);
    test_int8_per_channel(dir);
    test_prepared_weights(dir);
    return test_report("test_dequantize");
}
