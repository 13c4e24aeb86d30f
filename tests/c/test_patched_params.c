/* Model bytes that change after ember_interp_create (a caller's buffer reused, a file
   rewritten under a mapping): the params prepare reads are checked again, so SLICE's begin or
   TRANSPOSE's perm changed before allocate fails it with INVALID_MODEL instead of reading
   outside the input; changed after allocate, they change nothing, since eval reads only what
   prepare stored. Under ASan (c-test runs both builds) any read outside a tensor aborts.
   The models (make_models.py) carry the vectors begin (0, 12345) and perm (3, 1, 2, 0), found
   here as their FlatBuffer bytes: the length, then the int32 elements. */
#include "emberlite.h"
#include "test_util.h"

static const int32_t SLICE_BEGIN[] = {0, 12345};
static const int32_t TRANSPOSE_PERM[] = {3, 1, 2, 0};

struct patch_case {
    const char *model;
    const int32_t *vec;
    uint32_t len;
    uint32_t element; /* which element of the vector to change */
    int32_t value;
};

static const struct patch_case CASES[] = {
    {"patch_slice.ember", SLICE_BEGIN, 2, 1, 12346},       /* reads one past the row */
    {"patch_slice.ember", SLICE_BEGIN, 2, 1, 0x7ffffff0},  /* far past the input */
    {"patch_slice.ember", SLICE_BEGIN, 2, 1, -5},          /* before the input */
    {"patch_slice.ember", SLICE_BEGIN, 2, 0, 2},           /* past the first axis */
    {"patch_transpose.ember", TRANSPOSE_PERM, 4, 0, 7},    /* no such axis */
    {"patch_transpose.ember", TRANSPOSE_PERM, 4, 0, -1},
    {"patch_transpose.ember", TRANSPOSE_PERM, 4, 0, 1},    /* axis 1 twice */
};

/* Offset of the one occurrence of the vector's bytes in buf, or -1 (none, or several). */
static long find_vector(const uint8_t *buf, size_t size, const int32_t *vec, uint32_t len) {
    uint8_t pattern[4 * 8];
    memcpy(pattern, &len, 4);
    memcpy(pattern + 4, vec, 4 * (size_t)len); /* little-endian host, as the file */
    const size_t n = 4 * ((size_t)len + 1);
    long found = -1;
    for (size_t i = 0; i + n <= size; i++) {
        if (memcmp(buf + i, pattern, n) != 0)
            continue;
        if (found >= 0)
            return -1;
        found = (long)i;
    }
    return found;
}

static void fill_input(ember_interp *ip) {
    uint32_t t = ember_interp_input_tensor(ip, 0);
    ember_tensor_info info;
    ember_interp_tensor_info(ip, t, &info);
    float *x = ember_interp_tensor_data(ip, t);
    for (size_t k = 0; k < info.bytes / sizeof(float); k++)
        x[k] = (float)k * 0.5f;
}

/* The output's bytes after one invoke; the caller frees them. NULL if invoke failed. */
static uint8_t *run_once(ember_interp *ip, size_t *bytes) {
    fill_input(ip);
    if (ember_interp_invoke(ip) != EMBER_STATUS_OK)
        return NULL;
    uint32_t t = ember_interp_output_tensor(ip, 0);
    ember_tensor_info info;
    ember_interp_tensor_info(ip, t, &info);
    *bytes = info.bytes;
    return test_aligned_copy(ember_interp_tensor_data(ip, t), info.bytes);
}

static void patch(uint8_t *buf, long pos, const struct patch_case *c) {
    memcpy(buf + pos + 4 + 4 * (long)c->element, &c->value, 4);
}

/* Changed between create and allocate: allocate refuses the model, naming the node. */
static void patched_before_allocate(const char *dir, const struct patch_case *c) {
    size_t size = 0;
    uint8_t *buf = test_read_file(dir, c->model, &size);
    CHECK(buf != NULL);
    if (buf == NULL)
        return;
    long pos = find_vector(buf, size, c->vec, c->len);
    CHECK_MSG(pos >= 0, "%s: the params vector is not in the file exactly once", c->model);
    ember_interp *ip = NULL;
    CHECK(ember_interp_create(buf, size, NULL, &ip) == EMBER_STATUS_OK);
    if (pos >= 0 && ip != NULL) {
        patch(buf, pos, c);
        ember_status st = ember_interp_allocate(ip);
        CHECK_MSG(st == EMBER_STATUS_INVALID_MODEL, "%s, element %u = %d: allocate gave %s",
                  c->model, (unsigned)c->element, (int)c->value, ember_status_str(st));
        CHECK_MSG(strstr(ember_errmsg(ip), "node 0") != NULL, "%s: message '%s'", c->model,
                  ember_errmsg(ip));
    }
    ember_interp_destroy(ip);
    free(buf);
}

/* Changed after allocate: invoke still gives the unchanged model's output. */
static void patched_after_allocate(const char *dir, const struct patch_case *c) {
    size_t size = 0;
    uint8_t *buf = test_read_file(dir, c->model, &size);
    CHECK(buf != NULL);
    if (buf == NULL)
        return;
    long pos = find_vector(buf, size, c->vec, c->len);
    ember_interp *ip = NULL;
    CHECK(ember_interp_create(buf, size, NULL, &ip) == EMBER_STATUS_OK);
    CHECK(ember_interp_allocate(ip) == EMBER_STATUS_OK);
    size_t want_bytes = 0, got_bytes = 0;
    uint8_t *want = run_once(ip, &want_bytes);
    CHECK(want != NULL);
    if (pos >= 0 && want != NULL) {
        patch(buf, pos, c);
        uint8_t *got = run_once(ip, &got_bytes);
        CHECK_MSG(got != NULL && got_bytes == want_bytes &&
                      memcmp(got, want, want_bytes) == 0,
                  "%s, element %u = %d: output changed after allocate", c->model,
                  (unsigned)c->element, (int)c->value);
        free(got);
    }
    free(want);
    ember_interp_destroy(ip);
    free(buf);
}

int main(int argc, char **argv) {
    const char *dir = argc > 1 ? argv[1] : "build/models";
    for (size_t i = 0; i < sizeof CASES / sizeof CASES[0]; i++) {
        patched_before_allocate(dir, &CASES[i]);
        patched_after_allocate(dir, &CASES[i]);
    }
    return test_report("test_patched_params");
}
