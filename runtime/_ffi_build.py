"""cffi (API mode) build of the extension module emberlite._ember from csrc/.

The declarations below restate csrc/include/emberlite.h by hand: cffi cannot parse the real
header's preprocessor lines. In API mode the generated C includes the real header, so struct
layouts and constant values come from it, not from here; tests/runtime/test_interpreter.py
checks that every prototype and struct field below matches the header text.
"""
from __future__ import annotations

import os
import platform
import shlex
import subprocess
import sysconfig
from pathlib import Path

from cffi import FFI

ROOT = Path(__file__).resolve().parent.parent

CDEF = """
#define EMBER_VERSION_MAJOR ...
#define EMBER_VERSION_MINOR ...
#define EMBER_VERSION_PATCH ...
#define EMBER_RUNTIME_VERSION ...
#define EMBER_MAX_RANK ...
#define EMBER_MODEL_ALIGNMENT ...

typedef enum ember_status {
    EMBER_STATUS_OK = 0,
    EMBER_STATUS_ERROR = 1,
    EMBER_STATUS_INVALID_MODEL = 2,
    EMBER_STATUS_UNSUPPORTED = 3,
    EMBER_STATUS_VERSION = 4,
    EMBER_STATUS_HASH_MISMATCH = 5,
    EMBER_STATUS_NO_MEMORY = 6,
    EMBER_STATUS_ARENA_TOO_SMALL = 7,
    EMBER_STATUS_INVALID_ARGUMENT = 8,
    EMBER_STATUS_MISUSE = 9,
    EMBER_STATUS_EVAL_ERROR = 10,
    EMBER_STATUS_COUNT = 11
} ember_status;

typedef enum ember_type {
    EMBER_DTYPE_FLOAT32 = 0,
    EMBER_DTYPE_FLOAT16 = 1,
    EMBER_DTYPE_INT8 = 2,
    EMBER_DTYPE_UINT8 = 3,
    EMBER_DTYPE_INT16 = 4,
    EMBER_DTYPE_INT32 = 5,
    EMBER_DTYPE_INT64 = 6,
    EMBER_DTYPE_BOOL = 7
} ember_type;

#define EMBER_ISA_NONE ...
#define EMBER_ISA_AVX2 ...
#define EMBER_ISA_NEON ...
#define EMBER_ISA_NEONDOT ...
#define EMBER_ISA_ALL ...

typedef struct ember_allocator {
    void *(*alloc)(void *user, size_t size, size_t align);
    void (*free)(void *user, void *ptr);
    void *user;
} ember_allocator;

typedef struct ember_options {
    uint32_t isa_mask;
    int32_t num_threads;
    int32_t verify_hash;
    const ember_allocator *allocator;
    void *arena;
    size_t arena_size;
} ember_options;

typedef struct ember_tensor_info {
    const char *name;
    ember_type type;
    uint32_t rank;
    int32_t dims[...];
    size_t bytes;
    uint32_t quant_count;
    int32_t quant_axis;
    float scale;
    int64_t zero_point;
    int32_t is_constant;
} ember_tensor_info;

void ember_options_init(ember_options *options);
const char *ember_status_str(ember_status status);
const char *ember_type_str(ember_type type);
size_t ember_type_size(ember_type type);

ember_status ember_model_verify(const void *data, size_t size, char *msg, size_t msg_size);

typedef struct ember_interp ember_interp;

ember_status ember_interp_create(const void *data, size_t size, const ember_options *options,
                                 ember_interp **out);
void ember_interp_destroy(ember_interp *interp);
const char *ember_errmsg(const ember_interp *interp);

ember_status ember_interp_allocate(ember_interp *interp);
size_t ember_interp_arena_size(const ember_interp *interp);
ember_status ember_interp_invoke(ember_interp *interp);

uint32_t ember_interp_tensor_count(const ember_interp *interp);
uint32_t ember_interp_input_count(const ember_interp *interp);
uint32_t ember_interp_output_count(const ember_interp *interp);
int32_t ember_interp_input_tensor(const ember_interp *interp, uint32_t position);
int32_t ember_interp_output_tensor(const ember_interp *interp, uint32_t position);
ember_status ember_interp_tensor_info(const ember_interp *interp, uint32_t tensor,
                                      ember_tensor_info *info);
void *ember_interp_tensor_data(ember_interp *interp, uint32_t tensor);
uint32_t ember_interp_tensor_quant(const ember_interp *interp, uint32_t tensor, float *scales,
                                   int64_t *zero_points, uint32_t capacity);

uint32_t ember_interp_signature_count(const ember_interp *interp);
const char *ember_interp_signature_key(const ember_interp *interp, uint32_t signature);
uint32_t ember_interp_signature_io_count(const ember_interp *interp, uint32_t signature,
                                         int is_output);
ember_status ember_interp_signature_io(const ember_interp *interp, uint32_t signature,
                                       int is_output, uint32_t position, const char **name,
                                       int32_t *tensor);

uint32_t ember_interp_metadata_count(const ember_interp *interp);
ember_status ember_interp_metadata_at(const ember_interp *interp, uint32_t index,
                                      const char **key, const char **value);
const char *ember_interp_metadata(const ember_interp *interp, const char *key);

uint32_t ember_interp_node_count(const ember_interp *interp);
const char *ember_interp_node_op(const ember_interp *interp, uint32_t node);

uint32_t ember_interp_cpu_features(const ember_interp *interp);
"""


# Per host architecture: the optimised-kernel directories under csrc/kernels, each with the flags
# only its files get (mk/c.mk uses the same scheme), and the defines that enable them.
_ISA_DIRS = {
    "x86_64": {"avx2": ["-mavx2", "-mfma", "-mf16c"]},
    "aarch64": {"neon": [], "neondot": ["-march=armv8.2-a+dotprod"]},
}
_ISA_DEFINES = {
    "x86_64": ["EMBER_HAVE_AVX2"],
    "aarch64": ["EMBER_HAVE_NEON", "EMBER_HAVE_NEONDOT"],
}
_MACHINES = {"amd64": "x86_64", "x86_64": "x86_64", "arm64": "aarch64", "aarch64": "aarch64"}
CFLAGS = ["-std=c11", "-O2"]


def _compiler() -> list[str]:
    cc = os.environ.get("CC") or sysconfig.get_config_var("CC") or "cc"
    return shlex.split(cc)


def _defines_flags(machine: str) -> list[str]:
    return [f"-D{name}=1" for name in _ISA_DEFINES.get(machine, [])]


def _isa_objects(machine: str) -> list[str]:
    """Compiles each ISA directory's files with that ISA's flags; setuptools can give only one
    set of flags to all sources of an extension, so these are linked in as objects."""
    out_dir = ROOT / "build" / "ffi-isa"
    objects = []
    for isa, flags in _ISA_DIRS.get(machine, {}).items():
        for src in sorted((ROOT / "csrc" / "kernels" / isa).glob("*.c")):
            obj = out_dir / isa / (src.stem + ".o")
            obj.parent.mkdir(parents=True, exist_ok=True)
            subprocess.run([*_compiler(), *CFLAGS, *_defines_flags(machine), *flags, "-fPIC",
                            f"-I{ROOT / 'csrc'}", f"-I{ROOT / 'csrc' / 'include'}",
                            "-c", str(src), "-o", str(obj)], check=True)
            objects.append(str(obj))
    return objects


def _sources() -> list[str]:
    # Relative to the repository root: setuptools refuses absolute source paths.
    csrc = ROOT / "csrc"
    files = sorted(csrc.glob("*.c")) + sorted((csrc / "kernels").glob("*.c"))
    return [str(p.relative_to(ROOT)) for p in files]


_machine = _MACHINES.get(platform.machine().lower(), "")
ffibuilder = FFI()
ffibuilder.cdef(CDEF)
ffibuilder.set_source(
    "emberlite._ember",
    '#include "emberlite.h"',
    sources=_sources(),
    include_dirs=[str(ROOT / "csrc"), str(ROOT / "csrc" / "include")],
    define_macros=[(name, "1") for name in _ISA_DEFINES.get(_machine, [])],
    extra_compile_args=CFLAGS,
    extra_objects=_isa_objects(_machine),
    libraries=["m"],
)

if __name__ == "__main__":
    os.chdir(ROOT)
    ffibuilder.compile(verbose=True)
