/* Every model the C tests have (MODELS_DIR/index.txt and empty_index.txt: one per op, int8
   and int16 blocks, dynamic shapes, tensors with no elements) on the CPU and with the OpenCL
   delegate: the same status, float32 outputs within 1e-4 x max |output| of the CPU's, other
   outputs byte for byte, and nodes the delegate refuses each with a reason. Runs as
   `test_opencl_models MODELS_DIR LIBRARY` (mk/opencl.mk), on PoCL. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>

#include "opencl_test_util.h"
#include "test_util.h"

#define MAX_OUTPUTS 8

static ember_delegate_create_fn create_fn;
static ember_delegate_destroy_fn destroy_fn;

typedef struct run_result {
    ember_status status;
    uint32_t output_count;
    ember_type types[MAX_OUTPUTS];
    size_t bytes[MAX_OUTPUTS];
    uint8_t *data[MAX_OUTPUTS];
    uint32_t on_device, without_reason;
} run_result;

static void keep_outputs(ember_interp *ip, run_result *r) {
    r->output_count = ember_interp_output_count(ip);
    if (r->output_count > MAX_OUTPUTS)
        r->output_count = MAX_OUTPUTS;
    for (uint32_t k = 0; k < r->output_count; k++) {
        uint32_t t = ember_interp_output_tensor(ip, k);
        ember_tensor_info info;
        ember_interp_tensor_info(ip, t, &info);
        r->types[k] = info.type;
        r->bytes[k] = info.bytes;
        r->data[k] = malloc(info.bytes ? info.bytes : 1);
        if (r->data[k] != NULL && info.bytes > 0)
            memcpy(r->data[k], ember_interp_tensor_data(ip, t), info.bytes);
    }
}

static void run(const uint8_t *model, size_t size, bool delegated, run_result *r) {
    memset(r, 0, sizeof *r);
    static const char *const keys[] = {"cache_dir"};
    static const char *const values[] = {""};
    ember_interp *ip = NULL;
    ember_delegate *d = NULL;
    char msg[256] = "";
    r->status = ember_interp_create(model, size, NULL, &ip);
    if (r->status == EMBER_STATUS_OK && delegated) {
        d = create_fn(ember_core_api_get(), keys, values, 1, msg, sizeof msg);
        r->status = d ? EMBER_STATUS_OK : EMBER_STATUS_ERROR;
    }
    if (r->status == EMBER_STATUS_OK)
        r->status = opencl_test_invoke(ip, d);
    if (r->status == EMBER_STATUS_OK) {
        keep_outputs(ip, r);
        for (uint32_t n = 0; n < ember_interp_node_count(ip); n++) {
            ember_node_placement p;
            ember_interp_node_placement(ip, n, &p);
            if (p.delegate != NULL)
                r->on_device++;
            else if (delegated && (p.reason == NULL || p.reason[0] == '\0'))
                r->without_reason++;
        }
    }
    ember_interp_destroy(ip);
    if (d != NULL)
        destroy_fn(d);
}

static bool outputs_agree(const char *name, const run_result *cpu, const run_result *gpu) {
    if (cpu->output_count != gpu->output_count)
        return false;
    for (uint32_t k = 0; k < cpu->output_count; k++) {
        if (cpu->bytes[k] != gpu->bytes[k] || cpu->data[k] == NULL || gpu->data[k] == NULL)
            return false;
        if (cpu->types[k] != EMBER_TYPE_FLOAT32) {
            if (memcmp(cpu->data[k], gpu->data[k], cpu->bytes[k]) != 0)
                return false;
            continue;
        }
        const float *a = (const float *)cpu->data[k], *b = (const float *)gpu->data[k];
        float max_abs = 0.0f, max_err = 0.0f;
        for (size_t i = 0; i < cpu->bytes[k] / sizeof(float); i++) {
            max_abs = fmaxf(max_abs, fabsf(a[i]));
            float err = fabsf(a[i] - b[i]);
            if (!(err <= max_err))
                max_err = isnan(err) && !isnan(a[i]) ? INFINITY : fmaxf(max_err, err);
        }
        if (!(max_err <= 1e-4f * fmaxf(max_abs, 1e-6f))) {
            fprintf(stderr, "%s output %u: max error %g, max |output| %g\n", name, (unsigned)k,
                    (double)max_err, (double)max_abs);
            return false;
        }
    }
    return true;
}

static void free_outputs(run_result *r) {
    for (uint32_t k = 0; k < r->output_count; k++)
        free(r->data[k]);
}

/* The models listed in `index` (one a line, a name and maybe a word after it); returns how
   many nodes ran on the device over all of them. */
static uint32_t check_index(const char *dir, const char *index) {
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, index);
    FILE *f = fopen(path, "r");
    CHECK_MSG(f != NULL, "no %s", path);
    uint32_t on_device = 0;
    char line[512];
    while (f != NULL && fgets(line, sizeof line, f) != NULL) {
        line[strcspn(line, " \n")] = '\0';
        if (line[0] == '\0')
            continue;
        size_t size = 0;
        uint8_t *model = test_read_file(dir, line, &size);
        CHECK_MSG(model != NULL, "%s", line);
        if (model == NULL)
            continue;
        run_result cpu, gpu;
        run(model, size, false, &cpu);
        run(model, size, true, &gpu);
        CHECK_MSG(gpu.status == cpu.status, "%s: status %d with the delegate, %d without", line,
                  (int)gpu.status, (int)cpu.status);
        if (cpu.status == EMBER_STATUS_OK)
            CHECK_MSG(outputs_agree(line, &cpu, &gpu), "%s: outputs differ", line);
        CHECK_MSG(gpu.without_reason == 0, "%s: %u CPU nodes without a reason", line,
                  (unsigned)gpu.without_reason);
        on_device += gpu.on_device;
        free_outputs(&cpu);
        free_outputs(&gpu);
        free(model);
    }
    if (f != NULL)
        fclose(f);
    return on_device;
}

int main(int argc, char **argv) {
    if (argc < 3 || !opencl_test_load(argv[2], &create_fn, &destroy_fn)) {
        fprintf(stderr, "usage: %s MODELS_DIR LIBRARY\n", argv[0]);
        return 2;
    }
    uint32_t on_device = check_index(argv[1], "index.txt");
    /* Most float32 op models run on the device; a delegate that took nothing would pass the
       comparisons above trivially. */
    CHECK_MSG(on_device >= 30, "only %u nodes ran on the device", (unsigned)on_device);
    check_index(argv[1], "empty_index.txt");
    return test_report("test_opencl_models");
}
