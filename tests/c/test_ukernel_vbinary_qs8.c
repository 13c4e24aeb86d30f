/* The int8 element-wise microkernels, every configuration this CPU runs: ADD and MUL
   (ukernels/vbinary_qs8.h) byte for byte against LiteRT's reference arithmetic written here
   with ember_multiply_by_quantized_multiplier and ember_requantize_i8 (kernels/fixed_point.h),
   in both forms (vv, vs) and with the operands swapped, over every length 0..70 at odd
   addresses, in place, with a guard after the output; zero points -128, 127 or random, input
   values with -128 and 127, multipliers of ratios spanning 1e-6..64 (MUL's left shifts; ADD's
   output ratio up to 1, no shift at all) and
   every input byte pair once. The table lookup (ukernels/vunary_qs8.h) against table[x] on
   every byte, every length 0..100, in place. NEON runs under qemu (make cross-test). */
#include <math.h>

#include "ember_internal.h"
#include "kernels/fixed_point.h"
#include "test_util.h"
#include "ukernels/vbinary_qs8.h"
#include "ukernels/vunary_qs8.h"

#define MAX_N 70
#define PAD 8
#define GUARD 0x5A

static uint32_t rng_state = 0x9e3779b9u;

static uint32_t rng(void) {
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 17;
    rng_state ^= rng_state << 5;
    return rng_state;
}

static int8_t rand_i8(void) {
    const uint32_t r = rng() % 8;
    return r == 0 ? -128 : r == 1 ? 127 : (int8_t)(rng() & 0xff);
}

static int32_t rand_zp(void) {
    const uint32_t r = rng() % 3;
    return r == 0 ? -128 : r == 1 ? 127 : (int32_t)(int8_t)(rng() & 0xff);
}

/* log-uniform in [lo, hi] */
static double rand_log(double lo, double hi) {
    const double u = (double)(rng() % 100001) / 100000.0;
    return lo * pow(hi / lo, u);
}

/* LiteRT's parameters of one ADD or MUL node and its clamp. */
typedef struct qnode {
    int32_t a_zp, b_zp, out_zp, qmin, qmax;
    int32_t a_mult, a_shift, b_mult, b_shift, mult, shift;
} qnode;

static void rand_clamp(qnode *q) {
    q->out_zp = rand_zp();
    q->qmin = rng() % 2 ? -128 : (int32_t)(rng() % 100) - 100;
    q->qmax = rng() % 2 ? 127 : q->qmin + (int32_t)(rng() % 120);
}

static int8_t add_ref(const qnode *q, int8_t a, int8_t b) {
    const int32_t ra = ember_multiply_by_quantized_multiplier((a - q->a_zp) * (1 << 20),
                                                              q->a_mult, q->a_shift);
    const int32_t rb = ember_multiply_by_quantized_multiplier((b - q->b_zp) * (1 << 20),
                                                              q->b_mult, q->b_shift);
    return (int8_t)ember_requantize_i8(ra + rb, q->mult, q->shift, q->out_zp, q->qmin, q->qmax);
}

static int8_t mul_ref(const qnode *q, int8_t a, int8_t b) {
    return (int8_t)ember_requantize_i8((a - q->a_zp) * (b - q->b_zp), q->mult, q->shift,
                                       q->out_zp, q->qmin, q->qmax);
}

/* A random ADD node as LiteRT derives it: both inputs on 2 x the larger scale, the output
   ratio below 1. */
static bool rand_add(qnode *q, ember_vbinary_qs8_params *p) {
    /* One in four: an output ratio in (1/2, 1), so no right shift at all, with b's scale
       1e-7..1e-5 of a's so that sums from a at its zero point stay unclamped. */
    const bool no_shift = rng() % 4 == 0;
    const double s_a = rand_log(1e-4, 1.0);
    const double s_b = no_shift ? s_a * rand_log(1e-7, 1e-5) : rand_log(1e-4, 1.0);
    const double twice_max = 2.0 * (s_a > s_b ? s_a : s_b);
    const double s_out = no_shift ? twice_max / 1048576.0 * rand_log(1.0, 1.99)
                                  : twice_max / 2.0 * rand_log(1e-2, 1e2);
    q->a_zp = rand_zp();
    q->b_zp = rand_zp();
    rand_clamp(q);
    ember_quantize_multiplier(s_a / twice_max, &q->a_mult, &q->a_shift);
    ember_quantize_multiplier(s_b / twice_max, &q->b_mult, &q->b_shift);
    ember_quantize_multiplier(twice_max / (1048576.0 * s_out), &q->mult, &q->shift);
    const ember_qs8_params out = {q->out_zp, q->qmin, q->qmax};
    return ember_vbinary_qs8_add_params(q->a_zp, q->a_mult, q->a_shift, q->b_zp, q->b_mult,
                                        q->b_shift, q->mult, q->shift, &out, p);
}

static bool rand_mul(qnode *q, ember_vbinary_qs8_params *p) {
    q->a_zp = rand_zp();
    q->b_zp = rand_zp();
    rand_clamp(q);
    ember_quantize_multiplier(rand_log(1e-6, 64.0), &q->mult, &q->shift);
    const ember_qs8_params out = {q->out_zp, q->qmin, q->qmax};
    return ember_vbinary_qs8_mul_params(q->a_zp, q->b_zp, q->mult, q->shift, &out, p);
}

/* One call of `fn` on n outputs at odd addresses (vs: b is one value), in place when asked,
   against `ref` per element. */
static void check_call(const char *name, ember_vbinary_qs8_fn fn, bool vs, bool swapped,
                       bool in_place, size_t n, const qnode *q,
                       const ember_vbinary_qs8_params *p, int8_t (*ref)(const qnode *, int8_t,
                                                                         int8_t)) {
    int8_t a_buf[MAX_N + PAD + 1], b_buf[MAX_N + PAD + 1], o_buf[MAX_N + PAD + 1];
    int8_t *a = a_buf + 1, *b = b_buf + 1;
    for (size_t i = 0; i < MAX_N; i++) {
        a[i] = rand_i8();
        b[i] = rand_i8();
    }
    int8_t want[MAX_N];
    for (size_t i = 0; i < n; i++) {
        const int8_t x = a[i], y = vs ? b[0] : b[i];
        want[i] = swapped ? ref(q, y, x) : ref(q, x, y);
    }
    int8_t *out = in_place ? a : o_buf + 1;
    memset(out + n, GUARD, PAD);
    fn(n, a, b, out, p);
    bool same = true, guard = true;
    for (size_t i = 0; i < n; i++)
        same = same && out[i] == want[i];
    for (size_t i = n; i < n + PAD; i++)
        guard = guard && out[i] == (int8_t)GUARD;
    CHECK_MSG(same && guard, "%s %s%s%s n=%zu%s", name, vs ? "vs" : "vv",
              swapped ? " swapped" : "", in_place ? " in place" : "", n,
              same ? " (guard overwritten)" : "");
}

static void check_op(ember_vbinary_op op, bool (*rand_node)(qnode *, ember_vbinary_qs8_params *),
                     int8_t (*ref)(const qnode *, int8_t, int8_t), uint32_t features) {
    size_t count = 0;
    const ember_vbinary_qs8_ops *configs = ember_vbinary_qs8_configs(op, &count);
    CHECK(configs != NULL && count >= 1 && configs[count - 1].isa == EMBER_ISA_NONE);
    for (size_t c = 0; c < count; c++) {
        const ember_vbinary_qs8_ops *k = &configs[c];
        if ((k->isa & ~features) != 0)
            continue;
        for (size_t n = 0; n <= MAX_N; n++) {
            qnode q;
            ember_vbinary_qs8_params p, s;
            if (!rand_node(&q, &p))
                continue;
            ember_vbinary_qs8_swap(&p, &s);
            qnode qs = q; /* the reference of the swapped call takes the operands back */
            check_call(k->name, k->vv, false, false, n % 3 == 0, n, &q, &p, ref);
            check_call(k->name, k->vs, true, false, n % 3 == 1, n, &q, &p, ref);
            check_call(k->name, k->vs, true, true, false, n, &qs, &s, ref);
        }
        /* every pair of input bytes once, one random node */
        qnode q;
        ember_vbinary_qs8_params p;
        while (!rand_node(&q, &p)) {
        }
        static int8_t a[65536], b[65536], out[65536];
        for (size_t i = 0; i < 65536; i++) {
            a[i] = (int8_t)(i >> 8);
            b[i] = (int8_t)i;
        }
        k->vv(65536, a, b, out, &p);
        size_t bad = 0;
        for (size_t i = 0; i < 65536; i++)
            bad += out[i] != ref(&q, a[i], b[i]);
        CHECK_MSG(bad == 0, "%s: %zu of 65536 input pairs differ", k->name, bad);
    }
}

static void test_lookup(uint32_t features) {
    size_t count = 0;
    const ember_vlut_qs8_config *configs = ember_vlut_qs8_configs(&count);
    CHECK(count >= 1 && configs[count - 1].isa == EMBER_ISA_NONE);
    int8_t table[256];
    for (size_t i = 0; i < 256; i++)
        table[i] = (int8_t)(rng() & 0xff);
    for (size_t c = 0; c < count; c++) {
        if ((configs[c].isa & ~features) != 0)
            continue;
        int8_t in[256 + 1], out[256 + PAD + 1];
        for (size_t i = 0; i < 256; i++)
            in[i + 1] = (int8_t)i;
        memset(out, GUARD, sizeof out);
        configs[c].fn(256, in + 1, out + 1, table);
        bool same = out[257] == (int8_t)GUARD;
        for (size_t i = 0; i < 256; i++)
            same = same && out[i + 1] == table[i];
        CHECK_MSG(same, "%s: every byte", configs[c].name);
        for (size_t n = 0; n <= 100; n++) {
            int8_t x[100 + PAD + 1], want[100];
            for (size_t i = 0; i < n; i++) {
                x[i + 1] = rand_i8();
                want[i] = table[(uint8_t)x[i + 1]];
            }
            memset(x + 1 + n, GUARD, PAD);
            configs[c].fn(n, x + 1, x + 1, table); /* in place */
            bool ok = true;
            for (size_t i = 0; i < n; i++)
                ok = ok && x[i + 1] == want[i];
            for (size_t i = n; i < n + PAD; i++)
                ok = ok && x[i + 1] == (int8_t)GUARD;
            CHECK_MSG(ok, "%s: in place n=%zu", configs[c].name, n);
        }
    }
}

int main(void) {
    const uint32_t features = ember_detect_cpu_features();
    check_op(EMBER_VBINARY_ADD, rand_add, add_ref, features);
    check_op(EMBER_VBINARY_MUL, rand_mul, mul_ref, features);
    test_lookup(features);
    return test_report("test_ukernel_vbinary_qs8");
}
