/*
 * Emberlite C API, version 0.9 (README.md's "Changes in 0.x" sections list what each version
 * changed).
 *
 * Lifecycle: ember_interp_create (verifies the model) -> ember_interp_allocate (plans the
 * arena, prepares every node) -> set inputs -> ember_interp_invoke (any number of times; it
 * never allocates) -> read outputs -> ember_interp_destroy.
 *
 * Every fallible call returns an ember_status; ember_errmsg() gives the message of the last
 * failure. The model bytes are only read, never written or copied: many interpreters may
 * share one model, and a model may live in flash or in a memory map. Use one interpreter per
 * thread.
 */
#ifndef EMBERLITE_H
#define EMBERLITE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define EMBER_VERSION_MAJOR 0
#define EMBER_VERSION_MINOR 9
#define EMBER_VERSION_PATCH 0
/* Runtime version compared with a file's min_runtime_version: major*10000 + minor*100 + patch. */
#define EMBER_RUNTIME_VERSION \
    (EMBER_VERSION_MAJOR * 10000 + EMBER_VERSION_MINOR * 100 + EMBER_VERSION_PATCH)
#define EMBER_MAX_RANK 8
/* Model bytes must start at an address aligned to this (64-byte buffers stay aligned). */
#define EMBER_MODEL_ALIGNMENT 16

typedef enum ember_status {
    EMBER_STATUS_OK = 0,
    EMBER_STATUS_ERROR = 1,            /* failure with no more specific code */
    EMBER_STATUS_INVALID_MODEL = 2,    /* the file is malformed or inconsistent */
    EMBER_STATUS_UNSUPPORTED = 3,      /* well-formed but uses something this build lacks */
    EMBER_STATUS_VERSION = 4,          /* the file is too old or too new for this runtime */
    EMBER_STATUS_HASH_MISMATCH = 5,    /* the content hash does not match the bytes */
    EMBER_STATUS_NO_MEMORY = 6,        /* the allocator returned NULL */
    EMBER_STATUS_ARENA_TOO_SMALL = 7,  /* the caller's arena is smaller than the plan needs */
    EMBER_STATUS_INVALID_ARGUMENT = 8, /* a bad argument from the caller */
    EMBER_STATUS_MISUSE = 9,           /* wrong call order, or a freed/NULL handle */
    EMBER_STATUS_EVAL_ERROR = 10,      /* tensor data made an op fail (e.g. index out of range) */
    EMBER_STATUS_UNSIGNED = 11,        /* trusted keys were given; no signature by one of them */
    EMBER_STATUS_BAD_SIGNATURE = 12,   /* a signature by a trusted key does not verify */
    EMBER_STATUS_ROLLBACK = 13,        /* model_version is below the options' minimum */
    EMBER_STATUS_COUNT = 14
} ember_status;

/* Element types. The values are the file format's DataType (schemas/ember.fbs); the library's
   generated ember_schema.h checks them at compile time, so this is their only definition. */
typedef enum ember_type {
    EMBER_TYPE_FLOAT32 = 0,
    EMBER_TYPE_FLOAT16 = 1,
    EMBER_TYPE_INT8 = 2,
    EMBER_TYPE_UINT8 = 3,
    EMBER_TYPE_INT16 = 4,
    EMBER_TYPE_INT32 = 5,
    EMBER_TYPE_INT64 = 6,
    EMBER_TYPE_BOOL = 7,
    EMBER_TYPE_UINT16 = 8,
    EMBER_TYPE_UINT32 = 9,
    EMBER_TYPE_UINT64 = 10,
    EMBER_TYPE_FLOAT64 = 11,
    EMBER_TYPE_BFLOAT16 = 12,
    EMBER_TYPE_FLOAT8E4M3FN = 13,
    EMBER_TYPE_FLOAT8E4M3FNUZ = 14,
    EMBER_TYPE_FLOAT8E5M2 = 15,
    EMBER_TYPE_FLOAT8E5M2FNUZ = 16,
    /* One element per byte: the value's bits low, the other bits zero (ignored in inputs). */
    EMBER_TYPE_INT4 = 17,
    EMBER_TYPE_UINT4 = 18,
    EMBER_TYPE_INT2 = 19,
    EMBER_TYPE_UINT2 = 20,
    EMBER_TYPE_FLOAT4E2M1 = 21,
    EMBER_TYPE_FLOAT8E8M0 = 22, /* 2^(code - 127); 0xFF is NaN */
    EMBER_TYPE_COUNT = 23
} ember_type;

/* Bits of ember_options.isa_mask: which optimised kernel families may be used. */
#define EMBER_ISA_NONE 0u
#define EMBER_ISA_AVX2 (1u << 0)
#define EMBER_ISA_NEON (1u << 1)
#define EMBER_ISA_NEONDOT (1u << 2)
#define EMBER_ISA_AVX512F (1u << 3)  /* x86-64 with AVX-512 Foundation (and AVX2, FMA) */
#define EMBER_ISA_NEONFP16 (1u << 4) /* aarch64 half-precision arithmetic (asimdhp) */
#define EMBER_ISA_NEONI8MM (1u << 5) /* aarch64 int8 matrix multiply (i8mm) */
#define EMBER_ISA_SHA (1u << 6)      /* SHA-256 instructions (x86 SHA-NI, ARMv8 SHA2) */
#define EMBER_ISA_AVX512VNNI (1u << 7) /* x86-64 AVX-512 BW, VL and VNNI (int8 dot products) */
#define EMBER_ISA_AVX512VBMI (1u << 8) /* x86-64 AVX-512 BW, VL and VBMI (byte permutes) */
#define EMBER_ISA_ARMDSP (1u << 9)   /* Cortex-M DSP extension (M4, M7, M33): built for it */
#define EMBER_ISA_MVE (1u << 10)     /* Cortex-M Helium, integer MVE (M55): built for it */
#define EMBER_ISA_ALL 0xffffffffu

/* Allocation callbacks. alloc returns memory aligned to `align` (a power of two <= 64) or NULL. */
typedef struct ember_allocator {
    void *(*alloc)(void *user, size_t size, size_t align);
    void (*free)(void *user, void *ptr);
    void *user;
} ember_allocator;

/* A bump allocator over the caller's memory, for builds with no heap (a bare-metal build has
   no default allocator: pass one). Blocks are taken in order; a free gives a block back only
   when it is the most recent one still taken, which is how the interpreter frees at destroy,
   so destroying an interpreter returns the pool to where it was. high_water is the most the
   pool ever held: size the memory from it. Added in 0.7. */
typedef struct ember_pool {
    uint8_t *base;
    size_t size;
    size_t used;
    size_t high_water;
    void *top;              /* the most recent block still taken, or NULL */
} ember_pool;

void ember_pool_init(ember_pool *pool, void *memory, size_t size);
/* The allocator that takes from `pool` (which must outlive every interpreter using it). */
ember_allocator ember_pool_allocator(ember_pool *pool);

typedef struct ember_options {
    uint32_t isa_mask;          /* default EMBER_ISA_ALL */
    int32_t num_threads;        /* default 1: threads the kernels split work over, the caller
                                   included (started by ember_interp_allocate); outputs are the
                                   same bits for any count; builds without threads ignore it */
    int32_t verify_hash;        /* default 1: check the content hash in ember_interp_create
                                   (0 in builds without the check, EMBER_NO_HASH, which
                                   refuse 1) */
    const ember_allocator *allocator; /* default NULL: malloc/free (on 64-bit Linux, the packed
                                         weights and the arena come from one mmap'd region);
                                         required on bare-metal builds, which have no heap */
    void *arena;                /* default NULL: ember_interp_allocate allocates the arena */
    size_t arena_size;          /* size of `arena` in bytes, when given */
    /* Signed models (added in 0.9; docs/signing.md). With trusted_key_count > 0 the model must
       carry a signature by one of these raw Ed25519 public keys (trusted_key_count x
       EMBER_PUBLIC_KEY_SIZE bytes) that verifies, else EMBER_STATUS_UNSIGNED; any signature
       made with a trusted key that fails is EMBER_STATUS_BAD_SIGNATURE. The content hash is
       then checked whatever verify_hash says. Builds with EMBER_NO_SIGNATURES refuse keys
       (EMBER_STATUS_UNSUPPORTED). Default NULL, 0. */
    const uint8_t *trusted_keys;
    size_t trusted_key_count;
    uint64_t min_model_version; /* default 0: a model_version below it is EMBER_STATUS_ROLLBACK */
} ember_options;

typedef struct ember_tensor_info {
    const char *name;           /* NUL-terminated, points into the model */
    ember_type type;
    uint32_t rank;
    int32_t dims[EMBER_MAX_RANK];
    size_t bytes;               /* element count x element size */
    uint32_t quant_count;       /* 0 = not quantized, 1 = per tensor, else per channel */
    int32_t quant_axis;
    float scale;                /* first scale (per-tensor value), 0 when not quantized */
    int64_t zero_point;         /* first zero point */
    int32_t is_constant;        /* 1 for weights stored in the model; 2 for a constant that
                                   ember_interp_allocate computes from them (a DEQUANTIZE of
                                   stored weights) into memory of its own, outside the arena */
} ember_tensor_info;

void ember_options_init(ember_options *options);
const char *ember_status_str(ember_status status);
const char *ember_type_str(ember_type type);
size_t ember_type_size(ember_type type);

/* Checks a model without creating an interpreter. `msg` (may be NULL) receives the reason.
   It takes memory from the default allocator: a bare-metal build, which has none, verifies by
   ember_interp_create with an allocator instead (EMBER_STATUS_INVALID_ARGUMENT here). */
ember_status ember_model_verify(const void *data, size_t size, char *msg, size_t msg_size);

typedef struct ember_interp ember_interp;

/*
 * Verifies the model and builds an interpreter over it. `data` must stay valid and unchanged
 * until ember_interp_destroy. On failure *out may still hold a handle (so that ember_errmsg
 * can tell why); destroy it. *out is NULL only when not even the handle could be allocated.
 */
ember_status ember_interp_create(const void *data, size_t size, const ember_options *options,
                                 ember_interp **out);
void ember_interp_destroy(ember_interp *interp);
const char *ember_errmsg(const ember_interp *interp);

/* Prepares every node and binds the arena (the caller's, or one allocation of the needed size).
   The arena is not zeroed: a tensor holds unspecified bytes until it is set or computed. */
ember_status ember_interp_allocate(ember_interp *interp);
/* Gives graph input `position` the shape rank x dims before the next ember_interp_allocate,
   which derives every other tensor's shape from the inputs' and prepares the nodes again
   (invoke is refused until then). Only a model converted with dynamic dimensions has dims
   that may change, each within its [min, max] (ember_interp_dim_range); the rank and the
   fixed dims must stay. Inputs that share a dimension must agree at allocate. The arena plan
   is the one made for the maxima, so the arena size never grows. Added in 0.5. */
ember_status ember_interp_resize_input(ember_interp *interp, uint32_t position,
                                       const int32_t *dims, uint32_t rank);
/* The range graph input dim `dim` of `tensor` may take: *min == *max for a fixed dim, whose
   *symbol is ""; else the dynamic dimension's name. EMBER_STATUS_INVALID_ARGUMENT for a
   tensor that is not a graph input or a dim past its rank. Added in 0.5. */
ember_status ember_interp_dim_range(const ember_interp *interp, uint32_t tensor, uint32_t dim,
                                    int32_t *min, int32_t *max, const char **symbol);
/* Bytes of arena the model needs, scratch included; valid after ember_interp_allocate
   (also after it failed with EMBER_STATUS_ARENA_TOO_SMALL). */
size_t ember_interp_arena_size(const ember_interp *interp);
ember_status ember_interp_invoke(ember_interp *interp);
/* Runs node `node` alone (0 .. node_count - 1) on what its inputs hold now: invoking every
   node in order does what ember_interp_invoke does. For profilers, which time each call with
   the clock of their choice: the library reads no clock (a Cortex-M build has none), and a
   caller-side timer costs nothing when nobody profiles. EMBER_STATUS_INVALID_ARGUMENT for a
   node past the end. A node in a delegate's partition: the partition's first node runs the
   whole partition, the others nothing (0.8). Added in 0.2. */
ember_status ember_interp_invoke_node(ember_interp *interp, uint32_t node);

/* Tensors are addressed by their index in the model (0 .. tensor_count - 1); the graph's
   inputs and outputs by position. ember_interp_input_tensor and ember_interp_output_tensor give
   the tensor index at a position, or EMBER_NO_TENSOR for a position past the end or a bad
   handle. */
#define EMBER_NO_TENSOR UINT32_MAX
uint32_t ember_interp_tensor_count(const ember_interp *interp);
uint32_t ember_interp_input_count(const ember_interp *interp);
uint32_t ember_interp_output_count(const ember_interp *interp);
uint32_t ember_interp_input_tensor(const ember_interp *interp, uint32_t position);
uint32_t ember_interp_output_tensor(const ember_interp *interp, uint32_t position);
ember_status ember_interp_tensor_info(const ember_interp *interp, uint32_t tensor,
                                      ember_tensor_info *info);
/* Pointer to a tensor's data (arena or model); NULL before allocate or for a bad index.
   Constant tensors point into the model (or, is_constant 2, into memory the interpreter
   owns) and must not be written. */
void *ember_interp_tensor_data(ember_interp *interp, uint32_t tensor);
/* Quantization parameters of a tensor: up to `capacity` entries copied, the count returned. */
uint32_t ember_interp_tensor_quant(const ember_interp *interp, uint32_t tensor, float *scales,
                                   int64_t *zero_points, uint32_t capacity);

/* Named signatures (inputs and outputs by name). */
uint32_t ember_interp_signature_count(const ember_interp *interp);
const char *ember_interp_signature_key(const ember_interp *interp, uint32_t signature);
uint32_t ember_interp_signature_io_count(const ember_interp *interp, uint32_t signature,
                                         uint32_t is_output);
/* Name and tensor index of one input (is_output = 0) or output (is_output = 1) of a
   signature. */
ember_status ember_interp_signature_io(const ember_interp *interp, uint32_t signature,
                                       uint32_t is_output, uint32_t position, const char **name,
                                       uint32_t *tensor);

/* Model metadata as key/value strings; NULL for a missing key. */
uint32_t ember_interp_metadata_count(const ember_interp *interp);
ember_status ember_interp_metadata_at(const ember_interp *interp, uint32_t index,
                                      const char **key, const char **value);
const char *ember_interp_metadata(const ember_interp *interp, const char *key);

/* Node count, and each node's op name, for inspection. */
uint32_t ember_interp_node_count(const ember_interp *interp);
const char *ember_interp_node_op(const ember_interp *interp, uint32_t node);
/* A node's name in the model ("" when it has none); NULL for a bad handle or index. */
const char *ember_interp_node_name(const ember_interp *interp, uint32_t node);
/* The kernel variant a node runs (e.g. an AVX2 microkernel's name), chosen by
   ember_interp_allocate from the CPU's features and isa_mask; "reference" for the portable
   reference kernel, and before allocate; the delegate's name for a node a delegate runs
   (0.8); NULL for a bad handle or index. Added in 0.2. */
const char *ember_interp_node_variant(const ember_interp *interp, uint32_t node);
/* A node's inputs (is_output = 0) or outputs (is_output = 1): their count (0 for a bad handle
   or node), and the tensor index at a position (EMBER_NO_TENSOR for an omitted optional input,
   a position past the end, a bad node or handle). Added in 0.2. */
uint32_t ember_interp_node_io_count(const ember_interp *interp, uint32_t node,
                                    uint32_t is_output);
uint32_t ember_interp_node_io(const ember_interp *interp, uint32_t node, uint32_t is_output,
                              uint32_t position);

/* ISA features this CPU has (EMBER_ISA_* bits), detected at create time. */
uint32_t ember_interp_cpu_features(const ember_interp *interp);

/* ---- model identity and signatures (added in 0.9) --------------------------------------
 * A file of format 10 on is its body (the FlatBuffer and the data section, body_size bytes,
 * which the content hash covers) optionally followed by a signature block: Ed25519
 * signatures of the content hash, each with the id of the key that made it (docs/signing.md).
 * A key's id is the first EMBER_KEY_ID_SIZE bytes of the SHA-256 of its raw public key. */
#define EMBER_PUBLIC_KEY_SIZE 32
#define EMBER_SIGNATURE_SIZE 64
#define EMBER_KEY_ID_SIZE 8
#define EMBER_NO_SIGNATURE UINT32_MAX

typedef struct ember_model_info {
    uint32_t format_version;
    uint32_t min_runtime_version;     /* major*10000 + minor*100 + patch */
    uint64_t model_version;           /* the publisher's number; 0 = none (files before 10) */
    uint8_t content_hash[32];
    size_t body_size;                 /* bytes the content hash covers (the whole file < 10) */
    uint32_t signature_count;         /* signatures in the block (0: unsigned) */
    uint32_t verified_signature;      /* the one that verified against a trusted key, or
                                         EMBER_NO_SIGNATURE (no keys were given) */
} ember_model_info;

ember_status ember_interp_model_info(const ember_interp *interp, ember_model_info *info);
/* The id (EMBER_KEY_ID_SIZE bytes) of the key that made signature `index`
   (< signature_count). */
ember_status ember_interp_signature_key_id(const ember_interp *interp, uint32_t index,
                                           uint8_t *key_id);
/* The id (EMBER_KEY_ID_SIZE bytes) of a raw Ed25519 public key (EMBER_PUBLIC_KEY_SIZE).
   EMBER_STATUS_UNSUPPORTED in builds with EMBER_NO_SIGNATURES. */
ember_status ember_key_id(const uint8_t *public_key, uint8_t *key_id);
/* Ed25519 (RFC 8032, cofactorless, S < L required): 1 when `signature`
   (EMBER_SIGNATURE_SIZE bytes) is public_key's (EMBER_PUBLIC_KEY_SIZE) over the `size` bytes
   at `message`, else 0. The library's own code (SHA-512 included), libc only;
   it handles no secret, and its arithmetic takes the same path for any input. Builds with
   EMBER_NO_SIGNATURES return 0. */
int ember_ed25519_verify(const uint8_t *public_key, const void *message, size_t size,
                         const uint8_t *signature);

/* ---- op parameters (added in 0.8) -----------------------------------------------------
 * A node's parameters are the fields of its params table in the file format
 * (schemas/ember.fbs), read by field name, e.g. "stride_h" of a CONV2D node. A field the file
 * leaves out gives the schema's default. ints, bools and enums (their values in the schema)
 * come as EMBER_PARAM_INT, float as EMBER_PARAM_FLOAT, vectors of int as EMBER_PARAM_INTS. */
#define EMBER_MAX_PARAM_INTS 16
typedef enum ember_param_kind {
    EMBER_PARAM_INT = 1,
    EMBER_PARAM_FLOAT = 2,
    EMBER_PARAM_INTS = 3
} ember_param_kind;

typedef struct ember_param {
    ember_param_kind kind;
    int64_t i;                  /* EMBER_PARAM_INT */
    float f;                    /* EMBER_PARAM_FLOAT */
    uint32_t count;             /* EMBER_PARAM_INTS: elements in ints */
    int32_t ints[EMBER_MAX_PARAM_INTS];
} ember_param;

/* EMBER_STATUS_INVALID_ARGUMENT when the node has no params table or the table no field
   `name`; EMBER_STATUS_UNSUPPORTED for a vector longer than EMBER_MAX_PARAM_INTS. */
ember_status ember_interp_node_param(const ember_interp *interp, uint32_t node,
                                     const char *name, ember_param *out);

/* ---- delegates (added in 0.8) ---------------------------------------------------------
 * A delegate runs parts of the graph somewhere else (a GPU). Added to an interpreter before
 * ember_interp_allocate, it is asked there, node by node, whether it takes the node, and says
 * why when it does not. The core groups taken nodes into partitions of consecutive nodes
 * (those shorter than min_partition_nodes go back to the CPU; max_partition_nodes, when not 0,
 * cuts longer runs), asks the delegate to prepare each partition, and at invoke calls it once
 * per partition where the CPU would have run those nodes; the CPU runs the rest. A partition
 * the delegate cannot prepare runs on the CPU, the delegate's message kept as its nodes'
 * reason. Nodes that run under a condition (If branches) or compute a constant at prepare
 * stay on the CPU.
 *
 * The delegate reads the graph through this header's accessors: ops, params, tensor infos,
 * constant data (valid from create). Arena tensors' data pointers are valid in invoke only:
 * there it reads the partition's inputs from, and writes its outputs to, the arena. A
 * delegate must outlive every interpreter it was added to. */
#define EMBER_DELEGATE_ABI_VERSION 1
#define EMBER_MAX_DELEGATES 4

typedef struct ember_partition {
    const uint32_t *nodes;      /* consecutive node indices, in order */
    uint32_t node_count;
    const uint32_t *inputs;     /* non-constant tensors its nodes read that are written
                                   outside it (graph inputs included), each once */
    uint32_t input_count;
    const uint32_t *outputs;    /* tensors its nodes write that a later node or the caller
                                   reads (graph outputs), each once */
    uint32_t output_count;
} ember_partition;              /* valid during the prepare call only */

typedef struct ember_delegate {
    uint32_t abi_version;       /* EMBER_DELEGATE_ABI_VERSION the delegate was built for */
    const char *name;           /* e.g. "opencl" */
    void *user;                 /* handed back to every callback */
    uint32_t min_partition_nodes; /* 0 or 1: any length */
    uint32_t max_partition_nodes; /* 0: no limit */
    /* 1 when the delegate takes `node`; 0 when not, with the reason in `why` (NUL-terminated,
       truncated to why_size). */
    int (*claim)(void *user, const ember_interp *interp, uint32_t node, char *why,
                 size_t why_size);
    /* Prepares one partition for the shapes of this allocate; *state goes to invoke and
       release. On failure the message goes to msg and the nodes run on the CPU. */
    ember_status (*prepare)(void *user, ember_interp *interp, const ember_partition *partition,
                            void **state, char *msg, size_t msg_size);
    /* Runs the partition: reads its inputs from the arena, writes its outputs there. */
    ember_status (*invoke)(void *user, ember_interp *interp, void *state, char *msg,
                           size_t msg_size);
    /* Frees what prepare made (also after a failed prepare that set *state). */
    void (*release)(void *user, void *state);
    /* What the delegate has to say of itself (its device, its settings, what its last
       prepare found, e.g. a cache file it could not trust), NUL-terminated into text
       (truncated to size); may be NULL. */
    void (*describe)(void *user, char *text, size_t size);
} ember_delegate;

/* The core's accessors a delegate calls, as a table: a plug-in links nothing of the core,
   which its process may hold privately (Python loads it so). Same meaning as the functions. */
typedef struct ember_core_api {
    uint32_t abi_version;       /* EMBER_DELEGATE_ABI_VERSION */
    uint32_t (*node_count)(const ember_interp *interp);
    const char *(*node_op)(const ember_interp *interp, uint32_t node);
    const char *(*node_name)(const ember_interp *interp, uint32_t node);
    uint32_t (*node_io_count)(const ember_interp *interp, uint32_t node, uint32_t is_output);
    uint32_t (*node_io)(const ember_interp *interp, uint32_t node, uint32_t is_output,
                        uint32_t position);
    ember_status (*node_param)(const ember_interp *interp, uint32_t node, const char *name,
                               ember_param *out);
    uint32_t (*tensor_count)(const ember_interp *interp);
    ember_status (*tensor_info)(const ember_interp *interp, uint32_t tensor,
                                ember_tensor_info *info);
    void *(*tensor_data)(ember_interp *interp, uint32_t tensor);
    uint32_t (*tensor_quant)(const ember_interp *interp, uint32_t tensor, float *scales,
                             int64_t *zero_points, uint32_t capacity);
    uint32_t (*input_count)(const ember_interp *interp);
    uint32_t (*output_count)(const ember_interp *interp);
    uint32_t (*input_tensor)(const ember_interp *interp, uint32_t position);
    uint32_t (*output_tensor)(const ember_interp *interp, uint32_t position);
} ember_core_api;

const ember_core_api *ember_core_api_get(void);

/* A delegate library (a plug-in) exports these two: create takes the core's table and options
   as key/value strings, and gives NULL with a message on failure (a bad option); destroy
   frees it. */
typedef ember_delegate *(*ember_delegate_create_fn)(const ember_core_api *api,
                                                   const char *const *keys,
                                                   const char *const *values, size_t count,
                                                   char *msg, size_t msg_size);
typedef void (*ember_delegate_destroy_fn)(ember_delegate *delegate);
#define EMBER_DELEGATE_CREATE_SYMBOL "ember_delegate_create"
#define EMBER_DELEGATE_DESTROY_SYMBOL "ember_delegate_destroy"

/* Adds a delegate (before allocate, at most EMBER_MAX_DELEGATES; the first one to take a node
   runs it). EMBER_STATUS_VERSION for another abi_version; EMBER_STATUS_UNSUPPORTED in builds
   without delegates (EMBER_NO_DELEGATES, the default on bare metal). */
ember_status ember_interp_add_delegate(ember_interp *interp, const ember_delegate *delegate);

/* Where a node runs, valid after ember_interp_allocate. */
typedef struct ember_node_placement {
    const char *delegate;       /* the delegate's name, or NULL: the CPU */
    int32_t partition;          /* its partition (0 .. ember_interp_partition_count - 1), or -1 */
    const char *reason;         /* on the CPU with delegates added: why none runs it; else "" */
} ember_node_placement;

ember_status ember_interp_node_placement(const ember_interp *interp, uint32_t node,
                                         ember_node_placement *out);
uint32_t ember_interp_partition_count(const ember_interp *interp);

#ifdef __cplusplus
}
#endif
#endif /* EMBERLITE_H */
