/* ember_interp_node_param: a node's params read by field name, from the list the schema
   generator writes (ember_schema.h's EMBER_PARAM_FIELDS), so no op's fields are listed twice. */
#include <string.h>

#include "interp.h"

enum field_kind {
    EMBER_FIELD_U8,
    EMBER_FIELD_I8,
    EMBER_FIELD_I32,
    EMBER_FIELD_U32,
    EMBER_FIELD_I64,
    EMBER_FIELD_F32,
    EMBER_FIELD_I32_VECTOR
};

typedef struct param_field {
    uint8_t params_type;
    const char *name;
    uint32_t slot;
    enum field_kind kind;
    double fallback; /* the schema's default */
} param_field;

#define PARAM_FIELD(type, name, slot, kind, fallback) {type, name, slot, kind, fallback},
static const param_field fields[] = {EMBER_PARAM_FIELDS(PARAM_FIELD)};

static const param_field *find_field(uint8_t params_type, const char *name) {
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
        if (fields[i].params_type == params_type && strcmp(fields[i].name, name) == 0)
            return &fields[i];
    }
    return NULL;
}

static ember_status read_vector(const ember_fb_table *t, uint32_t slot, ember_param *out) {
    ember_fb_vector v;
    if (!ember_fb_vector_field(t, slot, 4, &v))
        return EMBER_STATUS_INVALID_MODEL;
    if (v.len > EMBER_MAX_PARAM_INTS)
        return EMBER_STATUS_UNSUPPORTED;
    out->kind = EMBER_PARAM_INTS;
    out->count = v.len;
    for (uint32_t k = 0; k < v.len; k++)
        out->ints[k] = ember_fb_vector_i32(&v, k);
    return EMBER_STATUS_OK;
}

/* The verifier read every params table of the model, so a read failing here means bytes
   that changed since create. */
static ember_status read_field(const ember_fb_table *t, const param_field *f, ember_param *out) {
    uint8_t u8;
    int32_t i32;
    uint32_t u32;
    int64_t i64;
    bool ok = true;
    out->kind = EMBER_PARAM_INT;
    switch (f->kind) {
    case EMBER_FIELD_U8:
        ok = ember_fb_u8(t, f->slot, (uint8_t)f->fallback, &u8);
        out->i = u8;
        break;
    case EMBER_FIELD_I8:
        ok = ember_fb_u8(t, f->slot, (uint8_t)(int8_t)f->fallback, &u8);
        out->i = (int8_t)u8;
        break;
    case EMBER_FIELD_I32:
        ok = ember_fb_i32(t, f->slot, (int32_t)f->fallback, &i32);
        out->i = i32;
        break;
    case EMBER_FIELD_U32:
        ok = ember_fb_u32(t, f->slot, (uint32_t)f->fallback, &u32);
        out->i = u32;
        break;
    case EMBER_FIELD_I64:
        ok = ember_fb_i64(t, f->slot, (int64_t)f->fallback, &i64);
        out->i = i64;
        break;
    case EMBER_FIELD_F32:
        out->kind = EMBER_PARAM_FLOAT;
        ok = ember_fb_f32(t, f->slot, (float)f->fallback, &out->f);
        break;
    case EMBER_FIELD_I32_VECTOR:
        return read_vector(t, f->slot, out);
    }
    return ok ? EMBER_STATUS_OK : EMBER_STATUS_INVALID_MODEL;
}

ember_status ember_interp_node_param(const ember_interp *ip, uint32_t node, const char *name,
                                     ember_param *out) {
    if (ember_interp_model(ip) == NULL)
        return EMBER_STATUS_MISUSE;
    if (node >= ip->model.node_count || name == NULL || out == NULL)
        return EMBER_STATUS_INVALID_ARGUMENT;
    const ember_node *n = &ip->model.nodes[node];
    const param_field *f = n->params_type != 0 ? find_field(n->params_type, name) : NULL;
    if (f == NULL)
        return EMBER_STATUS_INVALID_ARGUMENT;
    memset(out, 0, sizeof *out);
    return read_field(&n->params, f, out);
}
