/* The OpenCL delegate's internals, shared by its files (not installed). The delegate is a
   plug-in (emberlite.h's ember_delegate): it reaches the core only through ember_core_api and
   OpenCL only through the table cl_api.h loads with dlopen, so it links neither. */
#ifndef EMBER_CLD_H
#define EMBER_CLD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cl_api.h"
#include "emberlite.h"

/* Kernel side (kernels/common.cl, first in the program, so every kernel file may use it):
   REAL is the storage type (float, or half with CLD_FP16); LOAD(ptr, i) gives element i as a
   float and STORE(ptr, i, v) stores a float (vload_half/vstore_half under CLD_FP16), so
   kernels compute in float at either precision; cld_act(x, act) applies a fused activation
   given as the schema's FusedActivation value (CLD_ACT_NONE 0 ... CLD_ACT_HARD_SWISH 5). */

/* One prepared partition (plan.c): its tensors' places on the device, the uploaded weights,
   the kernels with their arguments bound, and the launches invoke enqueues in order. */
typedef struct cld_plan cld_plan;

/* A tensor's place on the device: a buffer and the element offset where the tensor starts in
   it (elements of the plan's precision: float, or half with fp16). Kernels take each tensor as
   two arguments, the buffer and the offset. */
typedef struct cld_ref {
    cl_mem mem;
    uint32_t offset;
} cld_ref;

/* One op the delegate runs. `supports` is asked at claim: true when the node (its types,
   ranks, params) can run, else false with the reason in why. `encode` is called at prepare
   for a supported node: it reads shapes and params through the core's table, uploads what
   the op derives (packed weights) and records its launches; failures go through cld_fail. */
typedef struct cld_op {
    const char *name; /* ember_interp_node_op's name, e.g. "conv2d" */
    bool (*supports)(const ember_core_api *api, const ember_interp *ip, uint32_t node,
                     char *why, size_t why_size);
    ember_status (*encode)(cld_plan *plan, uint32_t node);
} cld_op;

/* The ops, in tables each op family's file defines, NULL-terminated (ops_*.c). */
extern const cld_op *const cld_conv_ops[];   /* conv2d, depthwise_conv2d,
                                                transpose_conv2d, fully_connected */
extern const cld_op *const cld_misc_ops[];   /* element-wise, activations, pools, mean,
                                                softmax, resize, concatenation, reshape,
                                                transpose, ... */

/* The op that runs `op_name`, or NULL. */
const cld_op *cld_find_op(const char *op_name);

/* ---- what an encoder uses (plan.c) ------------------------------------------------------
   Errors stick: after the first failure every call does nothing (returning NULL refs and
   kernels), so an encoder calls them in a row and returns cld_status(plan) at the end. */

const ember_core_api *cld_api(const cld_plan *plan);
ember_interp *cld_interp(const cld_plan *plan);
/* True when the plan computes in half precision (buffers, weights and kernels use `half`). */
bool cld_fp16(const cld_plan *plan);

/* The tensor's place: an activation's slot in the partition's buffer, or a float32
   constant uploaded once (converted to the plan's precision) and shared by every user. */
cld_ref cld_tensor(cld_plan *plan, uint32_t tensor);
/* Uploads `count` float values the op derived (reordered weights, a zero bias), converted to
   the plan's precision; the buffer lives as long as the plan. */
cld_ref cld_upload(cld_plan *plan, const float *values, size_t count);
/* Uploads int32 values (index tables, shapes) unconverted. */
cld_ref cld_upload_i32(cld_plan *plan, const int32_t *values, size_t count);

/* A kernel of the delegate's program by its name in kernels/ *.cl (created at prepare,
   released with the plan). Each launch needs its own kernel object: arguments stay bound. */
cl_kernel cld_kernel(cld_plan *plan, const char *name);

/* Binds a kernel's arguments in order, starting from 0. */
typedef struct cld_args {
    cld_plan *plan;
    cl_kernel kernel;
    cl_uint next;
} cld_args;
cld_args cld_args_begin(cld_plan *plan, cl_kernel kernel);
void cld_arg_ref(cld_args *args, cld_ref ref); /* two arguments: buffer, then offset (int) */
void cld_arg_int(cld_args *args, int32_t value);
void cld_arg_float(cld_args *args, float value);

/* Records a launch of `kernel` over `global` (dims 1 to 3) work items, the work-group size
   left to the driver; invoke enqueues the plan's launches in the order recorded. */
void cld_launch(cld_plan *plan, cl_kernel kernel, uint32_t dims, const size_t *global);
/* As cld_launch with work-groups of `local` work items (each global[i] a multiple of
   local[i]), for kernels whose work items cooperate through __local memory. */
void cld_launch_local(cld_plan *plan, cl_kernel kernel, uint32_t dims, const size_t *global,
                      const size_t *local);
/* The largest power of two at most `want` that is a legal 1-D work-group size for `kernel`
   on the plan's device (CL_DEVICE_MAX_WORK_GROUP_SIZE and the kernel's
   CL_KERNEL_WORK_GROUP_SIZE); 1 when the kernel's size cannot be read or the plan failed. */
size_t cld_group_size(cld_plan *plan, cl_kernel kernel, size_t want);

/* Sets the plan's error (the first one sticks) and returns it. printf-style. */
ember_status cld_fail(cld_plan *plan, ember_status status, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
ember_status cld_status(const cld_plan *plan);

/* ---- helpers for supports() and encoders (ops_common.c) --------------------------------- */

/* Writes a reason into why (printf-style) and returns false. */
bool cld_why(char *why, size_t why_size, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
/* The node's input (is_output 0) or output tensor at position, with its info; false when
   absent (an omitted optional input). */
bool cld_io(const ember_core_api *api, const ember_interp *ip, uint32_t node,
            uint32_t is_output, uint32_t position, uint32_t *tensor, ember_tensor_info *info);
/* The type's name in the schema, lowercase ("float32", "int8"). */
const char *cld_type_name(ember_type type);
/* A check of one of a node's tensors (`side` "input" or "output", its position there):
   false with the reason in why. */
typedef bool (*cld_tensor_check)(const ember_tensor_info *info, const char *side,
                                 uint32_t position, char *why, size_t why_size);
/* Runs check on every present input, then every output, of the node; false at the first
   it refuses. */
bool cld_check_tensors(const ember_core_api *api, const ember_interp *ip, uint32_t node,
                       cld_tensor_check check, char *why, size_t why_size);
/* True when every input present and every output of the node is float32, else the reason. */
bool cld_all_float32(const ember_core_api *api, const ember_interp *ip, uint32_t node,
                     char *why, size_t why_size);
/* The node's param `name` in *out; false when absent or of another kind. */
bool cld_param_of_kind(const ember_core_api *api, const ember_interp *ip, uint32_t node,
                       const char *name, ember_param_kind kind, ember_param *out);
/* An int param (0 on a missing field) / float param (0.0f). */
int64_t cld_param_int(const ember_core_api *api, const ember_interp *ip, uint32_t node,
                      const char *name);
float cld_param_float(const ember_core_api *api, const ember_interp *ip, uint32_t node,
                      const char *name);

#endif /* EMBER_CLD_H */
