/* Build configuration: what the target and the build flags leave in the library.
 *
 * EMBER_BARE_METAL (default: on for Arm M-profile targets) - no heap, no threads, no libc
 *   printf: the caller hands in an allocator (an ember_pool over its own memory), messages are
 *   formatted by the library itself, and weights stay where the model keeps them (in flash):
 *   no kernel copies them into RAM, so only the reference kernels and the in-place Cortex-M
 *   kernels run, and every arena size the converter computes with the reference kernels holds.
 * EMBER_OPS_HEADER="file.h" - only the ops that file names (EMBER_USE_OP_<NAME>) are built in
 *   (`ember export-c --ops-header` writes it); a model with another op is refused.
 * EMBER_NO_FLOAT - no float32 kernels: a model with float32 arithmetic is refused at create
 *   (QUANTIZE and DEQUANTIZE at its edges may still take and give float32).
 * EMBER_NO_INT16 - no 16x8 kernels (int16 activations, int8 weights): refused likewise.
 * EMBER_NO_HASH - no SHA-256 check of the content hash; the verifier's bounds checks stay.
 * EMBER_STRIP_MESSAGES - no message text: a failure's message is its status and the library
 *   source line that raised it ("invalid model (csrc/verifier.c:412)"). Saves the strings and
 *   the formatter, about 12 KB on a Cortex-M4; every check and status stays.
 * EMBER_NO_DELEGATES (default: on with EMBER_BARE_METAL, which loads no plug-ins) - no
 *   delegates: ember_interp_add_delegate refuses (EMBER_STATUS_UNSUPPORTED) and every node runs
 *   on the CPU; keeps the partitioning and its messages out of small builds.
 * EMBER_NO_SIGNATURES (default: on with EMBER_BARE_METAL or EMBER_NO_HASH) - no Ed25519
 *   verification (about 5 KB of code on a Cortex-M4, SHA-512 included): a signature block is
 *   still checked for its structure, but trusted keys in the options are refused
 *   (EMBER_STATUS_UNSUPPORTED). Build with -DEMBER_NO_SIGNATURES=0 to check signatures on a
 *   microcontroller.
 * EMBER_HAVE_ARMDSP, EMBER_HAVE_MVE - follow the compiler's __ARM_FEATURE_DSP and
 *   __ARM_FEATURE_MVE: the Cortex-M kernels (csrc/ukernels/armdsp, csrc/ukernels/mve).
 */
#ifndef EMBER_CONFIG_H
#define EMBER_CONFIG_H

#ifndef EMBER_BARE_METAL
#if defined(__ARM_ARCH_PROFILE) && __ARM_ARCH_PROFILE == 'M'
#define EMBER_BARE_METAL 1
#else
#define EMBER_BARE_METAL 0
#endif
#endif

#ifdef EMBER_OPS_HEADER
#include EMBER_OPS_HEADER
#endif
#ifndef EMBER_OPS_SELECTED
#define EMBER_OPS_SELECTED 0
#endif

#ifndef EMBER_NO_FLOAT
#define EMBER_NO_FLOAT 0
#endif
#ifndef EMBER_NO_INT16
#define EMBER_NO_INT16 0
#endif
#ifndef EMBER_NO_HASH
#define EMBER_NO_HASH 0
#endif
#ifndef EMBER_STRIP_MESSAGES
#define EMBER_STRIP_MESSAGES 0
#endif
#ifndef EMBER_NO_DELEGATES
#define EMBER_NO_DELEGATES EMBER_BARE_METAL
#endif

#ifndef EMBER_NO_SIGNATURES
#define EMBER_NO_SIGNATURES (EMBER_BARE_METAL || EMBER_NO_HASH)
#endif
#if !EMBER_NO_SIGNATURES && EMBER_NO_HASH
#error "a signature vouches for the content hash: EMBER_NO_HASH needs EMBER_NO_SIGNATURES"
#endif

#if !defined(EMBER_HAVE_ARMDSP) && defined(__ARM_FEATURE_DSP) && __ARM_ARCH_PROFILE == 'M'
#define EMBER_HAVE_ARMDSP 1
#endif
#if !defined(EMBER_HAVE_MVE) && defined(__ARM_FEATURE_MVE)
#define EMBER_HAVE_MVE 1
#endif

#endif /* EMBER_CONFIG_H */
