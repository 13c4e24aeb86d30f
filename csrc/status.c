/* Status and type names, error messages, default options. */
#include <stdarg.h>

#include "interp.h"

#if EMBER_STRIP_MESSAGES
/* Appends text to msg[*used..size) (always NUL-terminated). */
static void append(char *msg, size_t size, size_t *used, const char *text) {
    while (*text != '\0' && *used + 1 < size)
        msg[(*used)++] = *text++;
    msg[*used] = '\0';
}

ember_status ember_fail_at(ember_context *ctx, ember_status status, const char *file,
                           unsigned line) {
    if (ctx == NULL || ctx->msg == NULL || ctx->msg_size == 0)
        return status;
    char digits[12];
    size_t first = sizeof digits - 1;
    digits[first] = '\0';
    do {
        digits[--first] = (char)('0' + line % 10);
        line /= 10;
    } while (line != 0 && first > 0);
    size_t used = 0;
    append(ctx->msg, ctx->msg_size, &used, ember_status_str(status));
    append(ctx->msg, ctx->msg_size, &used, " (");
    append(ctx->msg, ctx->msg_size, &used, file);
    append(ctx->msg, ctx->msg_size, &used, ":");
    append(ctx->msg, ctx->msg_size, &used, digits + first);
    append(ctx->msg, ctx->msg_size, &used, ")");
    return status;
}
#else
ember_status ember_fail(ember_context *ctx, ember_status status, const char *fmt, ...) {
    if (ctx != NULL && ctx->msg != NULL && ctx->msg_size > 0) {
        va_list args;
        va_start(args, fmt);
        ember_vformat(ctx->msg, ctx->msg_size, fmt, args);
        va_end(args);
    }
    return status;
}
#endif

const char *ember_status_str(ember_status status) {
    switch (status) {
    case EMBER_STATUS_OK: return "ok";
    case EMBER_STATUS_ERROR: return "error";
    case EMBER_STATUS_INVALID_MODEL: return "invalid model";
    case EMBER_STATUS_UNSUPPORTED: return "unsupported model feature";
    case EMBER_STATUS_VERSION: return "unsupported model version";
    case EMBER_STATUS_HASH_MISMATCH: return "model content hash mismatch";
    case EMBER_STATUS_NO_MEMORY: return "out of memory";
    case EMBER_STATUS_ARENA_TOO_SMALL: return "arena too small";
    case EMBER_STATUS_INVALID_ARGUMENT: return "invalid argument";
    case EMBER_STATUS_MISUSE: return "API misuse";
    case EMBER_STATUS_EVAL_ERROR: return "evaluation error";
    case EMBER_STATUS_UNSIGNED: return "model not signed by a trusted key";
    case EMBER_STATUS_BAD_SIGNATURE: return "bad model signature";
    case EMBER_STATUS_ROLLBACK: return "model version below the minimum";
    default: return "unknown status";
    }
}

const char *ember_type_str(ember_type type) {
    switch (type) {
    case EMBER_TYPE_FLOAT32: return "float32";
    case EMBER_TYPE_FLOAT16: return "float16";
    case EMBER_TYPE_INT8: return "int8";
    case EMBER_TYPE_UINT8: return "uint8";
    case EMBER_TYPE_INT16: return "int16";
    case EMBER_TYPE_INT32: return "int32";
    case EMBER_TYPE_INT64: return "int64";
    case EMBER_TYPE_BOOL: return "bool";
    case EMBER_TYPE_UINT16: return "uint16";
    case EMBER_TYPE_UINT32: return "uint32";
    case EMBER_TYPE_UINT64: return "uint64";
    case EMBER_TYPE_FLOAT64: return "float64";
    case EMBER_TYPE_BFLOAT16: return "bfloat16";
    case EMBER_TYPE_FLOAT8E4M3FN: return "float8e4m3fn";
    case EMBER_TYPE_FLOAT8E4M3FNUZ: return "float8e4m3fnuz";
    case EMBER_TYPE_FLOAT8E5M2: return "float8e5m2";
    case EMBER_TYPE_FLOAT8E5M2FNUZ: return "float8e5m2fnuz";
    case EMBER_TYPE_INT4: return "int4";
    case EMBER_TYPE_UINT4: return "uint4";
    case EMBER_TYPE_INT2: return "int2";
    case EMBER_TYPE_UINT2: return "uint2";
    case EMBER_TYPE_FLOAT4E2M1: return "float4e2m1";
    case EMBER_TYPE_FLOAT8E8M0: return "float8e8m0";
    default: return "unknown type";
    }
}

size_t ember_type_bytes(uint8_t type) {
    switch (type) {
    case EMBER_TYPE_FLOAT32: return 4;
    case EMBER_TYPE_FLOAT16: return 2;
    case EMBER_TYPE_INT8: return 1;
    case EMBER_TYPE_UINT8: return 1;
    case EMBER_TYPE_INT16: return 2;
    case EMBER_TYPE_INT32: return 4;
    case EMBER_TYPE_INT64: return 8;
    case EMBER_TYPE_BOOL: return 1;
    case EMBER_TYPE_UINT16: return 2;
    case EMBER_TYPE_UINT32: return 4;
    case EMBER_TYPE_UINT64: return 8;
    case EMBER_TYPE_FLOAT64: return 8;
    case EMBER_TYPE_BFLOAT16: return 2;
    case EMBER_TYPE_FLOAT8E4M3FN: return 1;
    case EMBER_TYPE_FLOAT8E4M3FNUZ: return 1;
    case EMBER_TYPE_FLOAT8E5M2: return 1;
    case EMBER_TYPE_FLOAT8E5M2FNUZ: return 1;
    case EMBER_TYPE_INT4: /* one element per byte (emberlite.h) */
    case EMBER_TYPE_UINT4:
    case EMBER_TYPE_INT2:
    case EMBER_TYPE_UINT2:
    case EMBER_TYPE_FLOAT4E2M1:
    case EMBER_TYPE_FLOAT8E8M0: return 1;
    default: return 0;
    }
}

size_t ember_type_size(ember_type type) {
    return (unsigned)type < EMBER_TYPE_COUNT ? ember_type_bytes((uint8_t)type) : 0;
}

void ember_options_init(ember_options *options) {
    if (options == NULL)
        return;
    options->isa_mask = EMBER_ISA_ALL;
    options->num_threads = 1;
    options->verify_hash = !EMBER_NO_HASH;
    options->allocator = NULL;
    options->arena = NULL;
    options->arena_size = 0;
    options->trusted_keys = NULL;
    options->trusted_key_count = 0;
    options->min_model_version = 0;
}

const char *ember_errmsg(const ember_interp *interp) {
    if (interp == NULL)
        return "no interpreter (the handle is NULL)";
    if (interp->magic != EMBER_INTERP_MAGIC)
        return "not a live interpreter handle (destroyed or never created)";
    if (interp->msg[0] != '\0')
        return interp->msg;
    return ember_status_str(interp->status);
}
