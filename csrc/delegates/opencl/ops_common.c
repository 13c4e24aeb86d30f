/* What the op files share: finding an op by name, and the small checks their supports()
   functions make. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cld.h"

static const cld_op *find_in(const cld_op *const *table, const char *op_name) {
    for (size_t i = 0; table[i] != NULL; i++)
        if (strcmp(table[i]->name, op_name) == 0)
            return table[i];
    return NULL;
}

const cld_op *cld_find_op(const char *op_name) {
    if (op_name == NULL)
        return NULL;
    const cld_op *op = find_in(cld_conv_ops, op_name);
    return op != NULL ? op : find_in(cld_misc_ops, op_name);
}

bool cld_why(char *why, size_t why_size, const char *fmt, ...) {
    if (why != NULL && why_size > 0) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(why, why_size, fmt, ap);
        va_end(ap);
    }
    return false;
}

bool cld_io(const ember_core_api *api, const ember_interp *ip, uint32_t node,
            uint32_t is_output, uint32_t position, uint32_t *tensor, ember_tensor_info *info) {
    if (position >= api->node_io_count(ip, node, is_output))
        return false;
    uint32_t t = api->node_io(ip, node, is_output, position);
    if (t == EMBER_NO_TENSOR || api->tensor_info(ip, t, info) != EMBER_STATUS_OK)
        return false;
    if (tensor != NULL)
        *tensor = t;
    return true;
}

const char *cld_type_name(ember_type type) {
    static const char *const names[EMBER_TYPE_COUNT] = {
        "float32", "float16", "int8", "uint8", "int16", "int32", "int64", "bool", "uint16",
        "uint32", "uint64", "float64", "bfloat16", "float8e4m3fn", "float8e4m3fnuz",
        "float8e5m2", "float8e5m2fnuz", "int4", "uint4", "int2", "uint2", "float4e2m1",
        "float8e8m0",
    };
    return (unsigned)type < EMBER_TYPE_COUNT ? names[type] : "an unknown type";
}

bool cld_check_tensors(const ember_core_api *api, const ember_interp *ip, uint32_t node,
                       cld_tensor_check check, char *why, size_t why_size) {
    for (uint32_t is_output = 0; is_output < 2; is_output++) {
        const uint32_t count = api->node_io_count(ip, node, is_output);
        for (uint32_t i = 0; i < count; i++) {
            ember_tensor_info info;
            if (cld_io(api, ip, node, is_output, i, NULL, &info) &&
                !check(&info, is_output ? "output" : "input", i, why, why_size))
                return false;
        }
    }
    return true;
}

static bool is_float32(const ember_tensor_info *info, const char *side, uint32_t position,
                       char *why, size_t why_size) {
    if (info->type != EMBER_TYPE_FLOAT32)
        return cld_why(why, why_size, "%s %u is %s, the delegate runs float32 only", side,
                       (unsigned)position, cld_type_name(info->type));
    return true;
}

bool cld_all_float32(const ember_core_api *api, const ember_interp *ip, uint32_t node,
                     char *why, size_t why_size) {
    return cld_check_tensors(api, ip, node, is_float32, why, why_size);
}

bool cld_param_of_kind(const ember_core_api *api, const ember_interp *ip, uint32_t node,
                       const char *name, ember_param_kind kind, ember_param *out) {
    return api->node_param(ip, node, name, out) == EMBER_STATUS_OK && out->kind == kind;
}

int64_t cld_param_int(const ember_core_api *api, const ember_interp *ip, uint32_t node,
                      const char *name) {
    ember_param p;
    return cld_param_of_kind(api, ip, node, name, EMBER_PARAM_INT, &p) ? p.i : 0;
}

float cld_param_float(const ember_core_api *api, const ember_interp *ip, uint32_t node,
                      const char *name) {
    ember_param p;
    return cld_param_of_kind(api, ip, node, name, EMBER_PARAM_FLOAT, &p) ? p.f : 0.0f;
}
