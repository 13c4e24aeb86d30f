/* Plain int32 and int64 arithmetic (int_arith_i32.ember, int_arith_i64.ember from
   make_models.py: outputs add, sub, mul, div, maximum, minimum, pow, neg, abs, sign) on the
   values where C's signed arithmetic is undefined: sums, differences, products and negations
   past the type wrap, x / 0 is 0, INT_MIN / -1 is INT_MIN, a power out of range is INT_MIN.
   Under ASan/UBSan this also proves the kernels never overflow a signed type on the way. */
#include "emberlite.h"
#include "test_util.h"

enum { N = 8, OUTPUTS = 10 };
enum { ADD, SUB, MUL, DIV, MAX, MIN, POW, NEG, ABS, SIGN };

/* The expected value of output `op` for operands x, y, restated from the kernels' rules in
   unsigned arithmetic (where wrapping is defined). */
#define EXPECTED(T, U, op, x, y, pow_want)                                                  \
    ((op) == ADD    ? (T)((U)(x) + (U)(y))                                                  \
     : (op) == SUB  ? (T)((U)(x) - (U)(y))                                                  \
     : (op) == MUL  ? (T)((U)(x) * (U)(y))                                                  \
     : (op) == DIV  ? ((y) == 0 ? (T)0 : (y) == -1 ? (T)(0 - (U)(x)) : (T)((x) / (y)))      \
     : (op) == MAX  ? ((x) > (y) ? (x) : (y))                                               \
     : (op) == MIN  ? ((x) < (y) ? (x) : (y))                                               \
     : (op) == POW  ? (pow_want)                                                            \
     : (op) == NEG  ? (T)(0 - (U)(x))                                                       \
     : (op) == ABS  ? ((x) < 0 ? (T)(0 - (U)(x)) : (x))                                     \
                    : (T)(((x) > 0) - ((x) < 0)))

static ember_interp *open_model(const char *dir, const char *name, uint8_t **buf) {
    size_t size = 0;
    *buf = test_read_file(dir, name, &size);
    ember_interp *ip = NULL;
    CHECK(*buf != NULL && ember_interp_create(*buf, size, NULL, &ip) == EMBER_STATUS_OK);
    if (ip != NULL)
        CHECK_MSG(ember_interp_allocate(ip) == EMBER_STATUS_OK, "%s: %s", name,
                  ember_errmsg(ip));
    if (ip != NULL)
        CHECK(ember_interp_output_count(ip) == OUTPUTS);
    return ip;
}

static void run_i32(const char *dir) {
    uint8_t *buf = NULL;
    ember_interp *ip = open_model(dir, "int_arith_i32.ember", &buf);
    if (ip == NULL || ember_interp_output_count(ip) != OUTPUTS) {
        ember_interp_destroy(ip);
        free(buf);
        return;
    }
    const int32_t a[N] = {INT32_MIN, INT32_MAX, -7, 7, -1, 0, INT32_MIN, 5};
    const int32_t b[N] = {-1, 1, 2, -2, 0, 0, 2, 3};
    /* a ^ b: INT_MIN ^ -1 = -2^-31 truncates to 0; INT_MAX ^ 1; (INT_MIN) ^ 2 is too large. */
    const int32_t pow_want[N] = {0, INT32_MAX, 49, 0, 1, 1, INT32_MIN, 125};
    memcpy(ember_interp_tensor_data(ip, ember_interp_input_tensor(ip, 0)), a, sizeof a);
    memcpy(ember_interp_tensor_data(ip, ember_interp_input_tensor(ip, 1)), b, sizeof b);
    CHECK_MSG(ember_interp_invoke(ip) == EMBER_STATUS_OK, "int32: %s", ember_errmsg(ip));
    for (int op = 0; op < OUTPUTS; op++) {
        const int32_t *y = ember_interp_tensor_data(ip, ember_interp_output_tensor(ip, op));
        for (int i = 0; i < N; i++) {
            const int32_t want = EXPECTED(int32_t, uint32_t, op, a[i], b[i], pow_want[i]);
            CHECK_MSG(y[i] == want, "int32 output %d element %d: got %ld, want %ld", op, i,
                      (long)y[i], (long)want);
        }
    }
    ember_interp_destroy(ip);
    free(buf);
}

static void run_i64(const char *dir) {
    uint8_t *buf = NULL;
    ember_interp *ip = open_model(dir, "int_arith_i64.ember", &buf);
    if (ip == NULL || ember_interp_output_count(ip) != OUTPUTS) {
        ember_interp_destroy(ip);
        free(buf);
        return;
    }
    const int64_t a[N] = {INT64_MIN, INT64_MAX, -7, 7, -1, 0, INT64_MIN, -3};
    const int64_t b[N] = {-1, 1, 2, -2, 0, 0, 2, 5};
    /* INT64_MAX as a double is 2^63, out of range (powers past 2^53 are the double's, which
       tests/kernels/test_integer_arithmetic_family.py checks against ONNX Runtime). */
    const int64_t pow_want[N] = {0, INT64_MIN, 49, 0, 1, 1, INT64_MIN, -243};
    memcpy(ember_interp_tensor_data(ip, ember_interp_input_tensor(ip, 0)), a, sizeof a);
    memcpy(ember_interp_tensor_data(ip, ember_interp_input_tensor(ip, 1)), b, sizeof b);
    CHECK_MSG(ember_interp_invoke(ip) == EMBER_STATUS_OK, "int64: %s", ember_errmsg(ip));
    for (int op = 0; op < OUTPUTS; op++) {
        const int64_t *y = ember_interp_tensor_data(ip, ember_interp_output_tensor(ip, op));
        for (int i = 0; i < N; i++) {
            const int64_t want = EXPECTED(int64_t, uint64_t, op, a[i], b[i], pow_want[i]);
            CHECK_MSG(y[i] == want, "int64 output %d element %d: got %lld, want %lld", op, i,
                      (long long)y[i], (long long)want);
        }
    }
    ember_interp_destroy(ip);
    free(buf);
}

int main(int argc, char **argv) {
    const char *dir = argc > 1 ? argv[1] : "build/models";
    run_i32(dir);
    run_i64(dir);
    return test_report("test_integer_arithmetic");
}
