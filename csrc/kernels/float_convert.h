/* The narrow float types (float16, bfloat16, the four float8 types and FLOAT4E2M1, one
   element per byte in its low 4 bits) read to and written from
   double, built from the bits in portable C (no compiler half-float support needed). Every
   narrow value is exactly a double; writing rounds to nearest, ties to even, once, from the
   double. CAST uses them; any kernel that meets a narrow float at the model's edge may. */
#ifndef EMBER_KERNELS_FLOAT_CONVERT_H
#define EMBER_KERNELS_FLOAT_CONVERT_H

#include <stdbool.h>
#include <stdint.h>

/* Whether `type` (an ember_type) is one of the narrow floats below. */
bool ember_is_narrow_float(uint8_t type);

/* The value of narrow-float bits `code` of `type`: exact; NaN codes give NaN (with the
   code's sign where the type has one), infinities infinity. */
double ember_narrow_float_decode(uint8_t type, uint32_t code);

/* The bits of `type` nearest to `x` (ties to even). Beyond the largest finite value: float16
   and bfloat16 give infinity; a float8 type gives its largest finite value of x's sign when
   `saturate`, else infinity (FLOAT8E5M2) or NaN (the others), as ONNX's Cast says. NaN stays
   NaN; the FNUZ types have no negative zero (-0 gives 0). FLOAT4E2M1 always saturates (to 6)
   and, having no NaN, writes NaN as the zero of the other sign, as ml_dtypes does. */
uint32_t ember_narrow_float_encode(uint8_t type, double x, bool saturate);

#endif /* EMBER_KERNELS_FLOAT_CONVERT_H */
