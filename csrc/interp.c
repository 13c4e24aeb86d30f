/* The interpreter: create (verify), allocate (prepare every node, bind the arena), invoke
   (eval every node in order), and the read-only accessors of emberlite.h. */
#include <string.h>

#if (defined(__x86_64__) || defined(__i386__)) && defined(__GNUC__)
#include <cpuid.h>
#endif
#if (defined(__aarch64__) || defined(__ARM_NEON)) && defined(__linux__)
#include <sys/auxv.h>
#endif

#include "interp.h"
#include "threadpool.h"

#if defined(EMBER_ASAN)
#include <sanitizer/asan_interface.h>
#endif

#define ARENA_ALIGNMENT 64


static ember_status finish(ember_interp *ip, ember_status status) {
    ip->status = status;
    return status;
}

static void begin(ember_interp *ip) {
    ip->msg[0] = '\0';
    ip->status = EMBER_STATUS_OK;
}

#if (defined(__x86_64__) || defined(__i386__)) && defined(__GNUC__)
static uint32_t detect_x86_features(void) {
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d))
        return 0;
    const unsigned fma = 1u << 12, osxsave = 1u << 27, avx = 1u << 28, f16c = 1u << 29;
    if ((c & (fma | osxsave | avx | f16c)) != (fma | osxsave | avx | f16c))
        return 0;
    /* The OS must save the register state on context switches: XCR0 bits 1-2 for SSE and
       AVX, bits 5-7 for AVX-512's mask and upper registers. */
    unsigned xcr0_lo, xcr0_hi;
    __asm__ volatile("xgetbv" : "=a"(xcr0_lo), "=d"(xcr0_hi) : "c"(0));
    (void)xcr0_hi;
    if ((xcr0_lo & 6u) != 6u || __get_cpuid_max(0, NULL) < 7)
        return 0;
    __cpuid_count(7, 0, a, b, c, d);
    if (!(b & (1u << 5)))
        return 0;
    const bool avx512f = (b & (1u << 16)) && (xcr0_lo & 0xe0u) == 0xe0u;
    const unsigned bw = 1u << 30, vl = 1u << 31, vnni = 1u << 11; /* ebx, ebx, ecx */
    const unsigned vbmi = 1u << 1; /* ecx */
    const bool avx512bwvl = avx512f && (b & (bw | vl)) == (bw | vl);
    return EMBER_ISA_AVX2 | (avx512f ? EMBER_ISA_AVX512F : 0) |
           (avx512bwvl && (c & vnni) ? EMBER_ISA_AVX512VNNI : 0) |
           (avx512bwvl && (c & vbmi) ? EMBER_ISA_AVX512VBMI : 0);
}

/* SHA-NI (cpuid leaf 7, ebx bit 29), with the SSSE3 and SSE4.1 its code also uses. Only SSE
   registers: independent of the AVX checks above. */
static uint32_t detect_x86_sha(void) {
    unsigned a, b, c, d;
    const unsigned ssse3 = 1u << 9, sse41 = 1u << 19;
    if (!__get_cpuid(1, &a, &b, &c, &d) || (c & (ssse3 | sse41)) != (ssse3 | sse41) ||
        __get_cpuid_max(0, NULL) < 7)
        return 0;
    __cpuid_count(7, 0, a, b, c, d);
    return (b & (1u << 29)) ? EMBER_ISA_SHA : 0;
}
#endif

#if defined(__aarch64__)
static uint32_t detect_aarch64_features(void) {
    uint32_t features = EMBER_ISA_NEON; /* asimd is part of every aarch64 Linux CPU */
#if defined(__linux__)
    const unsigned long hwcap = getauxval(AT_HWCAP), hwcap2 = getauxval(AT_HWCAP2);
    const unsigned long hwcap_asimdhp = 1ul << 10, hwcap_asimddp = 1ul << 20;
    const unsigned long hwcap2_i8mm = 1ul << 13, hwcap_sha2 = 1ul << 6;
    if (hwcap & hwcap_sha2)
        features |= EMBER_ISA_SHA;
    if (hwcap & hwcap_asimdhp)
        features |= EMBER_ISA_NEONFP16;
    if (hwcap & hwcap_asimddp)
        features |= EMBER_ISA_NEONDOT;
    if (hwcap2 & hwcap2_i8mm)
        features |= EMBER_ISA_NEONI8MM;
#endif
    return features;
}
#endif

uint32_t ember_detect_cpu_features(void) {
#if (defined(__x86_64__) || defined(__i386__)) && defined(__GNUC__)
    return detect_x86_features() | detect_x86_sha();
#elif defined(__aarch64__)
    return detect_aarch64_features();
#elif defined(__ARM_NEON) && defined(__linux__)
    const unsigned long hwcap_neon = 1ul << 12;
    return (getauxval(AT_HWCAP) & hwcap_neon) ? EMBER_ISA_NEON : 0;
#elif defined(__ARM_NEON)
    return EMBER_ISA_NEON; /* no OS to ask: built for NEON, so the CPU has it */
#elif EMBER_BARE_METAL
    uint32_t features = 0; /* no OS to ask either: built for the extension, so the CPU has it */
#if EMBER_HAVE_ARMDSP
    features |= EMBER_ISA_ARMDSP;
#endif
#if EMBER_HAVE_MVE
    features |= EMBER_ISA_MVE;
#endif
    return features;
#else
    return 0;
#endif
}

ember_status ember_interp_create(const void *data, size_t size, const ember_options *options,
                                 ember_interp **out) {
    if (out == NULL)
        return EMBER_STATUS_INVALID_ARGUMENT;
    *out = NULL;
    ember_options opts;
    if (options != NULL)
        opts = *options;
    else
        ember_options_init(&opts);
    const ember_allocator *a = opts.allocator ? opts.allocator : ember_default_allocator();
    if (a == NULL || a->alloc == NULL || a->free == NULL)
        return EMBER_STATUS_INVALID_ARGUMENT; /* (a bare-metal build has no default allocator) */
    ember_interp *ip = a->alloc(a->user, sizeof *ip, 16);
    if (ip == NULL)
        return EMBER_STATUS_NO_MEMORY;
    memset(ip, 0, sizeof *ip);
    ip->magic = EMBER_INTERP_MAGIC;
    ip->options = opts;
    if (ip->options.num_threads < 1)
        ip->options.num_threads = 1;
    ip->allocator = *a;
    ip->ctx.msg = ip->msg;
    ip->ctx.msg_size = sizeof ip->msg;
    ip->ctx.allocator = &ip->allocator;
    ip->ctx.cpu_features = ember_detect_cpu_features();
    ip->ctx.isa_mask = opts.isa_mask;
    *out = ip;
    ember_status st = ember_model_load(&ip->ctx, data, size, &opts, &ip->model);
    ip->verified = st == EMBER_STATUS_OK;
    ip->load_blocks = ip->ctx.blocks;
    return finish(ip, st);
}

void ember_interp_destroy(ember_interp *ip) {
    if (!ember_interp_live(ip))
        return;
    ember_delegates_release(ip);
    ember_threadpool_destroy(&ip->ctx);
    ember_free_all(&ip->ctx);
    ember_region_release(&ip->region);
    ip->magic = 0;
    ember_allocator a = ip->allocator;
    a.free(a.user, ip);
}

ember_status ember_model_verify(const void *data, size_t size, char *msg, size_t msg_size) {
    ember_interp *ip = NULL;
    ember_status st = ember_interp_create(data, size, NULL, &ip);
    if (msg != NULL && msg_size > 0) {
        const char *text = ip != NULL ? ember_errmsg(ip) : ember_status_str(st);
        size_t n = strlen(text) < msg_size - 1 ? strlen(text) : msg_size - 1;
        memcpy(msg, text, n);
        msg[n] = '\0';
    }
    ember_interp_destroy(ip);
    return st;
}

/* A node whose outputs hold no element never runs, so it needs nothing derived (strides,
   tables and scratch sized from the other dims, which may be 2^31 - 1, may not even fit).
   A constant computed at prepare still gets its memory, so that readers get a real pointer. */
static bool skips_prepare(const ember_context *ctx, const ember_node *n) {
    for (uint32_t k = 0; k < n->output_count; k++) {
        if (ctx->tensors[n->outputs[k]].is_prepared)
            return false;
    }
    return ember_outputs_empty(ctx, n);
}

ember_status ember_prepare_node(ember_interp *ip, uint32_t i) {
    ember_context *ctx = &ip->ctx;
    ember_node *n = &ip->model.nodes[i];
    ember_status st = n->kernel->prepare != NULL && !skips_prepare(ctx, n)
                          ? n->kernel->prepare(ctx, n)
                          : EMBER_STATUS_OK;
    if (st != EMBER_STATUS_OK && ip->msg[0] == '\0')
        ember_fail(ctx, st, "node %" PRIu32 " (%s '%s'): prepare failed: %s", i,
                   n->kernel->name, n->name, ember_status_str(st));
    return st;
}

/* Checks every node and prepares those the CPU runs (a delegate prepares its own). */
static ember_status prepare_nodes(ember_interp *ip) {
    ember_context *ctx = &ip->ctx;
    ctx->scratch_size = 0;
    ctx->scratch = NULL;
    for (uint32_t i = 0; i < ip->model.node_count; i++) {
        ember_node *n = &ip->model.nodes[i];
        /* Prepare reads the params from the model bytes again, which may have changed since
           create: they are checked again first. */
        ember_status st = n->kernel->check != NULL ? n->kernel->check(ctx, n) : EMBER_STATUS_OK;
        if (st != EMBER_STATUS_OK && ip->msg[0] == '\0')
            ember_fail(ctx, st, "node %" PRIu32 " (%s '%s'): prepare failed: %s", i,
                       n->kernel->name, n->name, ember_status_str(st));
        if (st == EMBER_STATUS_OK && ember_node_run(ip, i) < 0)
            st = ember_prepare_node(ip, i);
        if (st != EMBER_STATUS_OK)
            return st;
    }
    return EMBER_STATUS_OK;
}

static size_t round_up(size_t n) {
    return (n + ARENA_ALIGNMENT - 1) & ~(size_t)(ARENA_ALIGNMENT - 1);
}

static ember_status bind_arena(ember_interp *ip) {
    ember_context *ctx = &ip->ctx;
    const uint64_t planned = ip->model.arena_size;
    const size_t limit = SIZE_MAX - 2 * ARENA_ALIGNMENT;
    if (planned > limit || ctx->scratch_size > limit - (size_t)planned)
        return ember_fail(ctx, EMBER_STATUS_NO_MEMORY,
                          "the arena (%llu bytes planned + %zu scratch) does not fit in memory",
                          (unsigned long long)planned, ctx->scratch_size);
    const size_t rounded = round_up((size_t)planned);
    ip->arena_need = rounded + round_up(ctx->scratch_size);
    uint8_t *base = ip->options.arena;
    if (base != NULL) {
        if ((uintptr_t)base % ARENA_ALIGNMENT != 0)
            return ember_fail(ctx, EMBER_STATUS_INVALID_ARGUMENT,
                              "the caller's arena must be aligned to %d bytes (got %p)",
                              ARENA_ALIGNMENT, (void *)base);
        if (ip->options.arena_size < ip->arena_need)
            return ember_fail(ctx, EMBER_STATUS_ARENA_TOO_SMALL,
                              "arena holds %zu bytes, the model needs %zu (%zu planned + %zu "
                              "scratch)",
                              ip->options.arena_size, ip->arena_need, rounded,
                              ip->arena_need - rounded);
    } else {
        /* Not zeroed: the plan may leave gaps (the verifier bounds only its end), and pages no
           tensor touches should cost nothing. Kernels write every output byte before reading. */
        base = ember_alloc_uninit(ctx, ip->arena_need);
        if (base == NULL)
            return EMBER_STATUS_NO_MEMORY;
    }
    ip->arena = base;
    for (uint32_t i = 0; i < ip->model.tensor_count; i++) {
        ember_tensor *t = &ip->model.tensors[i];
        if (!t->is_constant)
            t->data = base + (size_t)t->arena_offset;
    }
    ctx->scratch = ctx->scratch_size > 0 ? base + rounded : NULL;
    return EMBER_STATUS_OK;
}

/* Constants plus arena from which the region takes huge pages: below it, 4 KiB faults cost
   under 2 ms, and a huge page would charge a small model up to 2 MiB it does not use. */
#define REGION_HUGE_MIN_BYTES ((uint64_t)8 << 20)

/* Under the default allocator, prepare and the arena take their memory from one region
   (csrc/region.h). Address space only: room for every constant packed twice over, the arena
   twice and 64 MiB of indirection buffers and tables; what does not fit goes to malloc. */
static void reserve_region(ember_interp *ip) {
    if (ip->options.allocator != NULL || ip->ctx.region != NULL)
        return;
    const uint64_t limit = SIZE_MAX / 8;
    uint64_t data = ip->model.arena_size < limit ? ip->model.arena_size : limit;
    for (uint32_t i = 0; i < ip->model.tensor_count && data < limit; i++) {
        const ember_tensor *t = &ip->model.tensors[i];
        if (t->is_constant)
            data += t->bytes < limit ? t->bytes : limit;
    }
    if (data >= limit)
        return; /* beyond any address space: malloc will say so */
    const bool huge = data >= REGION_HUGE_MIN_BYTES;
    if (ember_region_reserve(&ip->region, (size_t)(2 * data) + ((size_t)64 << 20), huge))
        ip->ctx.region = &ip->region;
}

/* What an earlier allocate prepared is dropped: the nodes prepare again for new shapes. */
static void release_prepared(ember_interp *ip) {
    ember_delegates_release(ip);
    ember_free_since(&ip->ctx, ip->load_blocks);
    ember_region_release(&ip->region);
    ip->ctx.region = NULL;
    ip->arena = NULL;
    for (uint32_t i = 0; i < ip->model.node_count; i++) {
        ip->model.nodes[i].data = NULL;
        ip->model.nodes[i].variant = NULL;
    }
}

ember_status ember_interp_allocate(ember_interp *ip) {
    if (!ember_interp_live(ip))
        return EMBER_STATUS_MISUSE;
    begin(ip);
    if (!ip->verified)
        return finish(ip, ember_fail(&ip->ctx, EMBER_STATUS_MISUSE,
                                     "the model failed verification; nothing to allocate"));
    if (ip->allocated)
        return EMBER_STATUS_OK;
    release_prepared(ip);
    /* Before prepare: kernels size their tiles and per-thread scratch by the thread count. */
    ember_status st = ip->ctx.pool != NULL
                          ? EMBER_STATUS_OK
                          : ember_threadpool_create(&ip->ctx, ip->options.num_threads);
    if (st == EMBER_STATUS_OK && ip->resized)
        st = ember_derive_shapes(&ip->ctx, &ip->model);
    if (st == EMBER_STATUS_OK) {
        reserve_region(ip);
        st = ember_delegates_partition(ip);
    }
    if (st == EMBER_STATUS_OK)
        st = prepare_nodes(ip);
    if (st == EMBER_STATUS_OK)
        st = ember_delegates_prepare_partitions(ip);
    if (st == EMBER_STATUS_OK)
        st = bind_arena(ip);
    if (st == EMBER_STATUS_OK) /* nothing is allocated after this */
        ember_region_trim(&ip->region);
    ip->allocated = st == EMBER_STATUS_OK;
    return finish(ip, st);
}

ember_status ember_interp_resize_input(ember_interp *ip, uint32_t position,
                                       const int32_t *dims, uint32_t rank) {
    if (!ember_interp_live(ip))
        return EMBER_STATUS_MISUSE;
    begin(ip);
    if (!ip->verified)
        return finish(ip, ember_fail(&ip->ctx, EMBER_STATUS_MISUSE,
                                     "the model failed verification; nothing to resize"));
    ember_status st = ember_resize_input(&ip->ctx, &ip->model, position, dims, rank);
    if (st == EMBER_STATUS_OK) {
        ip->resized = true;
        ip->allocated = false;
    }
    return finish(ip, st);
}

ember_status ember_interp_dim_range(const ember_interp *ip, uint32_t tensor, uint32_t dim,
                                    int32_t *min, int32_t *max, const char **symbol) {
    const ember_model *m = ember_interp_model(ip);
    if (m == NULL)
        return EMBER_STATUS_MISUSE;
    bool input = false;
    for (uint32_t k = 0; k < m->inputs.len; k++)
        input = input || (uint32_t)ember_fb_vector_i32(&m->inputs, k) == tensor;
    if (!input || min == NULL || max == NULL || symbol == NULL ||
        dim >= m->tensors[tensor].rank)
        return EMBER_STATUS_INVALID_ARGUMENT;
    return ember_input_dim_range(m, &m->tensors[tensor], dim, min, max, symbol);
}

size_t ember_interp_arena_size(const ember_interp *ip) {
    return ember_interp_live(ip) ? ip->arena_need : 0;
}

#if defined(EMBER_ASAN)
static void unpoison_tensors(const ember_interp *ip, const int32_t *idx, uint32_t count) {
    for (uint32_t k = 0; k < count; k++) {
        const ember_tensor *t = idx[k] >= 0 ? &ip->model.tensors[idx[k]] : NULL;
        if (t != NULL && !t->is_constant)
            ASAN_UNPOISON_MEMORY_REGION(t->data, t->bytes);
    }
}

void ember_arena_guard(const ember_interp *ip, const ember_node *n) {
    if (ip->arena == NULL)
        return;
    if (n == NULL) {
        ASAN_UNPOISON_MEMORY_REGION(ip->arena, ip->arena_need);
        return;
    }
    ASAN_POISON_MEMORY_REGION(ip->arena, ip->arena_need);
    unpoison_tensors(ip, n->inputs, n->input_count);
    unpoison_tensors(ip, n->outputs, n->output_count);
    if (ip->ctx.scratch != NULL)
        ASAN_UNPOISON_MEMORY_REGION(ip->ctx.scratch, ip->ctx.scratch_size);
}
#endif

/* Under ASan, only node n's own tensors (and the scratch) are addressable while it runs. */
static void guard_arena(const ember_interp *ip, const ember_node *n) {
#if defined(EMBER_ASAN)
    ember_arena_guard(ip, n);
#else
    (void)ip;
    (void)n;
#endif
}

/* Whether node n's conditions hold, read in order: an inner If's condition is computed only
   on its outer branch, so it is not read once an outer one fails. */
static bool conditions_hold(ember_interp *ip, const ember_node *n) {
    guard_arena(ip, NULL);
    for (uint32_t k = 0; k < n->run_if_count; k++) {
        const int32_t entry = n->run_if[k];
        const ember_tensor *t = &ip->model.tensors[entry >= 0 ? entry : -1 - entry];
        if ((*(const uint8_t *)t->data != 0) != (entry >= 0))
            return false;
    }
    return true;
}

/* Evaluates node i; the arena guard is left on it (the caller lifts it). */
static ember_status run_node(ember_interp *ip, uint32_t i) {
    const ember_node *n = &ip->model.nodes[i];
    /* Nothing to write; the other dims of an empty output may still be huge. */
    if (ember_outputs_empty(&ip->ctx, n))
        return EMBER_STATUS_OK;
    if (n->run_if_count > 0 && !conditions_hold(ip, n))
        return EMBER_STATUS_OK;
    guard_arena(ip, n);
    ember_status st = n->kernel->eval(&ip->ctx, n);
    if (st != EMBER_STATUS_OK && ip->msg[0] == '\0')
        ember_fail(&ip->ctx, st, "node %" PRIu32 " (%s '%s'): %s", i, n->kernel->name, n->name,
                   ember_status_str(st));
    return st;
}

static ember_status check_invoke(ember_interp *ip, const char *call) {
    if (!ember_interp_live(ip))
        return EMBER_STATUS_MISUSE;
    begin(ip);
    if (!ip->allocated)
        return finish(ip, ember_fail(&ip->ctx, EMBER_STATUS_MISUSE,
                                     "call ember_interp_allocate before %s", call));
    return EMBER_STATUS_OK;
}

ember_status ember_interp_invoke(ember_interp *ip) {
    ember_status st = check_invoke(ip, "ember_interp_invoke");
    if (st != EMBER_STATUS_OK)
        return st;
    for (uint32_t i = 0; st == EMBER_STATUS_OK && i < ip->model.node_count;) {
        const int32_t run = ember_node_run(ip, i);
        if (run < 0) {
            st = run_node(ip, i++);
            continue;
        }
        guard_arena(ip, NULL); /* a delegate may read and write the whole arena */
        st = ember_run_partition(ip, (uint32_t)run);
        i += ip->placements.runs[run].count;
    }
    guard_arena(ip, NULL);
    return finish(ip, st);
}

ember_status ember_interp_invoke_node(ember_interp *ip, uint32_t node) {
    ember_status st = check_invoke(ip, "ember_interp_invoke_node");
    if (st != EMBER_STATUS_OK)
        return st;
    if (node >= ip->model.node_count)
        return finish(ip, ember_fail(&ip->ctx, EMBER_STATUS_INVALID_ARGUMENT,
                                     "node %" PRIu32 " out of range (the model has %" PRIu32 ")",
                                     node, ip->model.node_count));
    const int32_t run = ember_node_run(ip, node);
    if (run < 0)
        st = run_node(ip, node);
    else if (ip->placements.runs[run].first == node)
        st = ember_run_partition(ip, (uint32_t)run);
    guard_arena(ip, NULL);
    return finish(ip, st);
}

/* ---- accessors -------------------------------------------------------------------------- */

uint32_t ember_interp_tensor_count(const ember_interp *ip) {
    const ember_model *m = ember_interp_model(ip);
    return m ? m->tensor_count : 0;
}

uint32_t ember_interp_input_count(const ember_interp *ip) {
    const ember_model *m = ember_interp_model(ip);
    return m ? m->inputs.len : 0;
}

uint32_t ember_interp_output_count(const ember_interp *ip) {
    const ember_model *m = ember_interp_model(ip);
    return m ? m->outputs.len : 0;
}

/* The verifier checked that every graph input and output names a tensor (0 <= index < count),
   so the file's int32 indices convert to uint32_t unchanged. */
uint32_t ember_interp_input_tensor(const ember_interp *ip, uint32_t position) {
    const ember_model *m = ember_interp_model(ip);
    return m && position < m->inputs.len ? (uint32_t)ember_fb_vector_i32(&m->inputs, position)
                                         : EMBER_NO_TENSOR;
}

uint32_t ember_interp_output_tensor(const ember_interp *ip, uint32_t position) {
    const ember_model *m = ember_interp_model(ip);
    return m && position < m->outputs.len ? (uint32_t)ember_fb_vector_i32(&m->outputs, position)
                                          : EMBER_NO_TENSOR;
}

ember_status ember_interp_tensor_info(const ember_interp *ip, uint32_t tensor,
                                      ember_tensor_info *info) {
    const ember_model *m = ember_interp_model(ip);
    if (m == NULL)
        return EMBER_STATUS_MISUSE;
    if (info == NULL || tensor >= m->tensor_count)
        return EMBER_STATUS_INVALID_ARGUMENT;
    const ember_tensor *t = &m->tensors[tensor];
    memset(info, 0, sizeof *info);
    info->name = t->name;
    info->type = (ember_type)t->type;
    info->rank = t->rank;
    memcpy(info->dims, t->dims, sizeof info->dims);
    info->bytes = t->bytes;
    info->quant_count = t->quant_count;
    info->quant_axis = t->quant_axis;
    info->scale = t->scale;
    info->zero_point = t->zero_point;
    info->is_constant = t->is_prepared ? 2 : t->is_constant;
    return EMBER_STATUS_OK;
}

void *ember_interp_tensor_data(ember_interp *ip, uint32_t tensor) {
    const ember_model *m = ember_interp_model(ip);
    return m && tensor < m->tensor_count ? m->tensors[tensor].data : NULL;
}

uint32_t ember_interp_tensor_quant(const ember_interp *ip, uint32_t tensor, float *scales,
                                   int64_t *zero_points, uint32_t capacity) {
    const ember_model *m = ember_interp_model(ip);
    if (m == NULL || tensor >= m->tensor_count)
        return 0;
    const ember_tensor *t = &m->tensors[tensor];
    for (uint32_t q = 0; q < t->quant_count && q < capacity; q++) {
        if (scales != NULL)
            scales[q] = ember_fb_vector_f32(&t->quant_scales, q);
        if (zero_points != NULL)
            zero_points[q] = ember_fb_vector_i64(&t->quant_zero_points, q);
    }
    return t->quant_count;
}

static bool signature_at(const ember_interp *ip, uint32_t s, ember_fb_table *sig) {
    const ember_model *m = ember_interp_model(ip);
    return m && s < m->signatures.len && ember_fb_vector_table(&m->signatures, s, sig);
}

/* The signature's input or output list; empty on any bad argument. */
static ember_fb_vector signature_maps(const ember_interp *ip, uint32_t s, uint32_t is_output) {
    ember_fb_table sig;
    ember_fb_vector maps = {NULL, 0, 0, 0};
    uint32_t slot = is_output ? EMBER_SLOT_SIGNATURE_OUTPUTS : EMBER_SLOT_SIGNATURE_INPUTS;
    if (!signature_at(ip, s, &sig) || !ember_fb_vector_field(&sig, slot, 4, &maps))
        maps.len = 0;
    return maps;
}

uint32_t ember_interp_signature_count(const ember_interp *ip) {
    const ember_model *m = ember_interp_model(ip);
    return m ? m->signatures.len : 0;
}

const char *ember_interp_signature_key(const ember_interp *ip, uint32_t s) {
    ember_fb_table sig;
    const char *key;
    uint32_t len;
    if (!signature_at(ip, s, &sig) ||
        !ember_fb_string_field(&sig, EMBER_SLOT_SIGNATURE_KEY, &key, &len))
        return NULL;
    return key;
}

uint32_t ember_interp_signature_io_count(const ember_interp *ip, uint32_t s,
                                         uint32_t is_output) {
    return signature_maps(ip, s, is_output).len;
}

ember_status ember_interp_signature_io(const ember_interp *ip, uint32_t s, uint32_t is_output,
                                       uint32_t position, const char **name, uint32_t *tensor) {
    if (ember_interp_model(ip) == NULL)
        return EMBER_STATUS_MISUSE;
    ember_fb_vector maps = signature_maps(ip, s, is_output);
    ember_fb_table mt;
    const char *str;
    uint32_t len;
    int32_t idx;
    if (name == NULL || tensor == NULL || position >= maps.len ||
        !ember_fb_vector_table(&maps, position, &mt) ||
        !ember_fb_string_field(&mt, EMBER_SLOT_TENSOR_MAP_NAME, &str, &len) ||
        !ember_fb_i32(&mt, EMBER_SLOT_TENSOR_MAP_TENSOR, -1, &idx))
        return EMBER_STATUS_INVALID_ARGUMENT;
    *name = str;
    *tensor = (uint32_t)idx; /* the verifier checked it names a graph input or output */
    return EMBER_STATUS_OK;
}

uint32_t ember_interp_metadata_count(const ember_interp *ip) {
    const ember_model *m = ember_interp_model(ip);
    return m ? m->metadata.len : 0;
}

ember_status ember_interp_metadata_at(const ember_interp *ip, uint32_t index, const char **key,
                                      const char **value) {
    const ember_model *m = ember_interp_model(ip);
    if (m == NULL)
        return EMBER_STATUS_MISUSE;
    ember_fb_table mt;
    uint32_t len;
    if (key == NULL || value == NULL || index >= m->metadata.len ||
        !ember_fb_vector_table(&m->metadata, index, &mt) ||
        !ember_fb_string_field(&mt, EMBER_SLOT_METADATA_KEY, key, &len) ||
        !ember_fb_string_field(&mt, EMBER_SLOT_METADATA_VALUE, value, &len))
        return EMBER_STATUS_INVALID_ARGUMENT;
    return EMBER_STATUS_OK;
}

const char *ember_interp_metadata(const ember_interp *ip, const char *key) {
    if (key == NULL)
        return NULL;
    for (uint32_t i = 0; i < ember_interp_metadata_count(ip); i++) {
        const char *k, *v;
        if (ember_interp_metadata_at(ip, i, &k, &v) == EMBER_STATUS_OK && strcmp(k, key) == 0)
            return v;
    }
    return NULL;
}

uint32_t ember_interp_node_count(const ember_interp *ip) {
    const ember_model *m = ember_interp_model(ip);
    return m ? m->node_count : 0;
}

const char *ember_interp_node_op(const ember_interp *ip, uint32_t node) {
    const ember_model *m = ember_interp_model(ip);
    return m && node < m->node_count ? m->nodes[node].kernel->name : NULL;
}

const char *ember_interp_node_name(const ember_interp *ip, uint32_t node) {
    const ember_model *m = ember_interp_model(ip);
    if (m == NULL || node >= m->node_count)
        return NULL;
    return m->nodes[node].name != NULL ? m->nodes[node].name : "";
}

const char *ember_interp_node_variant(const ember_interp *ip, uint32_t node) {
    const ember_model *m = ember_interp_model(ip);
    if (m == NULL || node >= m->node_count)
        return NULL;
    const int32_t run = ember_node_run(ip, node);
    if (run >= 0)
        return ip->placements.runs[run].delegate->name;
    return m->nodes[node].variant != NULL ? m->nodes[node].variant : "reference";
}

uint32_t ember_interp_node_io_count(const ember_interp *ip, uint32_t node, uint32_t is_output) {
    const ember_model *m = ember_interp_model(ip);
    if (m == NULL || node >= m->node_count)
        return 0;
    return is_output ? m->nodes[node].output_count : m->nodes[node].input_count;
}

uint32_t ember_interp_node_io(const ember_interp *ip, uint32_t node, uint32_t is_output,
                              uint32_t position) {
    if (position >= ember_interp_node_io_count(ip, node, is_output))
        return EMBER_NO_TENSOR;
    const ember_node *n = &ip->model.nodes[node];
    int32_t t = is_output ? n->outputs[position] : n->inputs[position];
    return t >= 0 ? (uint32_t)t : EMBER_NO_TENSOR; /* -1: an omitted optional input */
}

uint32_t ember_interp_cpu_features(const ember_interp *ip) {
    return ember_interp_live(ip) ? ip->ctx.cpu_features : 0;
}
