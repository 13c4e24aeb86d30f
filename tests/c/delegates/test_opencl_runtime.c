/* The OpenCL delegate as a user meets it: the library loaded with dlopen, its options, the
   model's outputs against the CPU interpreter's (the oracle), and every way it can fail (no
   OpenCL library, no platform, a failing clBuildProgram, a cache file that does not verify):
   the delegate says why, and the model still runs, on the CPU where it must.
   Runs as `test_opencl_runtime MODELS_DIR LIBRARY` (mk/opencl.mk), on PoCL. */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <math.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "opencl_test_util.h"
#include "test_util.h"

#define MAX_OUT 4096

static ember_delegate_create_fn create_fn;
static ember_delegate_destroy_fn destroy_fn;
static const char *models_dir;

typedef struct result {
    ember_status status;
    float out[MAX_OUT];
    size_t count;
    uint32_t nodes, on_device, partitions;
    char reason[512];       /* the first CPU node's reason */
    char description[4096]; /* describe() after allocate */
} result;

/* Runs `model` with the delegate d (none when NULL), which stays alive. */
static void run_with(const char *model, ember_delegate *d, result *r) {
    memset(r, 0, sizeof *r);
    size_t size = 0;
    uint8_t *bytes = test_read_file(models_dir, model, &size);
    ember_interp *ip = NULL;
    r->status = bytes ? ember_interp_create(bytes, size, NULL, &ip) : EMBER_STATUS_ERROR;
    if (r->status == EMBER_STATUS_OK)
        r->status = opencl_test_invoke(ip, d);
    if (r->status == EMBER_STATUS_OK) {
        uint32_t t = ember_interp_output_tensor(ip, 0);
        ember_tensor_info info;
        ember_interp_tensor_info(ip, t, &info);
        r->count = info.bytes / sizeof(float) < MAX_OUT ? info.bytes / sizeof(float) : MAX_OUT;
        memcpy(r->out, ember_interp_tensor_data(ip, t), r->count * sizeof(float));
        r->nodes = ember_interp_node_count(ip);
        r->partitions = ember_interp_partition_count(ip);
        for (uint32_t n = 0; n < r->nodes; n++) {
            ember_node_placement p;
            ember_interp_node_placement(ip, n, &p);
            if (p.delegate != NULL && strcmp(p.delegate, "opencl") == 0)
                r->on_device++;
            else if (r->reason[0] == '\0' && p.reason != NULL)
                snprintf(r->reason, sizeof r->reason, "%s", p.reason);
        }
    } else {
        fprintf(stderr, "%s: %s\n", model, ip ? ember_errmsg(ip) : "no interpreter");
    }
    if (d != NULL && d->describe != NULL)
        d->describe(d->user, r->description, sizeof r->description);
    ember_interp_destroy(ip);
    free(bytes);
}

/* Runs `model` with a delegate made from the options (none when count is SIZE_MAX). */
static void run(const char *model, const char *const *keys, const char *const *values,
                size_t count, result *r) {
    ember_delegate *d = NULL;
    char msg[512] = "";
    if (count != SIZE_MAX) {
        d = create_fn(ember_core_api_get(), keys, values, count, msg, sizeof msg);
        if (d == NULL) {
            memset(r, 0, sizeof *r);
            r->status = EMBER_STATUS_INVALID_ARGUMENT;
            fprintf(stderr, "%s: no delegate: %s\n", model, msg);
            return;
        }
    }
    run_with(model, d, r);
    if (d != NULL)
        destroy_fn(d);
}

/* Outputs within tolerance x max |cpu output| of the CPU's. */
static bool close_to(const result *got, const result *cpu, float tolerance) {
    if (got->status != EMBER_STATUS_OK || got->count != cpu->count || cpu->count == 0)
        return false;
    float max_abs = 0.0f, max_err = 0.0f;
    for (size_t i = 0; i < cpu->count; i++) {
        max_abs = fmaxf(max_abs, fabsf(cpu->out[i]));
        max_err = fmaxf(max_err, fabsf(got->out[i] - cpu->out[i]));
    }
    if (!(max_err <= tolerance * fmaxf(max_abs, 1e-6f)))
        fprintf(stderr, "max error %g, max |output| %g\n", (double)max_err, (double)max_abs);
    return max_err <= tolerance * fmaxf(max_abs, 1e-6f);
}

static bool same_bytes(const result *a, const result *b) {
    return a->status == EMBER_STATUS_OK && a->count == b->count &&
           memcmp(a->out, b->out, a->count * sizeof(float)) == 0;
}

static char cache_dir[1024];

/* The one cache file in cache_dir (its path), false when there is not exactly one. */
static bool cache_file(char *path, size_t size) {
    DIR *dir = opendir(cache_dir);
    int found = 0;
    for (struct dirent *e; dir != NULL && (e = readdir(dir)) != NULL;) {
        size_t n = strlen(e->d_name);
        if (n > 4 && strcmp(e->d_name + n - 4, ".bin") == 0) {
            snprintf(path, size, "%s/%s", cache_dir, e->d_name);
            found++;
        }
    }
    if (dir != NULL)
        closedir(dir);
    return found == 1;
}

static uint8_t *slurp(const char *path, size_t *size) {
    FILE *f = fopen(path, "rb");
    uint8_t *bytes = NULL;
    if (f != NULL && fseek(f, 0, SEEK_END) == 0) {
        long n = ftell(f);
        rewind(f);
        bytes = n > 0 ? malloc((size_t)n) : NULL;
        *size = bytes && fread(bytes, 1, (size_t)n, f) == (size_t)n ? (size_t)n : 0;
    }
    if (f != NULL)
        fclose(f);
    return bytes;
}

static void spill(const char *path, const uint8_t *bytes, size_t size) {
    FILE *f = fopen(path, "wb");
    if (f != NULL) {
        CHECK(fwrite(bytes, 1, size, f) == size);
        fclose(f);
    }
}

static const char *const cache_keys[] = {"cache_dir"};

/* The model with the cache: outputs as the CPU's, the describe() text containing `expect`
   and, when the program was rebuilt, that the cache file was written again. */
static void check_cached_run(const char *model, const result *cpu, const char *expect) {
    const char *values[] = {cache_dir};
    result r;
    run(model, cache_keys, values, 1, &r);
    CHECK_MSG(close_to(&r, cpu, 1e-4f), "%s with the cache (%s)", model, expect);
    CHECK_MSG(r.on_device > 0, "%s: nothing ran on the device: %s", model, r.reason);
    CHECK_MSG(strstr(r.description, expect) != NULL, "expected \"%s\" in: %s", expect,
              r.description);
    if (strstr(expect, "loaded from cache") == NULL)
        CHECK_MSG(strstr(r.description, "saved cache file") != NULL, "not saved: %s",
                  r.description);
}

/* Damages the cache file with `damage`, then the next run must say `verdict`, rebuild, give
   the CPU's outputs and write a good file again, which the run after loads. */
static void check_damaged_cache(const char *model, const result *cpu, const char *verdict,
                                void (*damage)(uint8_t *bytes, size_t *size)) {
    char path[1200];
    size_t size = 0;
    uint8_t *bytes = NULL;
    CHECK(cache_file(path, sizeof path));
    CHECK((bytes = slurp(path, &size)) != NULL && size > 200);
    if (bytes == NULL || size <= 200) {
        free(bytes);
        return;
    }
    damage(bytes, &size);
    spill(path, bytes, size);
    free(bytes);
    check_cached_run(model, cpu, verdict);
    check_cached_run(model, cpu, "loaded from cache");
}

static void flip_payload_byte(uint8_t *bytes, size_t *size) {
    bytes[*size / 2] ^= 0x40;
}

static void truncate_tail(uint8_t *bytes, size_t *size) {
    (void)bytes;
    *size -= 100;
}

static void truncate_header(uint8_t *bytes, size_t *size) {
    (void)bytes;
    *size = 40;
}

static void change_key(uint8_t *bytes, size_t *size) {
    (void)size;
    bytes[20] ^= 1; /* inside the key field (bytes 16..47) */
}

static void test_cache(const char *model, const result *cpu) {
    snprintf(cache_dir, sizeof cache_dir, "%s/opencl-cache-XXXXXX", models_dir);
    CHECK(mkdtemp(cache_dir) != NULL);
    check_cached_run(model, cpu, "built from source");
    check_cached_run(model, cpu, "loaded from cache");
    check_damaged_cache(model, cpu, "payload hash mismatch, rebuilt", flip_payload_byte);
    check_damaged_cache(model, cpu, "payload length does not match the file size, rebuilt",
                        truncate_tail);
    check_damaged_cache(model, cpu, "shorter than its header, rebuilt", truncate_header);
    check_damaged_cache(model, cpu, "key mismatch, rebuilt", change_key);
    char path[1200];
    if (cache_file(path, sizeof path))
        unlink(path);
    rmdir(cache_dir);
}

/* The delegate could not start: every node on the CPU with the reason, the CPU's bytes. */
static void check_refused(const char *model, const result *cpu, const char *key,
                          const char *value, const char *reason) {
    const char *keys[] = {key, "cache_dir"};
    const char *values[] = {value, ""};
    result r;
    run(model, keys, values, 2, &r);
    CHECK_MSG(same_bytes(&r, cpu), "%s=%s: the CPU's outputs", key, value);
    CHECK_MSG(r.on_device == 0, "%s=%s: %u nodes on the device", key, value,
              (unsigned)r.on_device);
    CHECK_MSG(strstr(r.reason, reason) != NULL, "%s=%s: reason \"%s\", expected \"%s\"", key,
              value, r.reason, reason);
    CHECK_MSG(strstr(r.description, reason) != NULL, "%s=%s: describe() says: %s", key, value,
              r.description);
}

static void test_bad_options(void) {
    const char *keys[] = {"precision", "colour", "min_partition_nodes", "device_type"};
    const char *values[] = {"fp8", "blue", "-1", "phone"};
    const char *expect[] = {"precision", "unknown option \"colour\"", "min_partition_nodes",
                            "device_type"};
    for (int i = 0; i < 4; i++) {
        char msg[512] = "";
        ember_delegate *d = create_fn(ember_core_api_get(), &keys[i], &values[i], 1, msg,
                                      sizeof msg);
        CHECK_MSG(d == NULL && strstr(msg, expect[i]) != NULL, "%s=%s: %s", keys[i], values[i],
                  msg);
        if (d != NULL)
            destroy_fn(d);
    }
    const char *keys2[] = {"max_partition_nodes", "min_partition_nodes"};
    const char *values2[] = {"7", "3"};
    char msg[512] = "";
    ember_delegate *d = create_fn(ember_core_api_get(), keys2, values2, 2, msg, sizeof msg);
    CHECK(d != NULL && d->max_partition_nodes == 7 && d->min_partition_nodes == 3);
    CHECK(d != NULL && d->abi_version == EMBER_DELEGATE_ABI_VERSION &&
          strcmp(d->name, "opencl") == 0);
    if (d != NULL)
        destroy_fn(d);
}

/* In a child process, before this process touches OpenCL: the ICD loader reads its vendor
   list once per process. */
static void test_no_platform(const char *model, const result *cpu) {
    char empty[1024];
    snprintf(empty, sizeof empty, "%s/opencl-vendors-XXXXXX", models_dir);
    CHECK(mkdtemp(empty) != NULL);
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        setenv("OCL_ICD_VENDORS", empty, 1);
        test_passed = test_failed = 0;
        check_refused(model, cpu, "device_type", "all", "no OpenCL platform");
        _exit(test_failed == 0 && test_passed > 0 ? 0 : 1);
    }
    int status = 0;
    CHECK(pid > 0 && waitpid(pid, &status, 0) == pid);
    CHECK_MSG(WIFEXITED(status) && WEXITSTATUS(status) == 0, "no-platform child failed");
    rmdir(empty);
}

/* Partitions cut short (max_partition_nodes) pass their tensors through the arena between
   them; partitions under min_partition_nodes go back to the CPU. */
static void test_partitions(const char *model, const result *cpu) {
    const char *keys[] = {"max_partition_nodes", "cache_dir"};
    const char *two[] = {"2", ""};
    result r;
    run(model, keys, two, 2, &r);
    CHECK_MSG(close_to(&r, cpu, 1e-4f), "max_partition_nodes=2");
    CHECK_MSG(r.on_device == r.nodes && r.partitions == (r.nodes + 1) / 2,
              "max_partition_nodes=2: %u of %u nodes in %u partitions", (unsigned)r.on_device,
              (unsigned)r.nodes, (unsigned)r.partitions);
    const char *min_keys[] = {"min_partition_nodes", "cache_dir"};
    const char *many[] = {"1000", ""};
    run(model, min_keys, many, 2, &r);
    CHECK_MSG(same_bytes(&r, cpu) && r.on_device == 0 && r.reason[0] != '\0',
              "min_partition_nodes=1000: %u nodes on the device, reason \"%s\"",
              (unsigned)r.on_device, r.reason);
}

/* One delegate serves interpreters of two models in turn (one program for both). */
static void test_shared_delegate(const char *model, const result *cpu) {
    const char *keys[] = {"cache_dir"};
    const char *values[] = {""};
    char msg[512] = "";
    ember_delegate *d = create_fn(ember_core_api_get(), keys, values, 1, msg, sizeof msg);
    CHECK(d != NULL);
    if (d == NULL)
        return;
    result fc_cpu, r;
    run_with("fc.ember", NULL, &fc_cpu);
    run_with(model, d, &r);
    CHECK_MSG(close_to(&r, cpu, 1e-4f) && r.on_device > 0, "shared delegate, first model");
    run_with("fc.ember", d, &r);
    CHECK_MSG(close_to(&r, &fc_cpu, 1e-4f) && r.on_device > 0, "shared delegate, fc.ember");
    run_with(model, d, &r);
    CHECK_MSG(close_to(&r, cpu, 1e-4f) && r.on_device > 0, "shared delegate, first again");
    destroy_fn(d);
}

int main(int argc, char **argv) {
    if (argc < 3 || !opencl_test_load(argv[2], &create_fn, &destroy_fn)) {
        fprintf(stderr, "usage: %s MODELS_DIR LIBRARY\n", argv[0]);
        return 2;
    }
    models_dir = argv[1];
    const char *model = "conv_relu_add.ember";
    result cpu;
    run(model, NULL, NULL, SIZE_MAX, &cpu);
    CHECK(cpu.status == EMBER_STATUS_OK && cpu.count > 0);

    test_no_platform(model, &cpu);
    test_bad_options();
    check_refused(model, &cpu, "opencl_library", "libember-no-such-opencl.so",
                  "no OpenCL library");
    check_refused(model, &cpu, "device_type", "accelerator", "no OpenCL device of type");
    check_refused(model, &cpu, "build_options", "-cl-std=CL9.9", "clBuildProgram");

    test_cache(model, &cpu);
    test_partitions(model, &cpu);
    test_shared_delegate(model, &cpu);

    const char *keys[] = {"precision", "cache_dir"};
    const char *fp32[] = {"fp32", ""}, *fp16[] = {"fp16", ""};
    result r;
    run(model, keys, fp32, 2, &r);
    CHECK_MSG(close_to(&r, &cpu, 1e-4f), "fp32 without cache");
    CHECK_MSG(r.on_device == r.nodes, "%u of %u nodes on the device: %s", (unsigned)r.on_device,
              (unsigned)r.nodes, r.reason);
    /* Half storage (11-bit significands) through a few layers: a few parts per thousand. */
    run(model, keys, fp16, 2, &r);
    CHECK_MSG(close_to(&r, &cpu, 1e-2f), "fp16");
    CHECK_MSG(r.on_device > 0, "fp16: nothing on the device: %s", r.reason);
    return test_report("test_opencl_runtime");
}
