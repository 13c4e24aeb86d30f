/* Every float32 GEMM/IGEMM microkernel configuration this CPU runs (ember_gemm_f32_configs),
   against a double-precision triple loop, on random shapes that cover every tail: each mr from 1
   to the tile's MR, nc 1..50 (1..100 for one row; partial panels), kc 1..70, strides past the
   row lengths, clamp on and off, IGEMM with 1..9 taps and padding (EMBER_IND_ZERO) taps. Buffers
   are allocated to their exact size (ASan catches a read past them) and the output rows carry
   guard values that must survive. Tolerance: 1e-5 x sum |a*b| per output, plus a tiny absolute
   floor. */
#include <math.h>

#include "emberlite.h"
#include "test_util.h"
#include "ukernels/gemm.h"

static uint32_t rng_state = 0x9e3779b9u;

static uint32_t rng(void) {
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 17;
    rng_state ^= rng_state << 5;
    return rng_state;
}

static size_t rand_in(size_t lo, size_t hi) {
    return lo + rng() % (hi - lo + 1);
}

static float rand_float(void) {
    return (float)(rng() % 20001) / 10000.0f - 1.0f;
}

static float *random_floats(size_t n) {
    float *p = malloc((n ? n : 1) * sizeof(float));
    for (size_t i = 0; i < n && p != NULL; i++)
        p[i] = rand_float();
    return p;
}

static const float guard = 1234.5f;

/* A shape and its operands: A read through row starts (GEMM: rows of a; IGEMM: ks taps per row). */
typedef struct gemm_case {
    size_t mr, nc, kc, ks, c_stride;
    ember_minmax_f32 clamp;
    const float *w, *bias; /* w is [nc][ks * kc] */
} gemm_case;

/* Checks c (mr rows of c_stride, guards past nc) against the double loop; row_k(i, k) gives
   A's element (i, k) for k < ks * kc. */
static void check_output(const char *name, const gemm_case *t, const float *c,
                         float (*row_k)(const void *, size_t, size_t), const void *arg) {
    size_t bad = 0;
    const size_t k_all = t->ks * t->kc;
    for (size_t i = 0; i < t->mr; i++) {
        for (size_t j = 0; j < t->c_stride; j++) {
            const float got = c[i * t->c_stride + j];
            if (j >= t->nc) {
                bad += got != guard;
                continue;
            }
            double sum = t->bias[j], mag = fabs(t->bias[j]);
            for (size_t k = 0; k < k_all; k++) {
                const double p = (double)row_k(arg, i, k) * t->w[j * k_all + k];
                sum += p;
                mag += fabs(p);
            }
            sum = sum < t->clamp.min ? t->clamp.min : sum;
            sum = sum > t->clamp.max ? t->clamp.max : sum;
            bad += !(fabs(got - sum) <= 1e-5 * mag + 1e-6);
        }
    }
    CHECK_MSG(bad == 0, "%s: mr %zu nc %zu kc %zu ks %zu clamp [%g, %g]: %zu wrong outputs", name,
              t->mr, t->nc, t->kc, t->ks, t->clamp.min, t->clamp.max, bad);
}

static float *packed_weights(const gemm_case *t) {
    float *p = malloc(ember_gemm_f32_packed_count(t->nc, t->ks * t->kc) * sizeof(float));
    if (p != NULL)
        ember_pack_gemm_f32_nk(t->nc, t->ks * t->kc, t->w, t->bias, p);
    return p;
}

static float *guarded_output(const gemm_case *t) {
    float *c = malloc(t->mr * t->c_stride * sizeof(float));
    for (size_t i = 0; c != NULL && i < t->mr * t->c_stride; i++)
        c[i] = guard;
    return c;
}

static void random_case(gemm_case *t, size_t mr, size_t ks, size_t max_kc) {
    t->mr = mr;
    t->ks = ks;
    t->nc = rand_in(1, mr == 1 ? 100 : 50); /* one row: kernels may take 4 panels at a time */
    t->kc = rand_in(1, max_kc);
    t->c_stride = t->nc + rand_in(0, 5);
    const bool clamped = rng() % 2;
    t->clamp.min = clamped ? -0.5f * rand_float() - 0.5f : -INFINITY;
    t->clamp.max = clamped ? 0.5f * rand_float() + 0.5f : INFINITY;
    t->w = random_floats(t->nc * ks * t->kc);
    t->bias = random_floats(t->nc);
}

typedef struct gemm_rows {
    const float *a;
    size_t a_stride;
} gemm_rows;

static float gemm_row_k(const void *arg, size_t i, size_t k) {
    const gemm_rows *r = arg;
    return r->a[i * r->a_stride + k];
}

static void check_gemm(const ember_gemm_f32_config *cfg, size_t mr) {
    gemm_case t;
    random_case(&t, mr, 1, 70);
    gemm_rows r = { NULL, t.kc + rand_in(0, 4) };
    float *a = random_floats((mr - 1) * r.a_stride + t.kc);
    float *packed = packed_weights(&t), *c = guarded_output(&t);
    r.a = a;
    if (a != NULL && packed != NULL && c != NULL) {
        cfg->gemm(mr, t.nc, t.kc, a, r.a_stride, packed, c, t.c_stride, &t.clamp);
        check_output(cfg->name, &t, c, gemm_row_k, &r);
    }
    free(a), free(packed), free(c), free((void *)t.w), free((void *)t.bias);
}

typedef struct igemm_rows {
    const float *a, *zero;
    const size_t *ind;
    size_t ks, kc;
} igemm_rows;

static float igemm_row_k(const void *arg, size_t i, size_t k) {
    const igemm_rows *r = arg;
    const size_t at = r->ind[i * r->ks + k / r->kc];
    return at == EMBER_IND_ZERO ? 0.0f : r->a[at + k % r->kc];
}

static void check_igemm(const ember_gemm_f32_config *cfg, size_t mr) {
    gemm_case t;
    random_case(&t, mr, rand_in(1, 9), 40);
    /* Taps read kc floats at any offset of a small input; about one in five is padding. */
    const size_t a_count = t.kc + rand_in(0, 60);
    float *a = random_floats(a_count), *zero = calloc(t.kc, sizeof(float));
    size_t *ind = malloc(mr * t.ks * sizeof(size_t));
    for (size_t i = 0; ind != NULL && i < mr * t.ks; i++)
        ind[i] = rng() % 5 == 0 ? EMBER_IND_ZERO : rand_in(0, a_count - t.kc);
    float *packed = packed_weights(&t), *c = guarded_output(&t);
    igemm_rows r = { a, zero, ind, t.ks, t.kc };
    if (a != NULL && zero != NULL && ind != NULL && packed != NULL && c != NULL) {
        cfg->igemm(mr, t.nc, t.kc, t.ks, ind, a, zero, packed, c, t.c_stride, &t.clamp);
        check_output(cfg->name, &t, c, igemm_row_k, &r);
    }
    free(a), free(zero), free(ind), free(packed), free(c);
    free((void *)t.w), free((void *)t.bias);
}

int main(void) {
    const uint32_t features = ember_detect_cpu_features();
    size_t count = 0;
    const ember_gemm_f32_config *cfgs = ember_gemm_f32_configs(&count);
    size_t tested = 0;
    for (size_t n = 0; n < count; n++) {
        const ember_gemm_f32_config *cfg = &cfgs[n];
        if ((cfg->isa & features) != cfg->isa) {
            printf("%s: skipped, this CPU lacks ISA 0x%x\n", cfg->name, (unsigned)cfg->isa);
            continue;
        }
        for (size_t rep = 0; rep < 6; rep++)
            for (size_t mr = 1; mr <= cfg->mr; mr++) {
                check_gemm(cfg, mr);
                check_igemm(cfg, mr);
            }
        tested++;
    }
    CHECK_MSG(tested >= 1, "no configuration ran");
    return test_report("test_ukernel_gemm");
}
