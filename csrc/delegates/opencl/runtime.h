/* The delegate's runtime, shared by delegate.c, runtime.c, program.c and plan.c (the op files
   need only cld.h): options, the device, the program and its cache. */
#ifndef EMBER_CLD_RUNTIME_H
#define EMBER_CLD_RUNTIME_H

#include <pthread.h>

#include "cld.h"

#define CLD_PATH_SIZE 4096
#define CLD_TEXT_SIZE 256
#define CLD_MSG_SIZE 1024

typedef struct cld_options {
    bool fp16;                          /* precision=fp16 */
    char cache_dir[CLD_PATH_SIZE];      /* "" = no cache */
    cl_device_type device_type;         /* 0 = all: the first GPU if any, else the first */
    char device_type_name[16];          /* as given, for describe() */
    char library[CLD_PATH_SIZE];        /* opencl_library */
    char build_options[CLD_TEXT_SIZE];  /* appended to clBuildProgram's */
    uint32_t min_partition_nodes;
    uint32_t max_partition_nodes;
} cld_options;

/* Fills options from key/value strings over the defaults; EMBER_STATUS_INVALID_ARGUMENT with
   a message for an unknown key or a bad value (delegate.c). */
ember_status cld_options_parse(cld_options *options, const char *const *keys,
                               const char *const *values, size_t count, char *msg,
                               size_t msg_size);

/* The OpenCL library, platform, device, context and queue (runtime.c). */
typedef struct cld_device {
    void *library;                      /* dlopen handle */
    cld_cl cl;
    cl_platform_id platform;
    cl_device_id device;
    cl_context context;
    cl_command_queue queue;
    char platform_name[CLD_TEXT_SIZE];
    char platform_version[CLD_TEXT_SIZE];
    char name[CLD_TEXT_SIZE];
    char vendor[CLD_TEXT_SIZE];
    char driver_version[CLD_TEXT_SIZE];
    char version[CLD_TEXT_SIZE];        /* CL_DEVICE_VERSION, "OpenCL 1.2 ..." */
    bool has_fp16;                      /* cl_khr_fp16 */
    uint32_t base_align;                /* CL_DEVICE_MEM_BASE_ADDR_ALIGN, in bytes */
    cl_ulong max_alloc;                 /* CL_DEVICE_MAX_MEM_ALLOC_SIZE */
    size_t max_group;                   /* CL_DEVICE_MAX_WORK_GROUP_SIZE, 1 if unknown */
} cld_device;

/* Opens everything or nothing: on failure the message says what was missing ("no OpenCL
   library: ...", "no OpenCL device of type gpu") and dev holds nothing to close. */
ember_status cld_device_open(cld_device *dev, const cld_options *options, char *msg,
                             size_t msg_size);
void cld_device_close(cld_device *dev);

/* ---- the program (program.c) -------------------------------------------------------------- */

/* The kernels/ *.cl sources, common.cl first, as one text (generated at build time by
   scripts/embed_cl.py). */
extern const char cld_program_source[];
extern const size_t cld_program_source_size;

typedef struct cld_program {
    cl_program program;
    size_t stored_size;                 /* the binary's size in the cache file, 0: none */
    char cache_path[CLD_PATH_SIZE];     /* "" without a cache */
    char build_options[CLD_TEXT_SIZE + 64];
    char report[CLD_MSG_SIZE];          /* what the cache did, for describe() */
    uint8_t graph[32];
} cld_program;

/* Loads the program from its cache file when one verifies, else builds it from source. The
   report says what happened to the cache (a file that did not verify and why). `graph` is a
   digest of the graph the program first serves (delegate.c): part of the cache key, since
   the binary also holds the kernels compiled for that graph's launches. */
ember_status cld_program_open(cld_program *prog, cld_device *dev, const cld_options *options,
                              const uint8_t graph[32], char *msg, size_t msg_size);
/* Writes the program's binary to its cache file (atomically), now that launches compiled
   what the driver compiles at first use; a failure only goes to the report. Does nothing
   without a cache, or when the binary is as large as the file's (nothing was compiled since:
   a driver's binary grows with each kernel it compiles, as PoCL's does). */
void cld_program_save(cld_program *prog, cld_device *dev);
void cld_program_close(cld_program *prog, cld_device *dev);

/* ---- the cache file (program_cache.c): pure functions, fuzzed ----------------------------
   Layout, little-endian: magic "EMBRCLPC" (8 bytes), format version (u32), zero (u32),
   key (32 bytes), payload length (u64), payload SHA-256 (32 bytes), then the payload (the
   program binary). */
#define CLD_CACHE_FORMAT_VERSION 1u
#define CLD_CACHE_HEADER_SIZE 88u

typedef enum cld_cache_verdict {
    CLD_CACHE_OK = 0,
    CLD_CACHE_TRUNCATED,        /* shorter than the header */
    CLD_CACHE_BAD_MAGIC,
    CLD_CACHE_BAD_VERSION,
    CLD_CACHE_KEY_MISMATCH,
    CLD_CACHE_BAD_LENGTH,       /* the payload length does not match the file's size */
    CLD_CACHE_HASH_MISMATCH
} cld_cache_verdict;

/* Checks a whole cache file's bytes against the expected key; on CLD_CACHE_OK the payload is
   bytes[*payload_offset .. + *payload_size]. */
cld_cache_verdict cld_cache_parse(const uint8_t *bytes, size_t size, const uint8_t key[32],
                                  size_t *payload_offset, size_t *payload_size);
const char *cld_cache_verdict_str(cld_cache_verdict verdict);
void cld_cache_header(uint8_t header[CLD_CACHE_HEADER_SIZE], const uint8_t key[32],
                      const uint8_t *payload, size_t payload_size);
void cld_sha256(const void *data, size_t size, uint8_t digest[32]);

/* ---- the delegate (delegate.c) -------------------------------------------------------------- */
typedef struct cld_delegate {
    ember_delegate base;                /* first: the core hands &base back as user */
    const ember_core_api *api;
    cld_options options;
    /* Interpreters on several threads may share the delegate: the lock covers starting,
       the program cache and the texts below (each plan is its interpreter's alone). */
    pthread_mutex_t lock;
    bool started;                       /* the first claim tried to open device and program */
    ember_status start_status;
    char start_error[CLD_MSG_SIZE];
    cld_device device;
    cld_program program;
    char last_prepare[CLD_MSG_SIZE];    /* what the last prepare found, for describe() */
} cld_delegate;

/* ---- partitions (plan.c) -------------------------------------------------------------------- */
ember_status cld_plan_create(cld_delegate *d, ember_interp *interp,
                             const ember_partition *partition, cld_plan **out, char *msg,
                             size_t msg_size);
ember_status cld_plan_invoke(cld_plan *plan, char *msg, size_t msg_size);
void cld_plan_destroy(cld_plan *plan);

/* float32 to binary16 rounding to nearest, ties to even (overflow to infinity, NaN kept), and
   back (exact) (half.c). */
uint16_t cld_float_to_half(float f);
float cld_half_to_float(uint16_t h);

/* snprintf into a fixed buffer, never failing (truncates); returns msg. */
char *cld_format(char *msg, size_t size, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

#endif /* EMBER_CLD_RUNTIME_H */
