/* Bounds-checked FlatBuffer reading. Every position is checked against the buffer before it
   is read, in 64-bit arithmetic so no sum can wrap; values are assembled byte by byte, so
   the reader works on any host byte order and at any alignment of the caller's buffer. */
#include <string.h>

#include "ember_internal.h"

static uint16_t rd16(const uint8_t *p) {
    return (uint16_t)(p[0] | (uint16_t)(p[1] << 8));
}

static uint32_t rd32(const uint8_t *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t rd64(const uint8_t *p) {
    return (uint64_t)rd32(p) | (uint64_t)rd32(p + 4) << 32;
}

static bool fits(size_t size, uint64_t pos, uint64_t len) {
    return pos <= size && len <= size - pos;
}

static bool table_at(const uint8_t *buf, size_t size, uint64_t pos, ember_fb_table *out) {
    if (pos % 4 != 0 || !fits(size, pos, 4))
        return false;
    int64_t vtable = (int64_t)pos - (int32_t)rd32(buf + pos);
    if (vtable < 0 || vtable % 2 != 0 || !fits(size, (uint64_t)vtable, 4))
        return false;
    uint16_t vt_bytes = rd16(buf + vtable);
    uint16_t table_bytes = rd16(buf + vtable + 2);
    if (vt_bytes < 4 || vt_bytes % 2 != 0 || !fits(size, (uint64_t)vtable, vt_bytes))
        return false;
    if (table_bytes < 4 || !fits(size, pos, table_bytes))
        return false;
    out->buf = buf;
    out->size = size;
    out->pos = (uint32_t)pos;
    out->vtable = (uint32_t)vtable;
    out->vt_fields = (uint16_t)((vt_bytes - 4) / 2);
    return true;
}

bool ember_fb_root(const uint8_t *buf, size_t size, ember_fb_table *root) {
    /* Offsets inside a FlatBuffer are 32-bit; a larger file only adds data after it. */
    if (size > UINT32_MAX)
        size = UINT32_MAX;
    if (buf == NULL || size < 8)
        return false;
    return table_at(buf, size, rd32(buf), root);
}

/* Locates a field of `width` bytes: *pos = 0 when absent; false when it lies outside the
   table or is misaligned for `align`. */
static bool field(const ember_fb_table *t, uint32_t slot, uint32_t width, uint32_t align,
                  uint32_t *pos) {
    *pos = 0;
    if (t->buf == NULL || slot >= t->vt_fields)
        return true;
    uint16_t off = rd16(t->buf + t->vtable + 4 + 2 * (size_t)slot);
    if (off == 0)
        return true;
    uint16_t table_bytes = rd16(t->buf + t->vtable + 2);
    if (off < 4 || (uint32_t)off + width > table_bytes)
        return false;
    uint32_t p = t->pos + off;
    if (align > 1 && p % align != 0)
        return false;
    *pos = p;
    return true;
}

uint32_t ember_fb_field_pos(const ember_fb_table *t, uint32_t slot) {
    uint32_t pos;
    return field(t, slot, 1, 1, &pos) ? pos : 0;
}

static bool scalar(const ember_fb_table *t, uint32_t slot, uint32_t width, const uint8_t **p) {
    uint32_t pos;
    if (!field(t, slot, width, width, &pos))
        return false;
    *p = pos ? t->buf + pos : NULL;
    return true;
}

bool ember_fb_u8(const ember_fb_table *t, uint32_t slot, uint8_t def, uint8_t *out) {
    const uint8_t *p;
    if (!scalar(t, slot, 1, &p))
        return false;
    *out = p ? p[0] : def;
    return true;
}

bool ember_fb_u16(const ember_fb_table *t, uint32_t slot, uint16_t def, uint16_t *out) {
    const uint8_t *p;
    if (!scalar(t, slot, 2, &p))
        return false;
    *out = p ? rd16(p) : def;
    return true;
}

bool ember_fb_i32(const ember_fb_table *t, uint32_t slot, int32_t def, int32_t *out) {
    const uint8_t *p;
    if (!scalar(t, slot, 4, &p))
        return false;
    *out = p ? (int32_t)rd32(p) : def;
    return true;
}

bool ember_fb_u32(const ember_fb_table *t, uint32_t slot, uint32_t def, uint32_t *out) {
    const uint8_t *p;
    if (!scalar(t, slot, 4, &p))
        return false;
    *out = p ? rd32(p) : def;
    return true;
}

bool ember_fb_i64(const ember_fb_table *t, uint32_t slot, int64_t def, int64_t *out) {
    const uint8_t *p;
    if (!scalar(t, slot, 8, &p))
        return false;
    *out = p ? (int64_t)rd64(p) : def;
    return true;
}

bool ember_fb_u64(const ember_fb_table *t, uint32_t slot, uint64_t def, uint64_t *out) {
    const uint8_t *p;
    if (!scalar(t, slot, 8, &p))
        return false;
    *out = p ? rd64(p) : def;
    return true;
}

bool ember_fb_f32(const ember_fb_table *t, uint32_t slot, float def, float *out) {
    const uint8_t *p;
    if (!scalar(t, slot, 4, &p))
        return false;
    if (p) {
        uint32_t bits = rd32(p);
        memcpy(out, &bits, sizeof *out);
    } else {
        *out = def;
    }
    return true;
}

/* Follows a uoffset field: *target = 0 when absent. */
static bool offset_field(const ember_fb_table *t, uint32_t slot, uint64_t *target) {
    uint32_t pos;
    *target = 0;
    if (!field(t, slot, 4, 4, &pos))
        return false;
    if (pos == 0)
        return true;
    *target = (uint64_t)pos + rd32(t->buf + pos);
    return *target < t->size;
}

bool ember_fb_table_field(const ember_fb_table *t, uint32_t slot, ember_fb_table *out,
                          bool *present) {
    uint64_t target;
    *present = false;
    if (!offset_field(t, slot, &target))
        return false;
    if (target == 0)
        return true;
    *present = true;
    return table_at(t->buf, t->size, target, out);
}

static bool vector_at(const uint8_t *buf, size_t size, uint64_t pos, uint32_t elem_size,
                      ember_fb_vector *out) {
    if (elem_size == 0 || pos % 4 != 0 || !fits(size, pos, 4))
        return false;
    uint32_t len = rd32(buf + pos);
    uint64_t data = pos + 4;
    bool pow2 = elem_size == 1 || elem_size == 2 || elem_size == 4 || elem_size == 8;
    if (pow2 && data % elem_size != 0)
        return false;
    if (!fits(size, data, (uint64_t)len * elem_size))
        return false;
    out->buf = buf;
    out->size = size;
    out->data = (uint32_t)data;
    out->len = len;
    return true;
}

bool ember_fb_vector_field(const ember_fb_table *t, uint32_t slot, uint32_t elem_size,
                           ember_fb_vector *out) {
    uint64_t target;
    out->buf = t->buf;
    out->size = t->size;
    out->data = 0;
    out->len = 0;
    if (!offset_field(t, slot, &target))
        return false;
    if (target == 0)
        return true;
    return vector_at(t->buf, t->size, target, elem_size, out);
}

bool ember_fb_string_field(const ember_fb_table *t, uint32_t slot, const char **str,
                           uint32_t *len) {
    ember_fb_vector v;
    *str = "";
    *len = 0;
    if (!ember_fb_vector_field(t, slot, 1, &v))
        return false;
    if (v.data == 0)
        return true;
    /* The terminating NUL lies after the counted bytes and must be inside the buffer. */
    if (!fits(v.size, v.data, (uint64_t)v.len + 1) || v.buf[v.data + v.len] != 0)
        return false;
    *str = (const char *)v.buf + v.data;
    *len = v.len;
    return true;
}

bool ember_fb_struct_field(const ember_fb_table *t, uint32_t slot, uint32_t struct_size,
                           uint32_t *pos) {
    return field(t, slot, struct_size, 1, pos);
}

int32_t ember_fb_vector_i32(const ember_fb_vector *v, uint32_t i) {
    return i < v->len ? (int32_t)rd32(v->buf + v->data + 4 * (size_t)i) : 0;
}

int64_t ember_fb_vector_i64(const ember_fb_vector *v, uint32_t i) {
    return i < v->len ? (int64_t)rd64(v->buf + v->data + 8 * (size_t)i) : 0;
}

float ember_fb_vector_f32(const ember_fb_vector *v, uint32_t i) {
    float f = 0.0f;
    if (i < v->len) {
        uint32_t bits = rd32(v->buf + v->data + 4 * (size_t)i);
        memcpy(&f, &bits, sizeof f);
    }
    return f;
}

bool ember_fb_vector_table(const ember_fb_vector *v, uint32_t i, ember_fb_table *out) {
    if (i >= v->len)
        return false;
    uint64_t pos = (uint64_t)v->data + 4 * (uint64_t)i;
    if (!fits(v->size, pos, 4))
        return false;
    return table_at(v->buf, v->size, pos + rd32(v->buf + pos), out);
}
