/* One case per verifier error path: each case patches a good model's bytes (found through the
   FlatBuffer reader), re-hashes where the check comes after the hash, and expects the status
   and a telling part of the message, from both ember_interp_create and ember_model_verify. */
#define _DEFAULT_SOURCE /* mmap and mincore, for the page-commit test */
#include <math.h>
#include <sys/mman.h>
#include <unistd.h>

#include "ember_internal.h"
#include "test_util.h"

typedef struct model {
    uint8_t *buf;
    size_t size;
} model;

static uint8_t *conv_file, *quant_file, *dq_file, *concat_file;
static size_t conv_size, quant_size, dq_size, concat_size;

static model load(const uint8_t *file, size_t size) {
    model m = {test_aligned_copy(file, size), size};
    return m;
}

static void put16(uint8_t *p, uint16_t v) {
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, uint32_t v) {
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static void put64(uint8_t *p, uint64_t v) {
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t get32(const uint8_t *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static ember_fb_table root_of(const model *m) {
    ember_fb_table t = {0};
    CHECK(ember_fb_root(m->buf, m->size, &t));
    return t;
}

static ember_fb_table vec_table(const ember_fb_table *t, uint32_t slot, uint32_t i) {
    ember_fb_vector v;
    ember_fb_table out = {0};
    CHECK(ember_fb_vector_field(t, slot, 4, &v) && ember_fb_vector_table(&v, i, &out));
    return out;
}

static ember_fb_table subgraph(const model *m) {
    ember_fb_table root = root_of(m);
    return vec_table(&root, EMBER_SLOT_MODEL_SUBGRAPHS, 0);
}

static ember_fb_table tensor_table(const model *m, uint32_t i) {
    ember_fb_table sg = subgraph(m);
    return vec_table(&sg, EMBER_SLOT_SUBGRAPH_TENSORS, i);
}

static ember_fb_table op_table(const model *m, uint32_t i) {
    ember_fb_table sg = subgraph(m);
    return vec_table(&sg, EMBER_SLOT_SUBGRAPH_OPERATORS, i);
}

/* Address of a present scalar field. */
static uint8_t *field(const model *m, const ember_fb_table *t, uint32_t slot) {
    ember_fb_table here = *t;
    here.buf = m->buf; /* t may have been found in another copy of the same file */
    uint32_t pos = ember_fb_field_pos(&here, slot);
    CHECK(pos != 0);
    return m->buf + pos;
}

/* Address of element i of a vector field (or of its length word for i = -1). */
static uint8_t *vec_elem(const model *m, const ember_fb_table *t, uint32_t slot, uint32_t size,
                         int i) {
    ember_fb_table here = *t;
    here.buf = m->buf;
    ember_fb_vector v;
    CHECK(ember_fb_vector_field(&here, slot, size, &v) && v.data != 0);
    return m->buf + v.data + (i < 0 ? -4 : (ptrdiff_t)i * (ptrdiff_t)size);
}

static uint32_t tensor_index(const model *m, const char *name) {
    ember_fb_table sg = subgraph(m);
    ember_fb_vector v;
    CHECK(ember_fb_vector_field(&sg, EMBER_SLOT_SUBGRAPH_TENSORS, 4, &v));
    for (uint32_t i = 0; i < v.len; i++) {
        ember_fb_table t = tensor_table(m, i);
        const char *s;
        uint32_t len;
        if (ember_fb_string_field(&t, EMBER_SLOT_TENSOR_NAME, &s, &len) && strcmp(s, name) == 0)
            return i;
    }
    CHECK_MSG(0, "no tensor '%s'", name);
    return 0;
}

static ember_fb_table named_tensor(const model *m, const char *name) {
    return tensor_table(m, tensor_index(m, name));
}

static ember_fb_table buffer_of(const model *m, const char *tensor) {
    ember_fb_table t = named_tensor(m, tensor);
    ember_fb_table root = root_of(m);
    return vec_table(&root, EMBER_SLOT_MODEL_BUFFERS,
                     get32(field(m, &t, EMBER_SLOT_TENSOR_BUFFER)));
}

static void rehash(model *m) {
    ember_fb_table root = root_of(m);
    uint32_t pos = 0;
    CHECK(ember_fb_struct_field(&root, EMBER_SLOT_MODEL_CONTENT_HASH, 32, &pos) && pos != 0);
    memset(m->buf + pos, 0, 32);
    ember_sha256 h;
    ember_sha256_init(&h);
    ember_sha256_update(&h, m->buf, m->size);
    ember_sha256_final(&h, m->buf + pos);
}

/* Runs the case and frees the model. `hash`: re-hash first, so checks after the hash fire. */
static void expect(const char *name, model m, bool hash, ember_status want, const char *needle) {
    if (hash)
        rehash(&m);
    ember_interp *ip = NULL;
    ember_status st = ember_interp_create(m.buf, m.size, NULL, &ip);
    const char *msg = ember_errmsg(ip);
    CHECK_MSG(st == want, "%s: got %s, want %s (%s)", name, ember_status_str(st),
              ember_status_str(want), msg);
    CHECK_MSG(needle == NULL || strstr(msg, needle) != NULL, "%s: message '%s' lacks '%s'", name,
              msg, needle);
    char buf[512];
    CHECK_MSG(ember_model_verify(m.buf, m.size, buf, sizeof buf) == st && strcmp(buf, msg) == 0,
              "%s: ember_model_verify disagrees: %s", name, buf);
    ember_interp_destroy(ip);
    free(m.buf);
}

static void test_good_models(void) {
    expect("conv model", load(conv_file, conv_size), false, EMBER_STATUS_OK, "ok");
    expect("quant model", load(quant_file, quant_size), false, EMBER_STATUS_OK, "ok");
    expect("dequantized weights model", load(dq_file, dq_size), false, EMBER_STATUS_OK, "ok");
}

static void test_arguments(void) {
    model m = load(conv_file, conv_size);
    uint8_t *shifted = aligned_alloc(64, (conv_size + 127) / 64 * 64);
    memcpy(shifted + 8, m.buf, conv_size);
    ember_interp *ip = NULL;
    CHECK(ember_interp_create(shifted + 8, conv_size, NULL, &ip) ==
          EMBER_STATUS_INVALID_ARGUMENT);
    CHECK(strstr(ember_errmsg(ip), "aligned") != NULL);
    ember_interp_destroy(ip);
    CHECK(ember_interp_create(NULL, 100, NULL, &ip) == EMBER_STATUS_INVALID_ARGUMENT);
    ember_interp_destroy(ip);
    CHECK(ember_interp_create(m.buf, m.size, NULL, NULL) == EMBER_STATUS_INVALID_ARGUMENT);
    free(shifted);
    free(m.buf);
}

static void test_truncation(void) {
    int accepted = 0;
    for (size_t n = 0; n < conv_size; n++) {
        for (int hash = 0; hash < 2; hash++) {
            ember_options o;
            ember_options_init(&o);
            o.verify_hash = hash;
            ember_interp *ip = NULL;
            uint8_t *copy = test_aligned_copy(conv_file, n);
            if (ember_interp_create(copy, n, &o, &ip) == EMBER_STATUS_OK)
                accepted++;
            ember_interp_destroy(ip);
            free(copy);
        }
    }
    CHECK_MSG(accepted == 0, "%d truncated files were accepted", accepted);
    model m = load(conv_file, conv_size);
    m.size = 5;
    expect("too short", m, false, EMBER_STATUS_INVALID_MODEL, "too short");
}

static void test_header(void) {
    model m = load(conv_file, conv_size);
    m.buf[5] = 'X';
    expect("identifier", m, false, EMBER_STATUS_INVALID_MODEL, "identifier");

    m = load(conv_file, conv_size);
    put32(m.buf, (uint32_t)m.size + 100);
    expect("root offset", m, false, EMBER_STATUS_INVALID_MODEL, "root table");

    m = load(conv_file, conv_size);
    ember_fb_table root = root_of(&m);
    put16(m.buf + root.vtable, 5);
    expect("odd vtable size", m, false, EMBER_STATUS_INVALID_MODEL, "root table");

    m = load(conv_file, conv_size);
    root = root_of(&m);
    put32(field(&m, &root, EMBER_SLOT_MODEL_FORMAT_VERSION), EMBER_FORMAT_VERSION + 1);
    expect("version too new", m, true, EMBER_STATUS_VERSION, "too new");

    m = load(conv_file, conv_size);
    root = root_of(&m);
    put32(field(&m, &root, EMBER_SLOT_MODEL_FORMAT_VERSION), 0);
    expect("version too old", m, true, EMBER_STATUS_VERSION, "too old");

    m = load(conv_file, conv_size);
    root = root_of(&m);
    put32(field(&m, &root, EMBER_SLOT_MODEL_MIN_RUNTIME_VERSION), 10203);
    expect("runtime too old", m, true, EMBER_STATUS_VERSION, "needs runtime >= 1.2.3, this is");
}

/* Format 10's body_size: inside the file, and nothing the verifier reads may lie past it (in
   the signature block, which the hash does not cover). */
static void test_body_size(void) {
    static const uint64_t outside[] = {0, 7, UINT64_MAX};
    for (size_t i = 0; i < sizeof outside / sizeof *outside; i++) {
        model m = load(conv_file, conv_size);
        ember_fb_table root = root_of(&m);
        put64(field(&m, &root, EMBER_SLOT_MODEL_BODY_SIZE), outside[i]);
        expect("body_size outside the file", m, false, EMBER_STATUS_INVALID_MODEL, "body_size");
    }
    model m = load(conv_file, conv_size);
    ember_fb_table root = root_of(&m);
    put64(field(&m, &root, EMBER_SLOT_MODEL_BODY_SIZE), conv_size + 1);
    expect("body_size past the end", m, false, EMBER_STATUS_INVALID_MODEL, "outside the file");

    /* The last weights passed off as a well-formed signature block of one entry, the body
       re-hashed without them: the buffer that reaches into the block is refused. */
    size_t block = 16 + EMBER_KEY_ID_SIZE + EMBER_SIGNATURE_SIZE, body = conv_size - block;
    m = load(conv_file, conv_size);
    root = root_of(&m);
    put64(field(&m, &root, EMBER_SLOT_MODEL_BODY_SIZE), body);
    memcpy(m.buf + body, "EMSB", 4);
    put32(m.buf + body + 4, 1);
    put32(m.buf + body + 8, 1);
    put32(m.buf + body + 12, 0);
    m.size = body;
    rehash(&m);
    m.size = conv_size;
    expect("buffer in the signature block", m, false, EMBER_STATUS_INVALID_MODEL, "buffer");

    static const uint8_t empty_block[16] = {'E', 'M', 'S', 'B', 1};
    uint8_t *longer = malloc(conv_size + sizeof empty_block);
    memcpy(longer, conv_file, conv_size);
    memcpy(longer + conv_size, empty_block, sizeof empty_block);
    m = load(longer, conv_size + sizeof empty_block);
    free(longer);
    expect("empty signature block", m, false, EMBER_STATUS_INVALID_MODEL, "signature block");
}

static void test_hash(void) {
    model m = load(conv_file, conv_size);
    m.buf[m.size - 1] ^= 1;
    expect("hash", m, false, EMBER_STATUS_HASH_MISMATCH, "hash mismatch");

    m = load(conv_file, conv_size);
    m.buf[m.size - 1] ^= 1;
    ember_options o;
    ember_options_init(&o);
    o.verify_hash = 0;
    ember_interp *ip = NULL;
    CHECK(ember_interp_create(m.buf, m.size, &o, &ip) == EMBER_STATUS_OK);
    ember_interp_destroy(ip);
    free(m.buf);
}

static void test_structure(void) {
    model m = load(conv_file, conv_size);
    ember_fb_table root = root_of(&m);
    put32(vec_elem(&m, &root, EMBER_SLOT_MODEL_SUBGRAPHS, 4, -1), 2);
    expect("two subgraphs", m, true, EMBER_STATUS_UNSUPPORTED, "2 subgraphs");

    m = load(conv_file, conv_size);
    root = root_of(&m);
    put32(vec_elem(&m, &root, EMBER_SLOT_MODEL_SUBGRAPHS, 4, -1), 0);
    expect("no subgraph", m, true, EMBER_STATUS_INVALID_MODEL, "0 subgraphs");

    m = load(conv_file, conv_size);
    ember_fb_table sg = subgraph(&m);
    put32(vec_elem(&m, &sg, EMBER_SLOT_SUBGRAPH_TENSORS, 4, -1), 0x40000000);
    expect("huge vector", m, true, EMBER_STATUS_INVALID_MODEL, "subgraph table is malformed");

    m = load(conv_file, conv_size);
    ember_fb_table t = named_tensor(&m, "x");
    ember_fb_vector name;
    CHECK(ember_fb_vector_field(&t, EMBER_SLOT_TENSOR_NAME, 1, &name));
    m.buf[name.data + name.len] = 'A';
    expect("name without NUL", m, true, EMBER_STATUS_INVALID_MODEL, "name is malformed");

    m = load(conv_file, conv_size);
    t = named_tensor(&m, "conv.w");
    put16(m.buf + t.vtable + 4 + 2 * EMBER_SLOT_TENSOR_TYPE, 0x7ff0);
    expect("field past table", m, true, EMBER_STATUS_INVALID_MODEL, "malformed");

    m = load(conv_file, conv_size);
    root = root_of(&m);
    ember_fb_table meta = vec_table(&root, EMBER_SLOT_MODEL_METADATA, 0);
    CHECK(ember_fb_vector_field(&meta, EMBER_SLOT_METADATA_VALUE, 1, &name));
    m.buf[name.data + name.len] = 'A';
    expect("metadata", m, true, EMBER_STATUS_INVALID_MODEL, "metadata entry 0");
}

static void test_tensors(void) {
    model m = load(conv_file, conv_size);
    ember_fb_table t = named_tensor(&m, "conv.w");
    *field(&m, &t, EMBER_SLOT_TENSOR_TYPE) = 99;
    expect("type", m, true, EMBER_STATUS_INVALID_MODEL, "data type 99");

    m = load(conv_file, conv_size);
    t = named_tensor(&m, "x");
    put32(vec_elem(&m, &t, EMBER_SLOT_TENSOR_SHAPE, 4, 1), (uint32_t)-3);
    expect("negative dim", m, true, EMBER_STATUS_INVALID_MODEL, "dim 1 is -3");

    m = load(conv_file, conv_size);
    t = named_tensor(&m, "conv.w");
    put32(vec_elem(&m, &t, EMBER_SLOT_TENSOR_SHAPE, 4, -1), EMBER_MAX_RANK + 1);
    expect("rank", m, true, EMBER_STATUS_UNSUPPORTED, "rank 9");

    m = load(conv_file, conv_size);
    t = named_tensor(&m, "x");
    for (int d = 0; d < 4; d++)
        put32(vec_elem(&m, &t, EMBER_SLOT_TENSOR_SHAPE, 4, d), 0x7fffffff);
    expect("count overflow", m, true, EMBER_STATUS_INVALID_MODEL, "too large");

    m = load(conv_file, conv_size);
    t = named_tensor(&m, "conv.w");
    put32(field(&m, &t, EMBER_SLOT_TENSOR_BUFFER), 100);
    expect("buffer index", m, true, EMBER_STATUS_INVALID_MODEL, "buffer index 100");

    m = load(conv_file, conv_size);
    t = named_tensor(&m, "conv.w");
    put64(field(&m, &t, EMBER_SLOT_TENSOR_ARENA_OFFSET), 0);
    expect("constant with arena offset", m, true, EMBER_STATUS_INVALID_MODEL,
           "must have a buffer (constant), an arena offset, or neither");

    m = load(conv_file, conv_size);
    t = named_tensor(&m, "x");
    put64(field(&m, &t, EMBER_SLOT_TENSOR_ARENA_OFFSET), (uint64_t)-1);
    expect("input with neither", m, true, EMBER_STATUS_INVALID_MODEL,
           "'x' is a constant (it has no arena offset)");

    m = load(conv_file, conv_size);
    t = named_tensor(&m, "y");
    put64(field(&m, &t, EMBER_SLOT_TENSOR_ARENA_OFFSET), (uint64_t)-1);
    expect("output with neither", m, true, EMBER_STATUS_INVALID_MODEL,
           "'y' is a constant (it has no arena offset)");
}

/* Tensors computed at prepare (no buffer, no arena offset) and the stored weights they come
   from: only a DEQUANTIZE of a stored constant may write one, and the stored weights' quant
   params and sizes must fit, or the kernel would read past them. */
static void test_prepared(void) {
    model m = load(conv_file, conv_size);
    ember_fb_table t = named_tensor(&m, "relu");
    put64(field(&m, &t, EMBER_SLOT_TENSOR_ARENA_OFFSET), (uint64_t)-1);
    expect("relu writes a prepared tensor", m, true, EMBER_STATUS_INVALID_MODEL,
           "node 1 (relu): output 0 writes tensor");

    m = load(dq_file, dq_size);
    ember_fb_table op = op_table(&m, 0);
    put32(vec_elem(&m, &op, EMBER_SLOT_OPERATOR_INPUTS, 4, 0), tensor_index(&m, "x"));
    expect("dequantize of a run-time tensor", m, true, EMBER_STATUS_INVALID_MODEL,
           "only a DEQUANTIZE of a stored constant may write such a tensor");

    m = load(dq_file, dq_size);
    t = named_tensor(&m, "conv.w.i8");
    ember_fb_table q;
    bool present = false;
    CHECK(ember_fb_table_field(&t, EMBER_SLOT_TENSOR_QUANT, &q, &present) && present);
    put32(field(&m, &q, EMBER_SLOT_QUANT_PARAMS_AXIS), 1);
    expect("per-channel axis", m, true, EMBER_STATUS_INVALID_MODEL,
           "4 per-channel scales, but dim 1 has 3 channels");

    m = load(dq_file, dq_size);
    put32(field(&m, &q, EMBER_SLOT_QUANT_PARAMS_AXIS), 4);
    expect("per-channel axis range", m, true, EMBER_STATUS_INVALID_MODEL,
           "axis 4 is out of range for rank 4");

    m = load(dq_file, dq_size);
    put32(vec_elem(&m, &q, EMBER_SLOT_QUANT_PARAMS_SCALE, 4, -1), 3);
    put32(vec_elem(&m, &q, EMBER_SLOT_QUANT_PARAMS_ZERO_POINT, 8, -1), 3);
    expect("per-channel count", m, true, EMBER_STATUS_INVALID_MODEL,
           "3 per-channel scales, but dim 0 has 4 channels");

    m = load(dq_file, dq_size);
    put64(vec_elem(&m, &q, EMBER_SLOT_QUANT_PARAMS_ZERO_POINT, 8, 2), 300);
    expect("per-channel zero point", m, true, EMBER_STATUS_INVALID_MODEL,
           "zero point 2 must be in [-128, 127], got 300");

    m = load(dq_file, dq_size);
    t = named_tensor(&m, "conv.w.i8");
    *field(&m, &t, EMBER_SLOT_TENSOR_TYPE) = EMBER_TYPE_FLOAT16;
    expect("int8 weights read as float16", m, true, EMBER_STATUS_INVALID_MODEL,
           "holds 108 bytes, shape [4,3,3,3] float16 needs 216");

    m = load(dq_file, dq_size);
    t = named_tensor(&m, "fc.w.f16");
    *field(&m, &t, EMBER_SLOT_TENSOR_TYPE) = EMBER_TYPE_FLOAT32;
    expect("float16 weights read as float32", m, true, EMBER_STATUS_INVALID_MODEL,
           "holds 1440 bytes, shape [5,144] float32 needs 2880");

    m = load(dq_file, dq_size);
    t = named_tensor(&m, "fc.w.f16");
    put32(vec_elem(&m, &t, EMBER_SLOT_TENSOR_SHAPE, 4, 1), 145);
    expect("float16 shape", m, true, EMBER_STATUS_INVALID_MODEL, "float16 needs 1450");

    m = load(dq_file, dq_size);
    t = named_tensor(&m, "fc.w");
    put32(vec_elem(&m, &t, EMBER_SLOT_TENSOR_SHAPE, 4, 1), 145);
    expect("dequantize shape", m, true, EMBER_STATUS_INVALID_MODEL,
           "(dequantize): output dim 1 must equal the input's 144, got 145");

    m = load(dq_file, dq_size);
    t = named_tensor(&m, "fc.w");
    *field(&m, &t, EMBER_SLOT_TENSOR_TYPE) = EMBER_TYPE_INT8;
    expect("dequantize output type", m, true, EMBER_STATUS_INVALID_MODEL, "output");
}

static void test_buffers(void) {
    model m = load(conv_file, conv_size);
    ember_fb_table b = buffer_of(&m, "conv.w");
    uint8_t *size = field(&m, &b, EMBER_SLOT_BUFFER_SIZE);
    put64(size, get32(size) - 4);
    expect("buffer too small", m, true, EMBER_STATUS_INVALID_MODEL,
           "'conv.w': buffer 0 holds 428 bytes, shape [4,3,3,3] float32 needs 432");

    m = load(conv_file, conv_size);
    b = buffer_of(&m, "conv.w");
    uint8_t *offset = field(&m, &b, EMBER_SLOT_BUFFER_OFFSET);
    put64(offset, get32(offset) + 16);
    expect("buffer misaligned", m, true, EMBER_STATUS_INVALID_MODEL, "multiple of 64");

    m = load(conv_file, conv_size);
    b = buffer_of(&m, "conv.w");
    put64(field(&m, &b, EMBER_SLOT_BUFFER_OFFSET), (m.size + 64) / 64 * 64);
    expect("buffer past end", m, true, EMBER_STATUS_INVALID_MODEL, "past the end");

    m = load(conv_file, conv_size);
    b = buffer_of(&m, "conv.w");
    put64(field(&m, &b, EMBER_SLOT_BUFFER_SIZE), UINT64_MAX);
    expect("buffer size overflow", m, true, EMBER_STATUS_INVALID_MODEL, "past the end");
}

static void test_arena(void) {
    model m = load(conv_file, conv_size);
    ember_fb_table t = named_tensor(&m, "conv");
    uint8_t *off = field(&m, &t, EMBER_SLOT_TENSOR_ARENA_OFFSET);
    put64(off, get32(off) + 8);
    expect("arena misaligned", m, true, EMBER_STATUS_INVALID_MODEL, "multiple of 16");

    m = load(conv_file, conv_size);
    ember_fb_table root = root_of(&m);
    uint32_t arena = get32(field(&m, &root, EMBER_SLOT_MODEL_ARENA_SIZE));
    t = named_tensor(&m, "conv");
    put64(field(&m, &t, EMBER_SLOT_TENSOR_ARENA_OFFSET), arena);
    expect("arena offset past end", m, true, EMBER_STATUS_INVALID_MODEL, "past the arena");

    m = load(conv_file, conv_size);
    t = named_tensor(&m, "conv");
    put64(field(&m, &t, EMBER_SLOT_TENSOR_ARENA_OFFSET), 0x7ffffffffffffff0ull);
    expect("arena offset overflow", m, true, EMBER_STATUS_INVALID_MODEL, "past the arena");

    m = load(conv_file, conv_size);
    root = root_of(&m);
    put64(field(&m, &root, EMBER_SLOT_MODEL_ARENA_SIZE), 64);
    expect("arena size too small", m, true, EMBER_STATUS_INVALID_MODEL, "past the arena");
}

/* Creates, allocates and invokes the conv model on a fixed input; false if any step fails. */
static bool run_conv(const uint8_t *buf, size_t size, const ember_options *o, float y[5]) {
    ember_interp *ip = NULL;
    bool ok = ember_interp_create(buf, size, o, &ip) == EMBER_STATUS_OK &&
              ember_interp_allocate(ip) == EMBER_STATUS_OK;
    if (ok) {
        float *x = ember_interp_tensor_data(ip, ember_interp_input_tensor(ip, 0));
        for (int k = 0; k < 108; k++)
            x[k] = (float)(k % 7) - 3.0f;
        ok = ember_interp_invoke(ip) == EMBER_STATUS_OK;
    }
    if (ok)
        memcpy(y, ember_interp_tensor_data(ip, ember_interp_output_tensor(ip, 0)),
               5 * sizeof(float));
    else
        fprintf(stderr, "run_conv: %s\n", ember_errmsg(ip));
    ember_interp_destroy(ip);
    return ok;
}

/* conv_relu_add's plan: x [1152, 1584) live throughout; conv [0, 576) at nodes 0..1, relu
   [576, 1152) at 1..2, sum [0, 576) at 2..3, flat on sum's bytes (the in-place RESHAPE,
   node 3) at 3..4, y [576, 596) from node 4 on; arena 1600. */
static void set_offset(model *m, const char *tensor, uint64_t offset) {
    ember_fb_table t = named_tensor(m, tensor);
    put64(field(m, &t, EMBER_SLOT_TENSOR_ARENA_OFFSET), offset);
}

static void set_arena(model *m, uint64_t size) {
    ember_fb_table root = root_of(m);
    put64(field(m, &root, EMBER_SLOT_MODEL_ARENA_SIZE), size);
}

static uint64_t offset_of(const model *m, const char *tensor) {
    ember_fb_table t = named_tensor(m, tensor);
    return get32(field(m, &t, EMBER_SLOT_TENSOR_ARENA_OFFSET));
}

/* A declared arena above the tensors' end (plus the planner's rounding to 64) is refused: it
   would make allocate reserve memory that no tensor uses. */
static void test_arena_need(void) {
    model m = load(conv_file, conv_size);
    ember_fb_table root = root_of(&m);
    CHECK(get32(field(&m, &root, EMBER_SLOT_MODEL_ARENA_SIZE)) == 1600);
    set_arena(&m, 1600 + 64);
    expect("arena one alignment step too large", m, true, EMBER_STATUS_INVALID_MODEL,
           "arena size 1664 is more than the plan needs: its tensors end at byte 1584, so at "
           "most 1600");

    m = load(conv_file, conv_size);
    set_arena(&m, 5ull << 30);
    expect("arena of 5 GiB", m, true, EMBER_STATUS_INVALID_MODEL, "more than the plan needs");

    m = load(conv_file, conv_size);
    set_arena(&m, 1584); /* the exact end, not rounded, is as good */
    expect("arena at the tensors' end", m, true, EMBER_STATUS_OK, "ok");
}

static void test_overlap(void) {
    model m = load(conv_file, conv_size);
    CHECK(offset_of(&m, "flat") == offset_of(&m, "sum")); /* the in-place RESHAPE is planned */
    free(m.buf);

    /* An output may take exactly the bytes of an input that dies at its node: relu on conv,
       the add's sum on relu, all at offset 0, compute what the planner's plan does. */
    float want[5], got[5];
    CHECK(run_conv(conv_file, conv_size, NULL, want));
    m = load(conv_file, conv_size);
    set_offset(&m, "relu", 0);
    rehash(&m);
    CHECK(run_conv(m.buf, m.size, NULL, got) && memcmp(got, want, sizeof want) == 0);
    free(m.buf);

    m = load(conv_file, conv_size);
    set_offset(&m, "relu", 592);
    expect("16 bytes shared", m, true, EMBER_STATUS_INVALID_MODEL,
           "tensors 0 'x' (432 bytes at arena offset 1152, live from node 0 to the end of the "
           "run) and 4 'relu' (576 bytes at arena offset 592, live at nodes 1..2)");

    m = load(conv_file, conv_size);
    set_offset(&m, "relu", 592); /* x moved up too: the two touch, sharing no byte */
    set_offset(&m, "x", 1168);
    expect("touching ends", m, true, EMBER_STATUS_OK, "ok");

    m = load(conv_file, conv_size);
    set_offset(&m, "y", 1152);
    expect("output on a graph input", m, true, EMBER_STATUS_INVALID_MODEL,
           "tensors 0 'x' (432 bytes at arena offset 1152, live from node 0 to the end of the "
           "run) and 10 'y' (20 bytes at arena offset 1152, live from node 4 to the end of the "
           "run)");

    m = load(conv_file, conv_size);
    set_offset(&m, "flat", 16);
    expect("reshape partly on its input", m, true, EMBER_STATUS_INVALID_MODEL,
           "'sum' (576 bytes at arena offset 0, live at nodes 2..3) and 7 'flat'");

    /* The RESHAPE may take its input's bytes only when the input dies there. */
    m = load(conv_file, conv_size);
    ember_fb_table sg = subgraph(&m);
    put32(vec_elem(&m, &sg, EMBER_SLOT_SUBGRAPH_OUTPUTS, 4, 0), tensor_index(&m, "sum"));
    expect("reshape on an input that lives on", m, true, EMBER_STATUS_INVALID_MODEL,
           "'sum' (576 bytes at arena offset 0, live from node 2 to the end of the run) and 7 "
           "'flat'");
}

/* An allocator that maps each block on its own, so the test can count the pages committed. */
typedef struct mapper {
    void *ptr[64];
    size_t size[64];
} mapper;

static void *map_alloc(void *user, size_t size, size_t align) {
    mapper *mp = user;
    (void)align; /* mmap gives page alignment */
    for (int i = 0; i < 64; i++) {
        if (mp->ptr[i] != NULL)
            continue;
        void *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        if (p == MAP_FAILED)
            return NULL;
        mp->ptr[i] = p;
        mp->size[i] = size;
        return p;
    }
    return NULL;
}

static void map_free(void *user, void *ptr) {
    mapper *mp = user;
    for (int i = 0; i < 64; i++) {
        if (ptr != NULL && mp->ptr[i] == ptr) {
            munmap(ptr, mp->size[i]);
            mp->ptr[i] = NULL;
        }
    }
}

/* Bytes of the mapped blocks that are resident. */
static size_t resident(const mapper *mp) {
    const size_t page = (size_t)sysconf(_SC_PAGESIZE);
    static unsigned char vec[(300u << 20) / 4096 + 1];
    size_t total = 0;
    for (int i = 0; i < 64; i++) {
        size_t pages = mp->ptr[i] != NULL ? (mp->size[i] + page - 1) / page : 0;
        if (pages == 0 || pages > sizeof vec || mincore(mp->ptr[i], mp->size[i], vec) != 0)
            continue;
        for (size_t k = 0; k < pages; k++)
            total += (vec[k] & 1) ? page : 0;
    }
    return total;
}

/* The arena may have gaps (the verifier bounds its end, not its density): allocate must not
   touch them. y moves 256 MiB up; allocate commits only the pages it writes, and invoke gives
   the same output as the model as planned. */
static void test_commit(void) {
    const uint64_t far = 256u << 20;
    float want[5], got[5];
    CHECK(run_conv(conv_file, conv_size, NULL, want));
    model m = load(conv_file, conv_size);
    set_offset(&m, "y", far);
    set_arena(&m, far + 64);
    rehash(&m);
    mapper mp = {{0}, {0}};
    ember_allocator a = {map_alloc, map_free, &mp};
    ember_options o;
    ember_options_init(&o);
    o.allocator = &a;
    ember_interp *ip = NULL;
    CHECK(ember_interp_create(m.buf, m.size, &o, &ip) == EMBER_STATUS_OK);
    CHECK_MSG(ember_interp_allocate(ip) == EMBER_STATUS_OK, "allocate: %s", ember_errmsg(ip));
    size_t committed = resident(&mp);
    CHECK_MSG(committed <= (64u << 10), "allocate of a sparse %llu-byte arena committed %zu "
              "bytes", (unsigned long long)(far + 64), committed);
    ember_interp_destroy(ip);
    CHECK(run_conv(m.buf, m.size, &o, got) && memcmp(got, want, sizeof want) == 0);
    free(m.buf);
}

static void test_quant(void) {
    /* Every copy has the same layout, so positions found in one apply to all. */
    model m = load(quant_file, quant_size);
    ember_fb_table t = named_tensor(&m, "x");
    ember_fb_table q;
    bool present = false;
    CHECK(ember_fb_table_field(&t, EMBER_SLOT_TENSOR_QUANT, &q, &present) && present);
    free(m.buf);
    float bad_scales[] = {-1.0f, 0.0f, (float)NAN, (float)INFINITY};
    for (int i = 0; i < 4; i++) {
        m = load(quant_file, quant_size);
        uint32_t bits;
        memcpy(&bits, &bad_scales[i], 4);
        put32(vec_elem(&m, &q, EMBER_SLOT_QUANT_PARAMS_SCALE, 4, 1), bits);
        expect("bad scale", m, true, EMBER_STATUS_INVALID_MODEL, "must be finite and > 0");
    }

    m = load(quant_file, quant_size);
    put32(vec_elem(&m, &q, EMBER_SLOT_QUANT_PARAMS_ZERO_POINT, 8, -1), 2);
    expect("zero point count", m, true, EMBER_STATUS_INVALID_MODEL,
           "3 quantization scales but 2 zero points");

    m = load(quant_file, quant_size);
    put32(field(&m, &q, EMBER_SLOT_QUANT_PARAMS_AXIS), 5);
    expect("quant axis", m, true, EMBER_STATUS_INVALID_MODEL, "axis 5 is out of range");

    m = load(quant_file, quant_size);
    put32(field(&m, &q, EMBER_SLOT_QUANT_PARAMS_AXIS), 1);
    expect("channel count", m, true, EMBER_STATUS_INVALID_MODEL, "dim 1 has 4 channels");

    m = load(quant_file, quant_size);
    put64(vec_elem(&m, &q, EMBER_SLOT_QUANT_PARAMS_ZERO_POINT, 8, 0), 1ull << 40);
    expect("zero point range", m, true, EMBER_STATUS_INVALID_MODEL, "zero point 0");
}

static void test_nodes(void) {
    uint32_t x, w, sum, conv;
    model m = load(conv_file, conv_size);
    x = tensor_index(&m, "x");
    w = tensor_index(&m, "conv.w");
    sum = tensor_index(&m, "sum");
    conv = tensor_index(&m, "conv");
    ember_fb_table op = op_table(&m, 0);
    put16(field(&m, &op, EMBER_SLOT_OPERATOR_OPCODE), 200);
    expect("op code", m, true, EMBER_STATUS_INVALID_MODEL, "op code 200");

    m = load(conv_file, conv_size);
    op = op_table(&m, 0);
    *field(&m, &op, EMBER_SLOT_OPERATOR_PARAMS_TYPE) = 99;
    expect("params type", m, true, EMBER_STATUS_INVALID_MODEL, "params type 99");

    m = load(conv_file, conv_size);
    op = op_table(&m, 0);
    *field(&m, &op, EMBER_SLOT_OPERATOR_PARAMS_TYPE) = EMBER_OP_PARAMS_BINARY_PARAMS;
    expect("params kind", m, true, EMBER_STATUS_INVALID_MODEL, "params must be Conv2DParams");

    const struct {
        const char *name;
        int output; /* patch output 0 instead of input 0 */
        uint32_t node;
        int32_t tensor;
        ember_status want;
        const char *needle;
    } cases[] = {
        {"input out of range", 0, 0, 1000, EMBER_STATUS_INVALID_MODEL, "out of range"},
        {"input below -1", 0, 0, -2, EMBER_STATUS_INVALID_MODEL, "out of range"},
        {"required input omitted", 0, 0, -1, EMBER_STATUS_INVALID_MODEL, "required"},
        {"read before write", 0, 0, (int32_t)sum, EMBER_STATUS_INVALID_MODEL,
         "before any node writes it"},
        {"output out of range", 1, 0, 1000, EMBER_STATUS_INVALID_MODEL, "out of range"},
        {"writes a constant", 1, 0, (int32_t)w, EMBER_STATUS_INVALID_MODEL, "a constant"},
        {"writes a graph input", 1, 0, (int32_t)x, EMBER_STATUS_INVALID_MODEL,
         "a graph input"},
        {"written twice", 1, 1, (int32_t)conv, EMBER_STATUS_INVALID_MODEL, "already written"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        m = load(conv_file, conv_size);
        op = op_table(&m, cases[i].node);
        uint32_t slot = cases[i].output ? EMBER_SLOT_OPERATOR_OUTPUTS : EMBER_SLOT_OPERATOR_INPUTS;
        put32(vec_elem(&m, &op, slot, 4, 0), (uint32_t)cases[i].tensor);
        expect(cases[i].name, m, true, cases[i].want, cases[i].needle);
    }

    m = load(conv_file, conv_size);
    op = op_table(&m, 0);
    put32(vec_elem(&m, &op, EMBER_SLOT_OPERATOR_INPUTS, 4, -1), EMBER_MAX_IO + 1);
    expect("too many inputs", m, true, EMBER_STATUS_UNSUPPORTED, "at most 64");

    m = load(conv_file, conv_size);
    op = op_table(&m, 4);
    put32(vec_elem(&m, &op, EMBER_SLOT_OPERATOR_INPUTS, 4, -1), 1);
    expect("kernel check (arity)", m, true, EMBER_STATUS_INVALID_MODEL, "fully_connected");
}

static void test_graph_io(void) {
    model m = load(conv_file, conv_size);
    ember_fb_table sg = subgraph(&m);
    put32(vec_elem(&m, &sg, EMBER_SLOT_SUBGRAPH_INPUTS, 4, 0), 99);
    expect("graph input range", m, true, EMBER_STATUS_INVALID_MODEL, "graph input 0");

    m = load(conv_file, conv_size);
    sg = subgraph(&m);
    put32(vec_elem(&m, &sg, EMBER_SLOT_SUBGRAPH_INPUTS, 4, 0), tensor_index(&m, "conv.w"));
    expect("graph input constant", m, true, EMBER_STATUS_INVALID_MODEL, "is a constant");

    m = load(conv_file, conv_size);
    sg = subgraph(&m);
    put32(vec_elem(&m, &sg, EMBER_SLOT_SUBGRAPH_OUTPUTS, 4, 0), (uint32_t)-1);
    expect("graph output range", m, true, EMBER_STATUS_INVALID_MODEL, "graph output 0");

    m = load(conv_file, conv_size);
    ember_fb_table root = root_of(&m);
    ember_fb_table sig = vec_table(&root, EMBER_SLOT_MODEL_SIGNATURES, 0);
    ember_fb_table map = vec_table(&sig, EMBER_SLOT_SIGNATURE_INPUTS, 0);
    put32(field(&m, &map, EMBER_SLOT_TENSOR_MAP_TENSOR), 99);
    expect("signature tensor", m, true, EMBER_STATUS_INVALID_MODEL,
           "signature 0 'serving_default': input 'x' names tensor 99, out of range");
}

/* A signature's inputs must be graph inputs and its outputs graph outputs, each name once. */
static void test_signatures(void) {
    model m = load(conv_file, conv_size);
    ember_fb_table root = root_of(&m);
    ember_fb_table sig = vec_table(&root, EMBER_SLOT_MODEL_SIGNATURES, 0);
    ember_fb_table in = vec_table(&sig, EMBER_SLOT_SIGNATURE_INPUTS, 0);
    ember_fb_table out = vec_table(&sig, EMBER_SLOT_SIGNATURE_OUTPUTS, 0);
    put32(field(&m, &in, EMBER_SLOT_TENSOR_MAP_TENSOR), tensor_index(&m, "relu"));
    expect("signature input is an intermediate", m, true, EMBER_STATUS_INVALID_MODEL,
           "signature 0 'serving_default': input 'x' names tensor 4 'relu', which is not a "
           "graph input");

    m = load(conv_file, conv_size);
    put32(field(&m, &out, EMBER_SLOT_TENSOR_MAP_TENSOR), tensor_index(&m, "x"));
    expect("signature output is a graph input", m, true, EMBER_STATUS_INVALID_MODEL,
           "output 'y' names tensor 0 'x', which is not a graph output");

    m = load(concat_file, concat_size);
    root = root_of(&m);
    sig = vec_table(&root, EMBER_SLOT_MODEL_SIGNATURES, 0);
    ember_fb_table second = vec_table(&sig, EMBER_SLOT_SIGNATURE_INPUTS, 1);
    ember_fb_vector name;
    CHECK(ember_fb_vector_field(&second, EMBER_SLOT_TENSOR_MAP_NAME, 1, &name) && name.len == 1);
    CHECK(m.buf[name.data] == 'b');
    m.buf[name.data] = 'a';
    expect("signature input named twice", m, true, EMBER_STATUS_INVALID_MODEL,
           "input name 'a' appears more than once");
}

/* Accessors on a good model, and the misuse paths of the handle. */
static void test_accessors(void) {
    model m = load(conv_file, conv_size);
    ember_interp *ip = NULL;
    CHECK(ember_interp_create(m.buf, m.size, NULL, &ip) == EMBER_STATUS_OK);
    CHECK(ember_interp_input_count(ip) == 1 && ember_interp_output_count(ip) == 1);
    CHECK(ember_interp_input_tensor(ip, 1) == EMBER_NO_TENSOR);
    CHECK(ember_interp_output_tensor(ip, 1) == EMBER_NO_TENSOR);
    CHECK(ember_interp_input_tensor(NULL, 0) == EMBER_NO_TENSOR);
    uint32_t in = ember_interp_input_tensor(ip, 0);
    CHECK(in < ember_interp_tensor_count(ip));
    ember_tensor_info info;
    CHECK(ember_interp_tensor_info(ip, in, &info) == EMBER_STATUS_OK);
    CHECK(strcmp(info.name, "x") == 0 && info.rank == 4 && info.dims[3] == 3 &&
          info.bytes == 6 * 6 * 3 * 4 && !info.is_constant);
    CHECK(ember_interp_tensor_info(ip, 1000, &info) == EMBER_STATUS_INVALID_ARGUMENT);
    CHECK(ember_interp_tensor_data(ip, in) == NULL); /* before allocate */
    CHECK(ember_interp_signature_count(ip) == 1);
    CHECK(strcmp(ember_interp_signature_key(ip, 0), "serving_default") == 0);
    const char *name = NULL;
    uint32_t idx = EMBER_NO_TENSOR;
    CHECK(ember_interp_signature_io(ip, 0, 1, 0, &name, &idx) == EMBER_STATUS_OK);
    CHECK(strcmp(name, "y") == 0 && idx == ember_interp_output_tensor(ip, 0));
    CHECK(ember_interp_signature_io(ip, 0, 1, 1, &name, &idx) == EMBER_STATUS_INVALID_ARGUMENT);
    CHECK(strcmp(ember_interp_metadata(ip, "test.model"), "conv_relu_add") == 0);
    CHECK(ember_interp_metadata(ip, "missing") == NULL);
    CHECK(ember_interp_node_count(ip) == 5 && strcmp(ember_interp_node_op(ip, 0), "conv2d") == 0);
    CHECK(ember_interp_node_op(ip, 5) == NULL);
    CHECK(ember_interp_invoke(ip) == EMBER_STATUS_MISUSE);
    CHECK(strstr(ember_errmsg(ip), "allocate") != NULL);
    ember_interp_destroy(ip);
    free(m.buf);

    /* A handle that was never created (zeroed memory) is refused, not followed. */
    uint64_t fake[64] = {0};
    CHECK(ember_interp_allocate((ember_interp *)fake) == EMBER_STATUS_MISUSE);
    CHECK(ember_interp_invoke(NULL) == EMBER_STATUS_MISUSE);
    CHECK(ember_errmsg(NULL) != NULL && ember_errmsg((ember_interp *)fake) != NULL);
    CHECK(ember_interp_tensor_count(NULL) == 0);
    ember_interp_destroy(NULL);
}

/* Node names and variants, and invoking node by node: every node in order gives the bytes
   ember_interp_invoke gives. */
static void test_invoke_node(void) {
    model m = load(conv_file, conv_size);
    ember_interp *ip = NULL;
    CHECK(ember_interp_create(m.buf, m.size, NULL, &ip) == EMBER_STATUS_OK);
    CHECK(strcmp(ember_interp_node_name(ip, 0), "conv") == 0);
    CHECK(strcmp(ember_interp_node_name(ip, 4), "fc") == 0);
    CHECK(ember_interp_node_name(ip, 5) == NULL && ember_interp_node_name(NULL, 0) == NULL);
    CHECK(strcmp(ember_interp_node_variant(ip, 0), "reference") == 0); /* before allocate */
    CHECK(ember_interp_node_variant(ip, 5) == NULL && ember_interp_node_variant(NULL, 0) == NULL);
    CHECK(ember_interp_invoke_node(ip, 0) == EMBER_STATUS_MISUSE);
    CHECK(ember_interp_invoke_node(NULL, 0) == EMBER_STATUS_MISUSE);
    CHECK(ember_interp_node_io_count(ip, 0, 0) == 3 && ember_interp_node_io_count(ip, 0, 1) == 1);
    CHECK(ember_interp_node_io(ip, 0, 0, 0) == ember_interp_input_tensor(ip, 0));
    CHECK(ember_interp_node_io(ip, 4, 1, 0) == ember_interp_output_tensor(ip, 0));
    CHECK(ember_interp_node_io(ip, 0, 0, 3) == EMBER_NO_TENSOR);
    CHECK(ember_interp_node_io(ip, 5, 0, 0) == EMBER_NO_TENSOR);
    CHECK(ember_interp_node_io_count(NULL, 0, 0) == 0);
    CHECK(ember_interp_allocate(ip) == EMBER_STATUS_OK);
    for (uint32_t i = 0; i < ember_interp_node_count(ip); i++)
        CHECK(ember_interp_node_variant(ip, i) != NULL && ember_interp_node_variant(ip, i)[0]);
    CHECK(ember_interp_invoke_node(ip, 5) == EMBER_STATUS_INVALID_ARGUMENT);
    CHECK(strstr(ember_errmsg(ip), "out of range") != NULL);
    float *x = ember_interp_tensor_data(ip, ember_interp_input_tensor(ip, 0));
    float *y = ember_interp_tensor_data(ip, ember_interp_output_tensor(ip, 0));
    for (int i = 0; i < 6 * 6 * 3; i++)
        x[i] = (float)((i * 7) % 11) - 5.0f;
    float whole[5], stepped[5];
    CHECK(ember_interp_invoke(ip) == EMBER_STATUS_OK);
    memcpy(whole, y, sizeof whole);
    memset(y, 0, sizeof whole);
    for (uint32_t i = 0; i < ember_interp_node_count(ip); i++)
        CHECK(ember_interp_invoke_node(ip, i) == EMBER_STATUS_OK);
    memcpy(stepped, y, sizeof stepped);
    CHECK(memcmp(whole, stepped, sizeof whole) == 0);
    ember_interp_destroy(ip);
    free(m.buf);
}

int main(int argc, char **argv) {
    const char *dir = argc > 1 ? argv[1] : "build/models";
    conv_file = test_read_file(dir, "conv_relu_add.ember", &conv_size);
    quant_file = test_read_file(dir, "quant.ember", &quant_size);
    dq_file = test_read_file(dir, "dequantized_weights.ember", &dq_size);
    concat_file = test_read_file(dir, "concat.ember", &concat_size);
    if (conv_file == NULL || quant_file == NULL || dq_file == NULL || concat_file == NULL)
        return 1;
    test_good_models();
    test_arguments();
    test_truncation();
    test_header();
    test_hash();
    test_body_size();
    test_structure();
    test_tensors();
    test_prepared();
    test_buffers();
    test_arena();
    test_arena_need();
    test_overlap();
    test_commit();
    test_quant();
    test_nodes();
    test_graph_io();
    test_invoke_node();
    test_signatures();
    test_accessors();
    free(conv_file);
    free(quant_file);
    free(dq_file);
    free(concat_file);
    return test_report("test_verifier");
}
