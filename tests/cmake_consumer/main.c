/* consumer MODEL [-t THREADS] [VALUE...]: loads an .ember file, creates an interpreter on it,
 * fills the first input with the VALUEs (the rest zero), runs it and prints every output.
 * Memory comes from an ember_pool over a static buffer (ember_options.allocator), so the
 * same code runs with and without a heap. Prints the package and header versions, the status
 * of a failed step and "status: CODE (TEXT)" last; exits 0 when every step succeeded. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <emberlite.h>

#define MODEL_CAPACITY (64 * 1024)
#define POOL_CAPACITY (512 * 1024)

static _Alignas(64) unsigned char model[MODEL_CAPACITY];
static _Alignas(64) unsigned char memory[POOL_CAPACITY];

static int finish(ember_interp *interp, const char *step, ember_status status) {
    if (status != EMBER_STATUS_OK)
        printf("%s: %s (%s)\n", step, ember_status_str(status),
               interp ? ember_errmsg(interp) : "no interpreter");
    printf("status: %d (%s)\n", (int)status, ember_status_str(status));
    if (interp)
        ember_interp_destroy(interp);
    return status == EMBER_STATUS_OK ? 0 : 1;
}

static void fill_input(ember_interp *interp, int argc, char **argv, int first) {
    uint32_t tensor = ember_interp_input_tensor(interp, 0);
    ember_tensor_info info;
    if (ember_interp_tensor_info(interp, tensor, &info) != EMBER_STATUS_OK)
        return;
    void *data = ember_interp_tensor_data(interp, tensor);
    size_t count = info.bytes / ember_type_size(info.type);
    memset(data, 0, info.bytes);
    for (size_t i = 0; i < count && first + (int)i < argc; i++) {
        const char *text = argv[first + (int)i];
        if (info.type == EMBER_TYPE_FLOAT32)
            ((float *)data)[i] = strtof(text, NULL);
        else if (info.type == EMBER_TYPE_INT8)
            ((int8_t *)data)[i] = (int8_t)strtol(text, NULL, 10);
    }
}

static void print_outputs(ember_interp *interp) {
    for (uint32_t k = 0; k < ember_interp_output_count(interp); k++) {
        uint32_t tensor = ember_interp_output_tensor(interp, k);
        ember_tensor_info info;
        if (ember_interp_tensor_info(interp, tensor, &info) != EMBER_STATUS_OK)
            continue;
        const void *data = ember_interp_tensor_data(interp, tensor);
        size_t count = info.bytes / ember_type_size(info.type);
        printf("output %u %s:", (unsigned)k, ember_type_str(info.type));
        for (size_t i = 0; i < count; i++) {
            if (info.type == EMBER_TYPE_FLOAT32)
                printf(" %.9g", (double)((const float *)data)[i]);
            else if (info.type == EMBER_TYPE_INT8)
                printf(" %d", (int)((const int8_t *)data)[i]);
        }
        printf("\n");
    }
}

int main(int argc, char **argv) {
    printf("package %s header %d.%d.%d\n", PACKAGE_VERSION, EMBER_VERSION_MAJOR,
           EMBER_VERSION_MINOR, EMBER_VERSION_PATCH);
    if (argc < 2) {
        printf("usage: consumer MODEL [-t THREADS] [VALUE...]\n");
        return 2;
    }
    FILE *file = fopen(argv[1], "rb");
    if (!file) {
        printf("cannot open %s\n", argv[1]);
        return 2;
    }
    size_t size = fread(model, 1, sizeof model, file);
    int whole = feof(file);
    fclose(file);
    if (!whole) {
        printf("%s is larger than %d bytes\n", argv[1], MODEL_CAPACITY);
        return 2;
    }
    int first = 2;
    int threads = 1;
    if (argc > 3 && strcmp(argv[2], "-t") == 0) {
        threads = atoi(argv[3]);
        first = 4;
    }

    ember_pool pool;
    ember_pool_init(&pool, memory, sizeof memory);
    ember_allocator allocator = ember_pool_allocator(&pool);
    ember_options options;
    ember_options_init(&options);
    options.allocator = &allocator;
    options.num_threads = threads;
    ember_interp *interp = NULL;
    ember_status status = ember_interp_create(model, size, &options, &interp);
    if (status != EMBER_STATUS_OK)
        return finish(interp, "create", status);
    status = ember_interp_allocate(interp);
    if (status != EMBER_STATUS_OK)
        return finish(interp, "allocate", status);
    fill_input(interp, argc, argv, first);
    status = ember_interp_invoke(interp);
    if (status != EMBER_STATUS_OK)
        return finish(interp, "invoke", status);
    print_outputs(interp);
    return finish(interp, "invoke", status);
}
