/* The OpenCL delegate's host conversions between float32 and binary16 (half.c), against the
   core's narrow-float conversions (csrc/kernels/float_convert.c, the oracle CAST uses): every
   half code decoded, and floats across the whole range encoded, ties included. Linked with
   half.c directly (mk/opencl.mk); its arguments are ignored. */
#include <math.h>

#include "kernels/float_convert.h"
#include "runtime.h"
#include "test_util.h"

static float from_bits(uint32_t bits) {
    float f;
    memcpy(&f, &bits, sizeof f);
    return f;
}

static int decode_mismatches(void) {
    int bad = 0;
    for (uint32_t code = 0; code < 0x10000u; code++) {
        float ours = cld_half_to_float((uint16_t)code);
        double oracle = ember_narrow_float_decode(EMBER_TYPE_FLOAT16, code);
        bool same_sign = !signbit(ours) == !signbit(oracle);
        bool same = isnan(oracle) ? isnan(ours) && same_sign
                                  : (double)ours == oracle && same_sign;
        if (!same && bad++ < 5)
            fprintf(stderr, "decode 0x%04x: %g, oracle %g\n", (unsigned)code, (double)ours,
                    oracle);
    }
    return bad;
}

/* The encoding of one float against the oracle's (NaN: any NaN of the same sign). */
static bool encodes_like_oracle(float f) {
    uint16_t ours = cld_float_to_half(f);
    uint32_t oracle = ember_narrow_float_encode(EMBER_TYPE_FLOAT16, (double)f, false);
    if (isnan(f))
        return (ours & 0x7c00u) == 0x7c00u && (ours & 0x3ffu) != 0 &&
               (ours & 0x8000u) == (oracle & 0x8000u);
    return ours == oracle;
}

static int encode_mismatches(void) {
    int bad = 0;
    /* Every float bit pattern with a stride coprime to 2^32 covers all exponents and many
       significands; below, the exact ties and the edges of each range. */
    for (uint64_t bits = 0; bits < 0x100000000ull; bits += 997) {
        float f = from_bits((uint32_t)bits);
        if (!encodes_like_oracle(f) && bad++ < 5)
            fprintf(stderr, "encode 0x%08x (%g)\n", (unsigned)bits, (double)f);
    }
    static const uint32_t edges[] = {
        0x00000000u, 0x80000000u, 0x33000000u, 0x33000001u, 0x337fffffu, 0x33800000u,
        0x387fc000u, 0x387fe000u, 0x387ff000u, 0x38800000u, 0x3f801000u, 0x3f803000u,
        0x477fe000u, 0x477fefffu, 0x477ff000u, 0x7f7fffffu, 0x7f800000u, 0xff800000u,
        0x7fc00000u, 0xffc00001u, 0x7f800001u,
    };
    for (size_t i = 0; i < sizeof edges / sizeof edges[0]; i++) {
        /* Each edge, its neighbours and its negative. */
        for (int d = -1; d <= 1; d++) {
            uint32_t bits = edges[i] + (uint32_t)d;
            if (!encodes_like_oracle(from_bits(bits)) && bad++ < 10)
                fprintf(stderr, "encode edge 0x%08x\n", (unsigned)bits);
            if (!encodes_like_oracle(from_bits(bits ^ 0x80000000u)) && bad++ < 10)
                fprintf(stderr, "encode edge 0x%08x\n", (unsigned)(bits ^ 0x80000000u));
        }
    }
    return bad;
}

int main(void) {
    CHECK(decode_mismatches() == 0);
    CHECK(encode_mismatches() == 0);
    /* Every finite half survives the round trip. */
    int bad = 0;
    for (uint32_t code = 0; code < 0x10000u; code++)
        if ((code & 0x7c00u) != 0x7c00u &&
            cld_float_to_half(cld_half_to_float((uint16_t)code)) != code)
            bad++;
    CHECK_MSG(bad == 0, "%d half codes do not round-trip", bad);
    return test_report("test_opencl_half");
}
