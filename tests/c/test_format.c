/* The library's own printf (csrc/format.c, what bare-metal builds format messages with),
 * compiled here on the host and compared with the C library's snprintf: integers, strings,
 * widths and lengths exactly; %g within a unit of its last digit, and exactly where the value's
 * decimal scaling is exact. */
#define EMBER_OWN_FORMAT 1
#include "format.c"

#include <math.h>
#include <stdlib.h>

#include "test_util.h"

#define SAME(...)                                                                        \
    do {                                                                                 \
        char ours[64], libc[64];                                                         \
        ember_format(ours, sizeof ours, __VA_ARGS__);                                    \
        snprintf(libc, sizeof libc, __VA_ARGS__);                                        \
        CHECK_MSG(strcmp(ours, libc) == 0, "ours '%s', libc '%s'", ours, libc);          \
    } while (0)

static void check_integers(void) {
    SAME("%d %d %d", 0, -1, 2147483647);
    SAME("%d", (int)-2147483647 - 1);
    SAME("%u %u", 0u, 4294967295u);
    SAME("%lld %lld", (long long)INT64_MIN, (long long)INT64_MAX);
    SAME("%llu", (unsigned long long)UINT64_MAX);
    SAME("%zu", (size_t)123456789);
    SAME("%" PRIu32 " %" PRId32 " %" PRId64, (uint32_t)7, (int32_t)-7, (int64_t)-9);
    SAME("%02x%02x %x", 0x0fu, 0xabu, 0xdeadbeefu);
    SAME("[%5d|%-5d|%05d|%05d]", 42, 42, 42, -42);
    SAME("%ld %lu", -123456L, 123456UL);
}

static void check_strings(void) {
    SAME("%s and %s", "model", "");
    SAME("%.3s|%-6s|%6s", "abcdef", "ab", "ab");
    SAME("100%% %c", 'x');
    char small[8];
    size_t n = ember_format(small, sizeof small, "%s", "truncated text");
    CHECK(n == 7 && strcmp(small, "truncat") == 0);
    CHECK(ember_format(small, 0, "%s", "x") == 0);
}

static void check_exact_floats(void) {
    SAME("%g %g %g %g", 0.0, 0.5, -2.0, 1024.0);
    SAME("%g %g", 123456.0, 1234567.0);
    SAME("%g %g %g", 0.25, 0.0001, 0.00001);
    SAME("%g %g", 1e10, -3e-7);
    SAME("%.9g %.9g", 0.5, 16777216.0);
    SAME("%g %g", INFINITY, -INFINITY);
    SAME("%g", NAN);
}

/* Random floats: the text parses back to the value within a unit of the last digit printed. */
static void check_random_floats(void) {
    uint32_t state = 12345;
    for (int i = 0; i < 20000; i++) {
        state = state * 1664525u + 1013904223u;
        float f;
        uint32_t bits = state & 0x7f7fffffu; /* finite */
        memcpy(&f, &bits, sizeof f);
        for (int precision = 1; precision <= 9; precision += 4) {
            char ours[64];
            ember_format(ours, sizeof ours, "%.*g", precision, (double)f);
            double back = strtod(ours, NULL);
            double unit = f != 0 ? fabs((double)f) * pow(10.0, 1 - precision) : 0;
            CHECK_MSG(fabs(back - (double)f) <= unit, "%.9g printed as %s (precision %d)",
                      (double)f, ours, precision);
        }
    }
}

int main(void) {
    check_integers();
    check_strings();
    check_exact_floats();
    check_random_floats();
    return test_report("test_format");
}
