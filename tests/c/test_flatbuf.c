/* The bounds-checked FlatBuffer reader on a hand-built 44-byte buffer: good reads, each kind
   of bad offset, size or alignment, every truncation (exact-size copies, so ASan sees any
   read past the end), and a zeroed table giving every field's default. */
#include "ember_internal.h"
#include "test_util.h"

#define SIZE 44

/* [0] root uoffset -> 16   [4] "EMBR"
   [8] vtable: 8 bytes long, table 12 bytes long, slot 0 at +4, slot 1 at +8
   [16] table: soffset 8 (vtable at 8)   [20] slot 0: int32 42   [24] slot 1: uoffset -> 32
   [28] padding   [32] vector: length 2   [36] 7   [40] 9 */
static void layout(uint8_t *buf) {
    static const uint8_t image[SIZE] = {
        16, 0, 0, 0, 'E', 'M', 'B', 'R', 8, 0, 12, 0, 4, 0, 8, 0, 8, 0, 0, 0, 42, 0, 0, 0,
        8,  0, 0, 0, 0,   0,   0,   0,   2, 0, 0,  0, 7, 0, 0, 0, 9, 0, 0, 0,
    };
    memcpy(buf, image, SIZE);
}

static void test_good(void) {
    uint8_t *buf = aligned_alloc(64, 64);
    layout(buf);
    ember_fb_table root;
    CHECK(ember_fb_root(buf, SIZE, &root));
    CHECK(root.pos == 16 && root.vtable == 8 && root.vt_fields == 2);
    int32_t i = 0;
    CHECK(ember_fb_i32(&root, 0, -1, &i) && i == 42);
    CHECK(ember_fb_i32(&root, 5, -1, &i) && i == -1); /* past the vtable: default */
    uint8_t u8 = 0;
    CHECK(ember_fb_u8(&root, 0, 0, &u8) && u8 == 42);
    ember_fb_vector v;
    CHECK(ember_fb_vector_field(&root, 1, 4, &v) && v.len == 2);
    CHECK(ember_fb_vector_i32(&v, 0) == 7 && ember_fb_vector_i32(&v, 1) == 9);
    CHECK(ember_fb_vector_i32(&v, 2) == 0); /* out of range reads nothing */
    int64_t wide = 0;
    CHECK(!ember_fb_i64(&root, 0, 0, &wide)); /* the field at 20 is not 8-aligned */
    CHECK(!ember_fb_i64(&root, 1, 0, &wide)); /* 8 bytes at +8 stick out of the table */
    const char *s = NULL;
    uint32_t len = 0;
    CHECK(ember_fb_string_field(&root, 1, &s, &len) && len == 2 && s == (char *)buf + 36);
    buf[38] = 'x';
    CHECK(!ember_fb_string_field(&root, 1, &s, &len)); /* no NUL after the bytes */
    free(buf);
}

static void expect_bad_root(const char *what, void (*patch)(uint8_t *)) {
    uint8_t *buf = aligned_alloc(64, 64);
    layout(buf);
    patch(buf);
    ember_fb_table root;
    CHECK_MSG(!ember_fb_root(buf, SIZE, &root), "%s accepted", what);
    free(buf);
}

static void odd_vtable(uint8_t *b) { b[8] = 7; }
static void short_vtable(uint8_t *b) { b[8] = 2; }
static void vtable_before_start(uint8_t *b) { b[16] = 100; }
static void vtable_past_end(uint8_t *b) { b[16] = 0; b[19] = 0x80; }
static void table_past_end(uint8_t *b) { b[10] = 40; }
static void root_misaligned(uint8_t *b) { b[0] = 17; }
static void root_past_end(uint8_t *b) { b[0] = SIZE; }

static void test_bad(void) {
    expect_bad_root("odd vtable size", odd_vtable);
    expect_bad_root("vtable under 4 bytes", short_vtable);
    expect_bad_root("vtable before the buffer", vtable_before_start);
    expect_bad_root("vtable past the end", vtable_past_end);
    expect_bad_root("table past the end", table_past_end);
    expect_bad_root("misaligned root", root_misaligned);
    expect_bad_root("root past the end", root_past_end);

    uint8_t *buf = aligned_alloc(64, 64);
    layout(buf);
    ember_fb_table root;
    ember_fb_vector v;
    buf[10] = 10; /* table is 10 bytes: slot 1 (4 bytes at +8) sticks out */
    CHECK(ember_fb_root(buf, SIZE, &root));
    CHECK(!ember_fb_vector_field(&root, 1, 4, &v));
    int32_t i;
    CHECK(ember_fb_i32(&root, 0, 0, &i) && i == 42);
    layout(buf);
    buf[12] = 2; /* slot 0 inside the soffset */
    CHECK(ember_fb_root(buf, SIZE, &root) && !ember_fb_i32(&root, 0, 0, &i));
    layout(buf);
    buf[35] = 0x40; /* length 0x40000002: len * 4 wraps 32 bits */
    CHECK(ember_fb_root(buf, SIZE, &root) && !ember_fb_vector_field(&root, 1, 4, &v));
    layout(buf);
    buf[32] = 1; /* one element at 36: fits, but not 8-aligned for 8-byte elements */
    CHECK(ember_fb_root(buf, SIZE, &root) && !ember_fb_vector_field(&root, 1, 8, &v));
    CHECK(ember_fb_vector_field(&root, 1, 4, &v) && v.len == 1);
    layout(buf);
    buf[24] = 0xfc; /* uoffset target past the end */
    buf[25] = 0xff;
    CHECK(ember_fb_root(buf, SIZE, &root) && !ember_fb_vector_field(&root, 1, 4, &v));
    bool present;
    ember_fb_table sub;
    CHECK(!ember_fb_table_field(&root, 1, &sub, &present));
    free(buf);
}

/* Every prefix of the buffer, copied to an allocation of exactly that size. */
static void test_truncation(void) {
    uint8_t full[SIZE];
    layout(full);
    int accepted = 0;
    for (size_t n = 0; n < SIZE; n++) {
        uint8_t *buf = malloc(n ? n : 1);
        memcpy(buf, full, n);
        ember_fb_table root;
        ember_fb_vector v;
        if (ember_fb_root(buf, n, &root) && ember_fb_vector_field(&root, 1, 4, &v) &&
            v.len == 2)
            accepted++;
        free(buf);
    }
    CHECK(accepted == 0);
}

static void test_zeroed_table(void) {
    ember_fb_table t;
    memset(&t, 0, sizeof t);
    uint8_t u8;
    uint16_t u16;
    int32_t i32;
    uint32_t u32;
    int64_t i64;
    uint64_t u64;
    float f;
    CHECK(ember_fb_u8(&t, 0, 7, &u8) && u8 == 7);
    CHECK(ember_fb_u16(&t, 0, 7, &u16) && u16 == 7);
    CHECK(ember_fb_i32(&t, 0, -7, &i32) && i32 == -7);
    CHECK(ember_fb_u32(&t, 0, 7, &u32) && u32 == 7);
    CHECK(ember_fb_i64(&t, 0, -7, &i64) && i64 == -7);
    CHECK(ember_fb_u64(&t, 0, 7, &u64) && u64 == 7);
    CHECK(ember_fb_f32(&t, 0, 0.5f, &f) && f == 0.5f);
    ember_fb_vector v;
    CHECK(ember_fb_vector_field(&t, 0, 4, &v) && v.len == 0);
    const char *s;
    uint32_t len;
    CHECK(ember_fb_string_field(&t, 0, &s, &len) && len == 0 && s[0] == '\0');
    ember_fb_table sub;
    bool present = true;
    CHECK(ember_fb_table_field(&t, 0, &sub, &present) && !present);
    uint32_t pos = 1;
    CHECK(ember_fb_struct_field(&t, 0, 32, &pos) && pos == 0);
    CHECK(ember_fb_field_pos(&t, 0) == 0);
}

int main(void) {
    test_good();
    test_bad();
    test_truncation();
    test_zeroed_table();
    return test_report("test_flatbuf");
}
