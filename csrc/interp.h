/* The interpreter's private state, shared by verifier.c, interp.c and status.c. Not installed. */
#ifndef EMBER_INTERP_H
#define EMBER_INTERP_H

#include "ember_internal.h"

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
} ember_model;

/* Verifies the file and fills `model`, allocating its arrays with ember_alloc(ctx, ...);
   constant tensors get their data pointers into the file. */
ember_status ember_model_load(ember_context *ctx, const void *data, size_t size,
                              bool verify_hash, ember_model *model);

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
    size_t arena_need;          /* planned part + scratch, each rounded up to 64 */
    char msg[512];
};

/* malloc/free honouring the alignment argument (csrc/kernels/common.c). */
extern const ember_allocator ember_malloc_allocator;

#endif /* EMBER_INTERP_H */
