/* Private declarations shared by the C library's files. Not installed. */
#ifndef EMBER_INTERNAL_H
#define EMBER_INTERNAL_H

#include <inttypes.h> /* messages print uint32_t with PRIu32: it is `long` on newlib targets */
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ember_config.h"
#include "ember_schema.h"
#include "emberlite.h"

#if defined(EMBER_DEBUG)
#include <stdio.h>
#define EMBER_DCHECK(cond)                                                                    \
    do {                                                                                      \
        if (!(cond)) {                                                                        \
            fprintf(stderr, "%s:%d: EMBER_DCHECK(%s) failed\n", __FILE__, __LINE__, #cond);   \
        }                                                                                     \
    } while (0)
#else
#define EMBER_DCHECK(cond) ((void)0)
#endif

/* ---- bounds-checked FlatBuffer reading (csrc/flatbuf.c) ------------------------------- */
/* Every accessor checks offsets, lengths and alignment against the whole buffer and returns
   false on any violation; nothing reads outside [buf, buf + size). */

typedef struct ember_fb_table {
    const uint8_t *buf;
    size_t size;
    uint32_t pos;       /* table start */
    uint32_t vtable;    /* vtable start */
    uint16_t vt_fields; /* number of field slots in the vtable */
} ember_fb_table;

typedef struct ember_fb_vector {
    const uint8_t *buf;
    size_t size;
    uint32_t data; /* first element's position */
    uint32_t len;  /* element count */
} ember_fb_vector;

bool ember_fb_root(const uint8_t *buf, size_t size, ember_fb_table *root);
/* Position of a present field, or 0 when absent (the default applies). */
uint32_t ember_fb_field_pos(const ember_fb_table *t, uint32_t slot);
bool ember_fb_u8(const ember_fb_table *t, uint32_t slot, uint8_t def, uint8_t *out);
bool ember_fb_u16(const ember_fb_table *t, uint32_t slot, uint16_t def, uint16_t *out);
bool ember_fb_i32(const ember_fb_table *t, uint32_t slot, int32_t def, int32_t *out);
bool ember_fb_u32(const ember_fb_table *t, uint32_t slot, uint32_t def, uint32_t *out);
bool ember_fb_i64(const ember_fb_table *t, uint32_t slot, int64_t def, int64_t *out);
bool ember_fb_u64(const ember_fb_table *t, uint32_t slot, uint64_t def, uint64_t *out);
bool ember_fb_f32(const ember_fb_table *t, uint32_t slot, float def, float *out);
/* Sub-table; *present = false (and true returned) when the field is absent. */
bool ember_fb_table_field(const ember_fb_table *t, uint32_t slot, ember_fb_table *out,
                          bool *present);
/* Vector of `elem_size`-byte scalars or offsets; an absent field gives an empty vector. */
bool ember_fb_vector_field(const ember_fb_table *t, uint32_t slot, uint32_t elem_size,
                           ember_fb_vector *out);
/* NUL-terminated string; an absent field gives "" and length 0. */
bool ember_fb_string_field(const ember_fb_table *t, uint32_t slot, const char **str,
                           uint32_t *len);
/* Fixed-size inline struct field (e.g. the hash); *pos = 0 when absent. */
bool ember_fb_struct_field(const ember_fb_table *t, uint32_t slot, uint32_t struct_size,
                           uint32_t *pos);
int32_t ember_fb_vector_i32(const ember_fb_vector *v, uint32_t i); /* i < len, 4-byte elems */
int64_t ember_fb_vector_i64(const ember_fb_vector *v, uint32_t i);
float ember_fb_vector_f32(const ember_fb_vector *v, uint32_t i);
/* Element i of a vector of tables. */
bool ember_fb_vector_table(const ember_fb_vector *v, uint32_t i, ember_fb_table *out);

/* ---- SHA-256 (csrc/sha256.c) ---------------------------------------------------------- */
/* Compresses `count` consecutive 64-byte blocks into state (FIPS 180-4, 6.2.2). */
typedef void (*ember_sha256_blocks_fn)(uint32_t state[8], const uint8_t *data, size_t count);
typedef struct ember_sha256 {
    uint32_t state[8];
    uint64_t length;
    uint8_t block[64];
    uint32_t used;
    ember_sha256_blocks_fn blocks;
} ember_sha256;
/* The portable block function, the oracle of the others. */
void ember_sha256_init(ember_sha256 *h);
/* The fastest block function that EMBER_ISA_* bits `isa` allow (EMBER_ISA_SHA: SHA-NI on
   x86-64, the ARMv8 SHA-256 instructions on aarch64), the portable one otherwise. */
void ember_sha256_init_isa(ember_sha256 *h, uint32_t isa);
extern const uint32_t ember_sha256_k[64]; /* the round constants K (FIPS 180-4, 4.2.2) */
void ember_sha256_blocks_ref(uint32_t state[8], const uint8_t *data, size_t count);
#if EMBER_HAVE_SHA && defined(__x86_64__)
void ember_sha256_blocks_shani(uint32_t state[8], const uint8_t *data, size_t count);
#endif
#if EMBER_HAVE_SHA && defined(__aarch64__)
void ember_sha256_blocks_neonsha2(uint32_t state[8], const uint8_t *data, size_t count);
#endif
/* EMBER_ISA_* bits of this CPU, asked of cpuid or the OS (csrc/interp.c). */
uint32_t ember_detect_cpu_features(void);
void ember_sha256_update(ember_sha256 *h, const void *data, size_t size);
void ember_sha256_final(ember_sha256 *h, uint8_t digest[32]);

/* ---- the loaded model ----------------------------------------------------------------- */

typedef struct ember_tensor {
    const char *name;
    uint8_t type;  /* EMBER_TYPE_* */
    uint8_t rank;
    int32_t dims[EMBER_MAX_RANK];
    size_t count;  /* product of dims */
    size_t bytes;  /* count x element size */
    bool is_constant;
    bool is_prepared;      /* a constant DEQUANTIZE computes at prepare (no buffer, no arena) */
    int32_t buffer;        /* constant data buffer index, or -1 */
    int64_t arena_offset;  /* activation offset in the arena, or -1 */
    void *data;            /* bound by ember_interp_allocate; constants at create */
    uint32_t quant_count;  /* 0, 1 (per tensor) or per channel */
    int32_t quant_axis;
    ember_fb_vector quant_scales;      /* float32 elements */
    ember_fb_vector quant_zero_points; /* int64 elements */
    float scale;           /* quant_scales[0] when quant_count > 0 */
    int32_t zero_point;    /* quant_zero_points[0] when quant_count > 0 */
    ember_fb_vector stored_shape; /* the file's dims: those the arena plan was made for */
    size_t stored_bytes;          /* bytes at the stored shape: the most the plan holds */
    ember_fb_vector dim_symbols;  /* format 8: int32 per dim, -1 or a symbol; may be empty */
} ember_tensor;

/* Dynamic dimensions of one model (Subgraph.symbols); more are refused at load. */
#define EMBER_MAX_SYMBOLS 8

#define EMBER_MAX_IO 64 /* inputs or outputs of one node */
#define EMBER_MAX_RUN_IF 16 /* conditions of one node: If branches nested this deep */

typedef struct ember_node {
    uint32_t index;
    uint16_t op;                  /* EMBER_OP_* */
    const char *name;
    uint32_t input_count, output_count;
    int32_t inputs[EMBER_MAX_IO]; /* tensor indices; -1 = omitted optional input */
    int32_t outputs[EMBER_MAX_IO];
    uint8_t params_type;          /* EMBER_OP_PARAMS_*, 0 = none */
    ember_fb_table params;        /* valid when params_type != 0 */
    void *data;                   /* what prepare derived (persistent, from the allocator) */
    const struct ember_kernel *kernel;
    const char *variant;          /* the kernel variant prepare picked; NULL: the reference */
    uint32_t run_if_count;        /* format 9: runs only when these one-element bools hold */
    int32_t run_if[EMBER_MAX_RUN_IF]; /* t >= 0: tensor t is true; t < 0: -1 - t is false */
} ember_node;

/* Whether this build has kernels for float32 and for int16 (16x8) activations
   (csrc/ember_config.h). A kernel tests them on its branches for those types, which then
   compile away where the verifier refuses such models anyway. */
#define EMBER_HAS_FLOAT_KERNELS (!EMBER_NO_FLOAT)
#define EMBER_HAS_INT16_KERNELS (!EMBER_NO_INT16)

/* ---- errors, allocation, kernels ------------------------------------------------------ */

/* What verify/prepare/eval see of the interpreter: the error sink, the allocator, the model. */
typedef struct ember_context {
    char *msg;             /* message buffer */
    size_t msg_size;
    const ember_allocator *allocator;
    ember_tensor *tensors;
    uint32_t tensor_count;
    uint32_t cpu_features; /* EMBER_ISA_* present on this CPU */
    uint32_t isa_mask;     /* EMBER_ISA_* allowed by the options */
    size_t scratch_size;   /* largest scratch any prepared node asked for */
    void *scratch;         /* bound before eval: at least scratch_size bytes, 64-aligned */
    void *blocks;          /* ember_alloc's blocks, linked; NULL in a fresh context */
    struct ember_threadpool *pool; /* workers for num_threads > 1 (csrc/threadpool.h), or NULL */
    struct ember_region *region;   /* where ember_alloc takes blocks first (csrc/region.h), or
                                      NULL: the allocator only */
    uint32_t symbol_count;         /* the model's dynamic dimensions */
    int32_t symbols[EMBER_MAX_SYMBOLS]; /* their values now: max until inputs are resized */
} ember_context;

/* printf-style formatting into buf (bounded, always NUL-terminated when size > 0); returns the
   characters written, at most size - 1. The library's only formatter (csrc/format.c). */
size_t ember_format(char *buf, size_t size, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
size_t ember_vformat(char *buf, size_t size, const char *fmt, va_list args);

/* Sorts `count` items of `size` bytes in place by `compare` (qsort's contract; csrc/sort.c). */
void ember_sort(void *items, size_t count, size_t size,
                int (*compare)(const void *, const void *));

#if EMBER_STRIP_MESSAGES
/* Without message text (csrc/ember_config.h): the message names the status and the library
   source line that failed; formats and their arguments are not compiled in. */
ember_status ember_fail_at(ember_context *ctx, ember_status status, const char *file,
                           unsigned line);
/* Never defined: sizeof of a call to it marks the message's arguments used without evaluating
   them, so neither they nor the helpers that would format them take any code. */
int ember_unformatted(const char *fmt, ...);
#define ember_fail(ctx, status, ...)                                                          \
    ((void)sizeof ember_unformatted(__VA_ARGS__),                                             \
     ember_fail_at((ctx), (status), __FILE__, __LINE__))
#else
/* Formats the message into ctx and returns `status` (printf-style, bounded). */
ember_status ember_fail(ember_context *ctx, ember_status status, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
#endif

/* malloc/free honouring the alignment argument (csrc/kernels/common.c): the allocator when the
   options name none. */
extern const ember_allocator ember_malloc_allocator;
/* malloc/free, or NULL on bare-metal builds, which have no heap. */
static inline const ember_allocator *ember_default_allocator(void) {
#if EMBER_BARE_METAL
    return NULL;
#else
    return &ember_malloc_allocator;
#endif
}

/* Persistent allocation during prepare (freed with the interpreter), 64-byte aligned, from
   ctx->allocator (malloc/free when NULL). NULL on failure, with a NO_MEMORY message set. */
void *ember_alloc(ember_context *ctx, size_t size);
/* Frees every ember_alloc block of ctx (the interpreter does this at destroy). */
void ember_free_all(ember_context *ctx);
/* Frees the blocks allocated since ctx->blocks was `mark` (a re-prepare drops the last one). */
void ember_free_since(ember_context *ctx, void *mark);
/* Asks for `size` bytes of scratch during eval (shared by all nodes, 64-byte aligned). */
void ember_request_scratch(ember_context *ctx, size_t size);

typedef ember_status (*ember_check_fn)(ember_context *ctx, const ember_node *node);
typedef ember_status (*ember_prepare_fn)(ember_context *ctx, ember_node *node);
typedef ember_status (*ember_eval_fn)(ember_context *ctx, const ember_node *node);

typedef struct ember_kernel {
    uint16_t op;
    const char *name;
    /* Called by the verifier: arity, types, params and quantization rules; reads only
       shapes, types and params, never tensor data. */
    ember_check_fn check;
    /* Called once by ember_interp_allocate, right after check runs again (the model bytes
       may have changed since create): derives constants, picks a variant, asks for scratch.
       May allocate with ember_alloc, in proportion to the bytes of the node's tensors (an
       empty tensor's other dims may still be 2^31 - 1). Not called when every output is
       empty, unless one is a constant computed at prepare. */
    ember_prepare_fn prepare;
    /* Does the arithmetic; allocates nothing, formats no strings, reads params only through
       node->data. Not called when every output is empty (ember_outputs_empty). */
    ember_eval_fn eval;
} ember_kernel;

/* True when every output of the node holds no element (some dim is 0, whatever the others):
   eval has nothing to write, so the interpreter skips it and prepare derives nothing
   (csrc/kernels/common.c). */
bool ember_outputs_empty(const ember_context *ctx, const ember_node *n);

/* Fails, naming the node, when its types have no kernel in this build (EMBER_NO_FLOAT,
   EMBER_NO_INT16; the verifier refuses such nodes first, this keeps a kernel safe anyway). */
ember_status ember_unsupported_types(ember_context *ctx, const ember_node *node);

/* Shape rules: after a graph input is resized, ember_interp_allocate derives every node's
   output shapes from its inputs' (csrc/kernels/shape_rules.c). A rule sets the outputs with
   ember_set_shape and leaves validation to the kernel's check, which runs next. */
typedef ember_status (*ember_shape_fn)(ember_context *ctx, const ember_node *node);
/* The op's rule, or NULL when its outputs cannot follow resized inputs. */
ember_shape_fn ember_shape_rule(uint16_t op);
/* Gives t the shape rank x dims (count and bytes follow); fails, naming the node, when a dim
   is not positive or the bytes overflow. */
ember_status ember_set_shape(ember_context *ctx, const ember_node *node, ember_tensor *t,
                             uint32_t rank, const int32_t *dims);
/* The value a dim spec of RESHAPE's new_shape or SLICE's size names when v <= -2 (symbol
   -(v + 2)), or -1 when there is no such symbol. */
int32_t ember_symbol_dim(const ember_context *ctx, int32_t v);

/* Kernel for an op code, or NULL (csrc/kernels/registry.c). */
const ember_kernel *ember_kernel_for(uint32_t op);

/* Shared helpers for kernels (csrc/kernels/common.c). */
static inline ember_tensor *ember_input(ember_context *ctx, const ember_node *n, uint32_t i) {
    return (i < n->input_count && n->inputs[i] >= 0) ? &ctx->tensors[n->inputs[i]] : NULL;
}
static inline ember_tensor *ember_output(ember_context *ctx, const ember_node *n, uint32_t i) {
    return i < n->output_count ? &ctx->tensors[n->outputs[i]] : NULL;
}
/* Checks input/output counts: min..max inputs (omitted optional ones count), exact outputs. */
ember_status ember_check_arity(ember_context *ctx, const ember_node *n, uint32_t min_inputs,
                               uint32_t max_inputs, uint32_t outputs);
/* Checks that the node's params are of the expected union type. */
ember_status ember_check_params(ember_context *ctx, const ember_node *n, uint8_t params_type);
/* Checks the tensor's type; `what` names it in the message ("input 0", "filter"). */
ember_status ember_check_type(ember_context *ctx, const ember_node *n, const ember_tensor *t,
                              uint8_t type, const char *what);
ember_status ember_check_rank(ember_context *ctx, const ember_node *n, const ember_tensor *t,
                              uint32_t rank, const char *what);
/* Checks that `out` has the rank and dims of `in` (ops whose output keeps the input's shape). */
ember_status ember_check_same_shape(ember_context *ctx, const ember_node *node, const char *op,
                                    const ember_tensor *in, const ember_tensor *out);
/* An element-wise op may write its output over an input only if both occupy exactly the same
   arena bytes with the same element count (so element i is read before it is overwritten);
   any other overlap would read already-written values. `which` names the input. */
ember_status ember_check_inplace(ember_context *ctx, const ember_node *node, const char *op,
                                 const ember_tensor *in, uint32_t which, const ember_tensor *out);
/* min(max(v, lo), hi), so lo > hi gives hi as ONNX Clip does; NaN passes through. */
static inline float ember_clamp_f32(float v, float lo, float hi) {
    const float low_cut = v < lo ? lo : v;
    return low_cut > hi ? hi : low_cut;
}
/* A requantized integer within [lo, hi]: below lo gives lo, else above hi gives hi (so with
   lo > hi never v itself). */
static inline int32_t ember_clamp_i32(int32_t v, int32_t lo, int32_t hi) {
    return v < lo ? lo : v > hi ? hi : v;
}
/* Reads a fused activation param into a float clamp range [lo, hi]. */
ember_status ember_activation_range(ember_context *ctx, const ember_node *n, uint8_t act,
                                    float *lo, float *hi);
size_t ember_type_bytes(uint8_t type); /* 0 for an unknown type */
/* Reads the int axis field at `slot` for a tensor of rank `rank`: it must lie in [-rank, rank);
   a negative axis counts from the end and is returned non-negative. */
ember_status ember_read_axis(ember_context *ctx, const ember_node *n, uint32_t slot,
                             uint32_t rank, int32_t *axis);
/* Splits a dense tensor around `axis`: *outer is the product of the dims before it, *inner
   the bytes of one index along it (element size times the dims after it). */
void ember_axis_extents(const ember_tensor *t, uint32_t axis, size_t *outer, size_t *inner);

#endif /* EMBER_INTERNAL_H */
