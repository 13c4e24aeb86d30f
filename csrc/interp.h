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
} ember_model;

/* Verifies the file and fills `model`, allocating its arrays with ember_alloc(ctx, ...);
   constant tensors get their data pointers into the file. */
ember_status ember_model_load(ember_context *ctx, const void *data, size_t size,
                              bool verify_hash, ember_model *model);

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
    char msg[512];
};


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
