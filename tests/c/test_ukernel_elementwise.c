/* The float32 element-wise microkernels (csrc/ukernels/vbinary.h, vunary.h), every variant this
   CPU runs: binary and exact unary kernels bit for bit against plain loops written here, over
   every length 0..70 with unaligned pointers, in place, and with a guard after the output;
   sigmoid and tanh against double-precision libm over a fine sweep of [-20, 20] and every
   binade, their largest relative error measured and held to the bound vunary.h states. */
#include <math.h>

#include "test_util.h"
#include "ukernels/vbinary.h"
#include "ukernels/vunary.h"

#define MAX_N 70
#define PAD 4       /* floats of guard after each output */
#define GUARD 1234.5f

static bool cpu_has(uint32_t isa) {
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
    if ((isa & EMBER_ISA_AVX2) &&
        !(__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")))
        return false;
    if ((isa & EMBER_ISA_AVX512F) && !__builtin_cpu_supports("avx512f"))
        return false;
    return (isa & ~(EMBER_ISA_AVX2 | EMBER_ISA_AVX512F)) == 0;
#elif EMBER_HAVE_NEON
    return (isa & ~EMBER_ISA_NEON) == 0; /* the cross builds run on NEON CPUs */
#else
    return isa == EMBER_ISA_NONE;
#endif
}

static uint32_t rng_state = 12345u;
static uint32_t rng(void) {
    rng_state = rng_state * 1664525u + 1013904223u;
    return rng_state >> 8;
}

/* Mostly values in [-8, 8), with zeros of both signs, infinities and NaN sprinkled in. */
static float draw(void) {
    const uint32_t r = rng() % 64;
    if (r == 0)
        return -0.0f;
    if (r == 1)
        return 0.0f;
    if (r == 2)
        return INFINITY;
    if (r == 3)
        return -INFINITY;
    if (r == 4)
        return NAN;
    return (float)(rng() % 65536) / 4096.0f - 8.0f;
}

static bool same(float x, float y) {
    if (isnan(x) || isnan(y))
        return isnan(x) && isnan(y);
    uint32_t ux, uy;
    memcpy(&ux, &x, 4);
    memcpy(&uy, &y, 4);
    return ux == uy;
}

/* The reference arithmetic of each op (kernels/<op>.c's rows). */
static float ref_binary(ember_vbinary_op op, float x, float y, float lo, float hi) {
    switch (op) {
    case EMBER_VBINARY_ADD:
        return ember_clamp_f32(x + y, lo, hi);
    case EMBER_VBINARY_SUB:
        return ember_clamp_f32(x - y, lo, hi);
    case EMBER_VBINARY_MUL:
        return ember_clamp_f32(x * y, lo, hi);
    case EMBER_VBINARY_DIV:
        return ember_clamp_f32(x / y, lo, hi);
    case EMBER_VBINARY_MAXIMUM:
        return y > x ? y : x;
    case EMBER_VBINARY_MINIMUM:
        return y < x ? y : x;
    default:
        return x < 0.0f ? y * x : x;
    }
}

/* form 0: vv, 1: vs, 2: sv; `inplace` writes over a (b for sv). */
static void check_binary_case(ember_vbinary_op op, const ember_vbinary_f32_ops *c, int form,
                              size_t n, size_t skew, bool inplace) {
    float abuf[MAX_N + 1 + PAD], bbuf[MAX_N + 1 + PAD], obuf[MAX_N + 1 + PAD];
    float want[MAX_N];
    const ember_minmax_f32 clamp = {-6.5f, 5.25f};
    const ember_minmax_f32 none = {-INFINITY, INFINITY};
    const bool has_clamp = op <= EMBER_VBINARY_DIV;
    const ember_minmax_f32 *cl = has_clamp ? &clamp : &none;
    float *a = abuf + skew, *b = bbuf + skew, *out = obuf + skew;
    for (size_t i = 0; i < MAX_N + PAD; i++) {
        a[i] = draw();
        b[i] = draw();
        out[i] = GUARD;
    }
    for (size_t i = 0; i < n; i++)
        want[i] = ref_binary(op, form == 2 ? a[0] : a[i], form == 1 ? b[0] : b[i], cl->min,
                             cl->max);
    ember_vbinary_f32_fn fn = form == 0 ? c->vv : form == 1 ? c->vs : c->sv;
    if (inplace)
        out = form == 2 ? b : a;
    fn(n, a, b, out, cl);
    bool ok = true;
    for (size_t i = 0; i < n; i++)
        ok = ok && same(out[i], want[i]);
    for (size_t i = n; i < n + PAD && !inplace; i++)
        ok = ok && out[i] == GUARD;
    CHECK_MSG(ok, "%s form %d n %zu skew %zu inplace %d", c->name, form, n, skew, inplace);
}

static void test_binary(void) {
    for (int op = 0; op < EMBER_VBINARY_COUNT; op++) {
        size_t count = 0;
        const ember_vbinary_f32_ops *cs = ember_vbinary_f32_configs(op, &count);
        for (size_t k = 0; k < count; k++) {
            if (!cpu_has(cs[k].isa))
                continue;
            for (int form = 0; form < 3; form++) {
                if (form == 2 && cs[k].sv == NULL)
                    continue;
                for (size_t n = 0; n <= MAX_N; n++) {
                    check_binary_case(op, &cs[k], form, n, n % 2, false);
                    check_binary_case(op, &cs[k], form, n, 1 - n % 2, n % 3 == 0);
                }
            }
        }
    }
}

static float ref_unary(ember_vunary_op op, float x, const ember_unary_params *p) {
    switch (op) {
    case EMBER_VUNARY_CLAMP:
        return ember_clamp_f32(x, p->a, p->b);
    case EMBER_VUNARY_LEAKY_RELU:
        return x < 0.0f ? p->a * x : x;
    case EMBER_VUNARY_HARD_SWISH:
        return x * ember_clamp_f32(x + 3.0f, 0.0f, 6.0f) * (1.0f / 6.0f);
    default:
        return ember_clamp_f32(p->a * x + p->b, 0.0f, 1.0f);
    }
}

static void check_unary_exact(ember_vunary_op op, const ember_vunary_f32_config *c,
                              const ember_unary_params *p) {
    for (size_t n = 0; n <= MAX_N; n++) {
        float ibuf[MAX_N + 1 + PAD], obuf[MAX_N + 1 + PAD], want[MAX_N];
        const size_t skew = n % 2;
        float *in = ibuf + skew, *out = obuf + skew;
        for (size_t i = 0; i < MAX_N + PAD; i++) {
            in[i] = draw();
            out[i] = GUARD;
        }
        for (size_t i = 0; i < n; i++)
            want[i] = ref_unary(op, in[i], p);
        const bool inplace = n % 3 == 0;
        if (inplace)
            out = in;
        c->fn(in, out, n, p);
        bool ok = true;
        for (size_t i = 0; i < n; i++)
            ok = ok && same(out[i], want[i]);
        for (size_t i = n; i < n + PAD && !inplace; i++)
            ok = ok && out[i] == GUARD;
        CHECK_MSG(ok, "%s n %zu p {%g, %g}", c->name, n, (double)p->a, (double)p->b);
    }
}

static void test_unary_exact(void) {
    static const struct {
        ember_vunary_op op;
        ember_unary_params p;
    } cases[] = {
        {EMBER_VUNARY_CLAMP, {0.0f, INFINITY}},         /* relu */
        {EMBER_VUNARY_CLAMP, {0.0f, 6.0f}},             /* relu6 */
        {EMBER_VUNARY_CLAMP, {-1.5f, 2.25f}},
        {EMBER_VUNARY_CLAMP, {3.0f, -1.0f}},            /* min > max gives max */
        {EMBER_VUNARY_LEAKY_RELU, {0.1f, 0.0f}},
        {EMBER_VUNARY_LEAKY_RELU, {-0.3f, 0.0f}},
        {EMBER_VUNARY_HARD_SWISH, {0.0f, 0.0f}},
        {EMBER_VUNARY_HARD_SIGMOID, {0.2f, 0.5f}},
        {EMBER_VUNARY_HARD_SIGMOID, {-0.1666667f, 0.25f}},
    };
    for (size_t t = 0; t < sizeof cases / sizeof cases[0]; t++) {
        size_t count = 0;
        const ember_vunary_f32_config *cs = ember_vunary_f32_configs(cases[t].op, &count);
        for (size_t k = 0; k < count; k++)
            if (cpu_has(cs[k].isa))
                check_unary_exact(cases[t].op, &cs[k], &cases[t].p);
    }
}

static double exact(ember_vunary_op op, float x) {
    return op == EMBER_VUNARY_SIGMOID ? 1.0 / (1.0 + exp(-(double)x)) : tanh((double)x);
}

#define SWEEP_BLOCK 1024

struct err {
    double max_rel; /* over outputs >= FLT_MIN */
    double max_abs_tiny; /* below FLT_MIN: sigmoid's flushed subnormals */
    bool bad_special;
    float bad_x, bad_y; /* the last special input that failed, and its output */
};

static void measure_block(ember_vunary_op op, const ember_vunary_f32_config *c,
                          const float *x, size_t n, struct err *e) {
    float y[SWEEP_BLOCK + 1];
    const ember_unary_params p = {0.0f, 0.0f};
    c->fn(x, y + 1, n, &p); /* unaligned output */
    for (size_t i = 0; i < n; i++) {
        const double want = exact(op, x[i]);
        const double got = y[i + 1];
        if (isnan(x[i]) || isinf(x[i]) || x[i] == 0.0f) {
            const bool neg_zero = x[i] == 0.0f && signbit(x[i]) != 0;
            const bool ok = isnan(x[i]) ? isnan(got)
                            : x[i] == 0.0f ? got == want && (op == EMBER_VUNARY_SIGMOID ||
                                                            (signbit(got) != 0) == neg_zero)
                                           : got == want;
            if (!ok) {
                e->bad_special = true;
                e->bad_x = x[i];
                e->bad_y = y[i + 1];
            }
            continue;
        }
        if (fabs(want) < 0x1p-126) {
            const double d = fabs(got - want);
            e->max_abs_tiny = d > e->max_abs_tiny ? d : e->max_abs_tiny;
            continue;
        }
        const double rel = fabs(got - want) / fabs(want);
        e->max_rel = rel > e->max_rel || isnan(rel) ? rel : e->max_rel;
    }
}

/* Every 1e-4 step of [-20, 20], then every binade 2^-149..2^127 of both signs at 64 mantissas,
   then the special values. */
static struct err measure(ember_vunary_op op, const ember_vunary_f32_config *c) {
    struct err e = {0.0, 0.0, false, 0.0f, 0.0f};
    float x[SWEEP_BLOCK];
    size_t n = 0;
    for (int32_t i = -200000; i <= 200000; i++) {
        x[n++] = (float)i * 1e-4f;
        if (n == SWEEP_BLOCK) {
            measure_block(op, c, x, n, &e);
            n = 0;
        }
    }
    for (int ex = -149; ex <= 127; ex++) {
        for (int m = 0; m < 64; m++) {
            const float v = ldexpf(1.0f + (float)m / 64.0f, ex);
            x[n++] = v;
            x[n++] = -v;
            if (n + 2 > SWEEP_BLOCK) {
                measure_block(op, c, x, n, &e);
                n = 0;
            }
        }
    }
    const float specials[] = {0.0f, -0.0f, INFINITY, -INFINITY, NAN, -NAN, 0x1p-149f, 87.0f,
                              -87.0f, -87.33f, -87.34f, 9.0109f, 9.010914f, -9.010914f};
    for (size_t i = 0; i < sizeof specials / sizeof specials[0]; i++)
        x[n++] = specials[i];
    measure_block(op, c, x, n, &e);
    return e;
}

static void test_approximations(void) {
    const ember_vunary_op ops[] = {EMBER_VUNARY_SIGMOID, EMBER_VUNARY_TANH};
    const double bound[] = {EMBER_VSIGMOID_MAX_REL_ERR, EMBER_VTANH_MAX_REL_ERR};
    for (size_t o = 0; o < 2; o++) {
        size_t count = 0;
        const ember_vunary_f32_config *cs = ember_vunary_f32_configs(ops[o], &count);
        for (size_t k = 0; k < count; k++) {
            if (!cpu_has(cs[k].isa))
                continue;
            const struct err e = measure(ops[o], &cs[k]);
            printf("%s: max relative error %.3g (bound %.3g), subnormal-range abs %.3g\n",
                   cs[k].name, e.max_rel, bound[o], e.max_abs_tiny);
            CHECK_MSG(e.max_rel <= bound[o], "%s: %g", cs[k].name, e.max_rel);
            CHECK_MSG(e.max_abs_tiny < 0x1p-126, "%s: %g", cs[k].name, e.max_abs_tiny);
            CHECK_MSG(!e.bad_special, "%s: f(%g) = %g", cs[k].name, (double)e.bad_x,
                      (double)e.bad_y);
        }
    }
}

/* Lengths 0..70 at both alignments against the double result, in place too. */
static void test_approximation_tails(void) {
    const ember_vunary_op ops[] = {EMBER_VUNARY_SIGMOID, EMBER_VUNARY_TANH};
    const double bound[] = {EMBER_VSIGMOID_MAX_REL_ERR, EMBER_VTANH_MAX_REL_ERR};
    for (size_t o = 0; o < 2; o++) {
        size_t count = 0;
        const ember_vunary_f32_config *cs = ember_vunary_f32_configs(ops[o], &count);
        for (size_t k = 0; k < count; k++) {
            if (!cpu_has(cs[k].isa))
                continue;
            for (size_t n = 0; n <= MAX_N; n++) {
                float ibuf[MAX_N + 1 + PAD], obuf[MAX_N + 1 + PAD], in[MAX_N];
                float *x = ibuf + n % 2, *out = obuf + 1 - n % 2;
                for (size_t i = 0; i < MAX_N + PAD; i++) {
                    x[i] = (float)(rng() % 65536) / 2048.0f - 16.0f;
                    out[i] = GUARD;
                }
                memcpy(in, x, sizeof in);
                const bool inplace = n % 3 == 0;
                if (inplace)
                    out = x;
                const ember_unary_params p = {0.0f, 0.0f};
                cs[k].fn(x, out, n, &p);
                bool ok = true;
                for (size_t i = 0; i < n; i++) {
                    const double want = exact(ops[o], in[i]);
                    ok = ok && fabs(out[i] - want) <= bound[o] * fabs(want) + 0x1p-126;
                }
                for (size_t i = n; i < n + PAD && !inplace; i++)
                    ok = ok && out[i] == GUARD;
                CHECK_MSG(ok, "%s n %zu", cs[k].name, n);
            }
        }
    }
}

int main(void) {
    test_binary();
    test_unary_exact();
    test_approximations();
    test_approximation_tails();
    return test_report("test_ukernel_elementwise");
}
