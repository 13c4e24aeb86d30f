/* The interpreter's private state, shared by verifier.c, interp.c and status.c. Not installed. */
#ifndef EMBER_INTERP_H
#define EMBER_INTERP_H

#include "ember_internal.h"
#include "region.h"

/* The model after verification: every index, offset and size in it has been checked. */
typedef struct ember_model {
    uint64_t arena_size;        /* planned activations, scratch excluded */
    ember_tensor *tensors;
    uint32_t tensor_count;
    ember_node *nodes;
    uint32_t node_count;
    ember_fb_vector inputs;     /* int32 tensor indices */
    ember_fb_vector outputs;
    ember_fb_vector signatures; /* Signature tables */
    ember_fb_vector metadata;   /* Metadata tables */
    ember_fb_vector symbols;    /* Symbol tables (format 8): the dynamic dimensions */
    ember_model_info info;      /* versions, content hash, body size, signatures */
    const uint8_t *signature_block; /* after the body; info.signature_count entries */
} ember_model;

/* Verifies the file and fills `model`, allocating its arrays with ember_alloc(ctx, ...);
   constant tensors get their data pointers into the file. Checks the content hash when
   options ask for it or give trusted keys, then the signatures and model_version. */
ember_status ember_model_load(ember_context *ctx, const void *data, size_t size,
                              const ember_options *options, ember_model *model);

/* The signature block (csrc/signature.c): ember_signature_block_check checks the `size`
   bytes after the body (none: unsigned) and counts the signatures; ember_signatures_check
   verifies them against the options' trusted keys, setting info.verified_signature. */
ember_status ember_signature_block_check(ember_context *ctx, const uint8_t *block, size_t size,
                                         uint32_t *count);
ember_status ember_signatures_check(ember_context *ctx, ember_model *m,
                                    const ember_options *options);

/* Checks the loaded model's arena plan: arena_size no larger than its tensors' end rounded
   up to 64, and no two tensors live at the same node sharing a byte (csrc/arena_plan.c). */
ember_status ember_check_arena_plan(ember_context *ctx, const ember_model *m);

/* Bounded dynamic shapes (csrc/dynamic_shapes.c). ember_resize_input checks and sets a graph
   input's new shape; ember_derive_shapes then binds the symbols and gives every other tensor
   its shape, failing when one would outgrow the arena plan. ember_input_dim_range: the range
   of dim d of graph input t and the name of its symbol ("" for a fixed dim). */
ember_status ember_resize_input(ember_context *ctx, ember_model *m, uint32_t position,
                                const int32_t *dims, uint32_t rank);
ember_status ember_derive_shapes(ember_context *ctx, ember_model *m);
ember_status ember_input_dim_range(const ember_model *m, const ember_tensor *t, uint32_t d,
                                   int32_t *lo, int32_t *hi, const char **name);

#define EMBER_INTERP_MAGIC 0x454d4252u /* "EMBR" */

/* Room for a node's reason to stay on the CPU (ember_node_placement.reason). */
#define EMBER_REASON_SIZE 192

/* A run of consecutive nodes a delegate runs (csrc/delegate.c). */
typedef struct ember_partition_run {
    const ember_delegate *delegate;
    uint32_t first, count;      /* nodes first .. first + count - 1 */
    void *state;                /* the delegate's, from its prepare */
    bool prepared;              /* false: the delegate failed it; the CPU runs the nodes */
} ember_partition_run;

/* Where each node runs: set up by ember_delegates_partition at allocate, from the
   interpreter's blocks (freed with what prepare made). */
typedef struct ember_placements {
    int32_t *partition;         /* per node: its run, or -1 for the CPU */
    char (*reason)[EMBER_REASON_SIZE]; /* per node: why it stays on the CPU */
    ember_partition_run *runs;
    uint32_t run_count;
} ember_placements;

struct ember_interp {
    uint32_t magic;             /* EMBER_INTERP_MAGIC while the handle is live */
    ember_status status;        /* of the last failed call */
    ember_options options;
    ember_allocator allocator;  /* the caller's, or malloc/free */
    ember_context ctx;
    ember_model model;
    bool verified;
    bool allocated;
    bool resized;               /* a graph input's shape changed since the last allocate */
    void *load_blocks;          /* ctx.blocks after create: what prepare adds comes before */
    size_t arena_need;          /* planned part + scratch, each rounded up to 64 */
    uint8_t *arena;             /* bound by ember_interp_allocate: ours or the caller's */
    ember_region region;        /* ember_alloc's huge-page region under the default allocator */
    const ember_delegate *delegates[EMBER_MAX_DELEGATES];
    uint32_t delegate_count;
    ember_placements placements; /* valid once allocate has partitioned (0.8) */
    char msg[512];
};

/* Whether ip is a live handle (not NULL, not destroyed). */
static inline bool ember_interp_live(const ember_interp *ip) {
    return ip != NULL && ip->magic == EMBER_INTERP_MAGIC;
}

/* The verified model, or NULL for a dead handle or a model that failed verification. */
static inline const ember_model *ember_interp_model(const ember_interp *ip) {
    return ember_interp_live(ip) && ip->verified ? &ip->model : NULL;
}

/* Delegates (csrc/delegate.c), in ember_interp_allocate's order: partition asks each node's
   delegates and groups the nodes they take; the CPU then prepares the other nodes
   (ember_prepare_node), and prepare_partitions has the delegates prepare theirs, handing the
   nodes of a partition that fails back to ember_prepare_node. release drops every partition
   (before a re-prepare and at destroy). */
ember_status ember_prepare_node(ember_interp *ip, uint32_t i);
#if EMBER_NO_DELEGATES
static inline ember_status ember_delegates_partition(ember_interp *ip) {
    (void)ip;
    return EMBER_STATUS_OK;
}
static inline ember_status ember_delegates_prepare_partitions(ember_interp *ip) {
    (void)ip;
    return EMBER_STATUS_OK;
}
static inline void ember_delegates_release(ember_interp *ip) {
    (void)ip;
}
static inline int32_t ember_node_run(const ember_interp *ip, uint32_t i) {
    (void)ip;
    (void)i;
    return -1;
}
static inline ember_status ember_run_partition(ember_interp *ip, uint32_t run) {
    (void)ip;
    (void)run;
    return EMBER_STATUS_UNSUPPORTED;
}
#else
ember_status ember_delegates_partition(ember_interp *ip);
ember_status ember_delegates_prepare_partitions(ember_interp *ip);
void ember_delegates_release(ember_interp *ip);
/* Node i's run, or -1 when the CPU runs it (also before allocate). */
int32_t ember_node_run(const ember_interp *ip, uint32_t i);
ember_status ember_run_partition(ember_interp *ip, uint32_t run);
#endif


/* ember_alloc without the zero fill: for the arena, whose untouched pages (a plan may leave
   large gaps) should stay uncommitted. */
void *ember_alloc_uninit(ember_context *ctx, size_t size);
/* Short-lived memory from ctx's allocator (not zeroed, freed by ember_temp_free, not kept in
   the block list); NULL with a NO_MEMORY message on failure. */
void *ember_temp_alloc(ember_context *ctx, size_t size);
void ember_temp_free(ember_context *ctx, void *ptr);

/* Under AddressSanitizer invoke poisons the arena outside the running node's tensors, so a
   kernel reading one byte past its input is caught even inside the arena. */
#if defined(__SANITIZE_ADDRESS__)
#define EMBER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define EMBER_ASAN 1
#endif
#endif
#if defined(EMBER_ASAN)
/* Poisons the whole arena and unpoisons node n's non-constant tensors and the scratch area;
   n == NULL unpoisons the whole arena. Internal; the C tests call it to check the poison. */
void ember_arena_guard(const ember_interp *ip, const ember_node *n);
#endif

#endif /* EMBER_INTERP_H */
