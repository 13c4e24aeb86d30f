/* The quantization rules of the int8 kernels (csrc/kernels/quant.c): the int8 clamp range of
   each fused activation, worked out by hand, and its saturation for tiny scales. */
#include "kernels/quant.h"
#include "test_util.h"

static void test_activation_range(void) {
    char msg[256];
    ember_context ctx = {0};
    ctx.msg = msg;
    ctx.msg_size = sizeof msg;
    ember_node node = {0};
    ember_tensor out = {0};
    out.scale = 0.05f;
    out.zero_point = -10;
    int32_t lo = 0, hi = 0;
    CHECK(ember_activation_range_i8(&ctx, &node, EMBER_FUSED_ACTIVATION_NONE, &out, &lo, &hi) ==
              EMBER_STATUS_OK &&
          lo == -128 && hi == 127);
    CHECK(ember_activation_range_i8(&ctx, &node, EMBER_FUSED_ACTIVATION_RELU, &out, &lo, &hi) ==
              EMBER_STATUS_OK &&
          lo == -10 && hi == 127);
    CHECK(ember_activation_range_i8(&ctx, &node, EMBER_FUSED_ACTIVATION_RELU6, &out, &lo, &hi) ==
              EMBER_STATUS_OK &&
          lo == -10 && hi == 110);
    CHECK(ember_activation_range_i8(&ctx, &node, EMBER_FUSED_ACTIVATION_RELU_N1_TO_1, &out, &lo,
                                    &hi) == EMBER_STATUS_OK &&
          lo == -30 && hi == 10);
    out.scale = 1e-30f; /* bounds far outside int8 saturate instead of overflowing */
    CHECK(ember_activation_range_i8(&ctx, &node, EMBER_FUSED_ACTIVATION_RELU6, &out, &lo, &hi) ==
              EMBER_STATUS_OK &&
          lo == -10 && hi == 127);
    CHECK(ember_activation_range_i8(&ctx, &node, 9, &out, &lo, &hi) ==
          EMBER_STATUS_INVALID_MODEL);
}

int main(void) {
    test_activation_range();
    return test_report("test_quant");
}
