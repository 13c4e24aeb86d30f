/* The core's side of delegates (csrc/delegate.c): partitions, their boundary tensors, the
   fallback when a delegate fails, placements and their reasons, and ember_interp_node_param.
   A small delegate written here ("twin") runs RELU and ADD itself on the arena, so the model
   must give the CPU's exact bytes whatever it takes. */
#include "test_util.h"

typedef struct twin {
    ember_delegate d;
    const ember_core_api *api;
    const char *ops[2];          /* the ops it takes */
    bool fail_prepare, fail_invoke;
    int prepares, invokes, releases;
    uint32_t inputs[4], outputs[4], input_count, output_count; /* of the last prepare */
} twin;

typedef struct twin_part {
    uint32_t first, count;
} twin_part;

static int twin_claim(void *user, const ember_interp *ip, uint32_t node, char *why,
                      size_t why_size) {
    twin *t = user;
    const char *op = t->api->node_op(ip, node);
    for (int k = 0; k < 2; k++) {
        if (t->ops[k] != NULL && strcmp(op, t->ops[k]) == 0)
            return 1;
    }
    snprintf(why, why_size, "no %s here", op);
    return 0;
}

static ember_status twin_prepare(void *user, ember_interp *ip, const ember_partition *p,
                                 void **state, char *msg, size_t msg_size) {
    (void)ip;
    twin *t = user;
    t->prepares++;
    if (t->fail_prepare) {
        snprintf(msg, msg_size, "the twin cannot today");
        return EMBER_STATUS_UNSUPPORTED;
    }
    twin_part *part = malloc(sizeof *part);
    part->first = p->nodes[0];
    part->count = p->node_count;
    for (uint32_t k = 1; k < p->node_count; k++)
        CHECK(p->nodes[k] == p->nodes[0] + k);
    t->input_count = p->input_count < 4 ? p->input_count : 4;
    t->output_count = p->output_count < 4 ? p->output_count : 4;
    memcpy(t->inputs, p->inputs, t->input_count * sizeof *p->inputs);
    memcpy(t->outputs, p->outputs, t->output_count * sizeof *p->outputs);
    *state = part;
    return EMBER_STATUS_OK;
}

/* RELU, or ADD of a tensor and a per-channel vector (the only ADD in the model). */
static void twin_run_node(twin *t, ember_interp *ip, uint32_t node) {
    const ember_core_api *api = t->api;
    ember_tensor_info out;
    api->tensor_info(ip, api->node_io(ip, node, 1, 0), &out);
    float *y = api->tensor_data(ip, api->node_io(ip, node, 1, 0));
    const float *x = api->tensor_data(ip, api->node_io(ip, node, 0, 0));
    const size_t count = out.bytes / sizeof(float);
    if (strcmp(api->node_op(ip, node), "relu") == 0) {
        for (size_t i = 0; i < count; i++)
            y[i] = x[i] > 0.0f ? x[i] : 0.0f;
        return;
    }
    ember_tensor_info b_info;
    api->tensor_info(ip, api->node_io(ip, node, 0, 1), &b_info);
    const float *b = api->tensor_data(ip, api->node_io(ip, node, 0, 1));
    const size_t channels = b_info.bytes / sizeof(float);
    for (size_t i = 0; i < count; i++)
        y[i] = x[i] + b[i % channels];
}

static ember_status twin_invoke(void *user, ember_interp *ip, void *state, char *msg,
                                size_t msg_size) {
    twin *t = user;
    twin_part *part = state;
    t->invokes++;
    if (t->fail_invoke) {
        snprintf(msg, msg_size, "lost the device");
        return EMBER_STATUS_EVAL_ERROR;
    }
    for (uint32_t k = 0; k < part->count; k++)
        twin_run_node(t, ip, part->first + k);
    return EMBER_STATUS_OK;
}

static void twin_release(void *user, void *state) {
    twin *t = user;
    t->releases++;
    free(state);
}

static twin make_twin(const char *op0, const char *op1) {
    twin t;
    memset(&t, 0, sizeof t);
    t.d.abi_version = EMBER_DELEGATE_ABI_VERSION;
    t.d.name = "twin";
    t.d.claim = twin_claim;
    t.d.prepare = twin_prepare;
    t.d.invoke = twin_invoke;
    t.d.release = twin_release;
    t.api = ember_core_api_get();
    t.ops[0] = op0;
    t.ops[1] = op1;
    return t;
}

static void fill_input(ember_interp *ip) {
    const uint32_t x = ember_interp_input_tensor(ip, 0);
    ember_tensor_info info;
    ember_interp_tensor_info(ip, x, &info);
    float *data = ember_interp_tensor_data(ip, x);
    for (size_t i = 0; i < info.bytes / sizeof(float); i++)
        data[i] = (float)((i * 37) % 23) / 7.0f - 1.5f;
}

/* Runs the model with the delegate (or none); *ip stays alive for the caller's checks. */
static ember_status run(const uint8_t *model, size_t size, twin *t, float out[5],
                        ember_interp **ip) {
    ember_status st = ember_interp_create(model, size, NULL, ip);
    if (st == EMBER_STATUS_OK && t != NULL) {
        t->d.user = t; /* (make_twin returns a copy) */
        st = ember_interp_add_delegate(*ip, &t->d);
    }
    if (st == EMBER_STATUS_OK)
        st = ember_interp_allocate(*ip);
    if (st != EMBER_STATUS_OK)
        return st;
    fill_input(*ip);
    st = ember_interp_invoke(*ip);
    memcpy(out, ember_interp_tensor_data(*ip, ember_interp_output_tensor(*ip, 0)),
           5 * sizeof(float));
    return st;
}

static uint32_t tensor_named(ember_interp *ip, const char *name) {
    for (uint32_t t = 0; t < ember_interp_tensor_count(ip); t++) {
        ember_tensor_info info;
        ember_interp_tensor_info(ip, t, &info);
        if (strcmp(info.name, name) == 0)
            return t;
    }
    return EMBER_NO_TENSOR;
}

static void test_one_partition(const uint8_t *model, size_t size, const float want[5]) {
    twin t = make_twin("relu", "add");
    ember_interp *ip = NULL;
    float got[5];
    CHECK(run(model, size, &t, got, &ip) == EMBER_STATUS_OK);
    CHECK(memcmp(got, want, sizeof got) == 0);
    CHECK(t.prepares == 1 && t.invokes == 1);
    CHECK(ember_interp_partition_count(ip) == 1);
    /* conv (0) -> relu (1) -> add (2) -> flatten (3) -> fc (4) */
    ember_node_placement pl;
    for (uint32_t i = 0; i < 5; i++) {
        CHECK(ember_interp_node_placement(ip, i, &pl) == EMBER_STATUS_OK);
        const bool taken = i == 1 || i == 2;
        CHECK_MSG(taken ? pl.delegate != NULL && strcmp(pl.delegate, "twin") == 0 &&
                              pl.partition == 0 && pl.reason[0] == '\0'
                        : pl.delegate == NULL && pl.partition == -1,
                  "node %u", i);
        if (!taken)
            CHECK_MSG(strstr(pl.reason, "twin: no ") != NULL, "reason '%s'", pl.reason);
    }
    CHECK(strcmp(ember_interp_node_variant(ip, 1), "twin") == 0);
    CHECK(t.input_count == 1 && t.inputs[0] == tensor_named(ip, "conv"));
    CHECK(t.output_count == 1 && t.outputs[0] == tensor_named(ip, "sum"));
    /* Node by node: the partition runs at its first node, its other node does nothing. */
    fill_input(ip);
    for (uint32_t i = 0; i < ember_interp_node_count(ip); i++)
        CHECK(ember_interp_invoke_node(ip, i) == EMBER_STATUS_OK);
    CHECK(t.invokes == 2);
    CHECK(memcmp(ember_interp_tensor_data(ip, ember_interp_output_tensor(ip, 0)), want,
                 sizeof got) == 0);
    CHECK(ember_interp_add_delegate(ip, &t.d) == EMBER_STATUS_MISUSE);
    ember_interp_destroy(ip);
    CHECK(t.releases == 1);
}

static void test_partition_lengths(const uint8_t *model, size_t size, const float want[5]) {
    twin t = make_twin("relu", "add");
    t.d.max_partition_nodes = 1;
    ember_interp *ip = NULL;
    float got[5];
    CHECK(run(model, size, &t, got, &ip) == EMBER_STATUS_OK);
    CHECK(memcmp(got, want, sizeof got) == 0);
    CHECK(ember_interp_partition_count(ip) == 2 && t.prepares == 2 && t.invokes == 2);
    /* With one node each, relu's output crosses a partition boundary. */
    CHECK(t.input_count == 1 && t.inputs[0] == tensor_named(ip, "relu"));
    ember_interp_destroy(ip);
    CHECK(t.releases == 2);

    t = make_twin("relu", "add");
    t.d.min_partition_nodes = 3;
    CHECK(run(model, size, &t, got, &ip) == EMBER_STATUS_OK);
    CHECK(memcmp(got, want, sizeof got) == 0);
    CHECK(ember_interp_partition_count(ip) == 0 && t.prepares == 0);
    ember_node_placement pl;
    CHECK(ember_interp_node_placement(ip, 1, &pl) == EMBER_STATUS_OK);
    CHECK_MSG(pl.delegate == NULL && strstr(pl.reason, "min_partition_nodes (3)") != NULL,
              "reason '%s'", pl.reason);
    ember_interp_destroy(ip);
}

static void test_failures(const uint8_t *model, size_t size, const float want[5]) {
    twin t = make_twin("relu", "add");
    t.fail_prepare = true;
    ember_interp *ip = NULL;
    float got[5];
    CHECK(run(model, size, &t, got, &ip) == EMBER_STATUS_OK);
    CHECK(memcmp(got, want, sizeof got) == 0); /* the CPU ran relu and add */
    CHECK(ember_interp_partition_count(ip) == 0 && t.invokes == 0);
    ember_node_placement pl;
    CHECK(ember_interp_node_placement(ip, 2, &pl) == EMBER_STATUS_OK);
    CHECK_MSG(pl.delegate == NULL && pl.partition == -1 &&
                  strstr(pl.reason, "the twin cannot today") != NULL,
              "reason '%s'", pl.reason);
    CHECK(strcmp(ember_interp_node_variant(ip, 2), "twin") != 0);
    ember_interp_destroy(ip);

    t = make_twin("relu", NULL);
    t.fail_invoke = true;
    CHECK(run(model, size, &t, got, &ip) == EMBER_STATUS_EVAL_ERROR);
    CHECK_MSG(strstr(ember_errmsg(ip), "lost the device") != NULL &&
                  strstr(ember_errmsg(ip), "partition 0 (delegate twin, nodes 1-1)") != NULL,
              "message '%s'", ember_errmsg(ip));
    ember_interp_destroy(ip);

    t = make_twin("relu", NULL);
    t.d.abi_version = EMBER_DELEGATE_ABI_VERSION + 1;
    CHECK(ember_interp_create(model, size, NULL, &ip) == EMBER_STATUS_OK);
    CHECK(ember_interp_add_delegate(ip, &t.d) == EMBER_STATUS_VERSION);
    t.d.abi_version = EMBER_DELEGATE_ABI_VERSION;
    t.d.invoke = NULL;
    CHECK(ember_interp_add_delegate(ip, &t.d) == EMBER_STATUS_INVALID_ARGUMENT);
    CHECK(ember_interp_add_delegate(ip, NULL) == EMBER_STATUS_INVALID_ARGUMENT);
    ember_node_placement pl2;
    CHECK(ember_interp_node_placement(ip, 0, &pl2) == EMBER_STATUS_MISUSE); /* not allocated */
    ember_interp_destroy(ip);
}

static void test_node_params(const uint8_t *model, size_t size) {
    ember_interp *ip = NULL;
    CHECK(ember_interp_create(model, size, NULL, &ip) == EMBER_STATUS_OK);
    ember_param p;
    CHECK(ember_interp_node_param(ip, 0, "pad_top", &p) == EMBER_STATUS_OK);
    CHECK(p.kind == EMBER_PARAM_INT && p.i == 1);
    CHECK(ember_interp_node_param(ip, 0, "stride_w", &p) == EMBER_STATUS_OK);
    CHECK(p.kind == EMBER_PARAM_INT && p.i == 1); /* the schema's default */
    CHECK(ember_interp_node_param(ip, 0, "groups", &p) == EMBER_STATUS_OK && p.i == 1);
    CHECK(ember_interp_node_param(ip, 0, "beta", &p) == EMBER_STATUS_INVALID_ARGUMENT);
    CHECK(ember_interp_node_param(ip, 1, "alpha", &p) == EMBER_STATUS_INVALID_ARGUMENT);
    CHECK(ember_interp_node_param(ip, 2, "activation", &p) == EMBER_STATUS_OK && p.i == 0);
    CHECK(ember_interp_node_param(ip, 3, "new_shape", &p) == EMBER_STATUS_OK);
    CHECK(p.kind == EMBER_PARAM_INTS);
    CHECK(ember_interp_node_param(ip, 9, "activation", &p) == EMBER_STATUS_INVALID_ARGUMENT);
    CHECK(ember_interp_node_param(ip, 0, NULL, &p) == EMBER_STATUS_INVALID_ARGUMENT);
    CHECK(ember_interp_node_param(NULL, 0, "pad_top", &p) == EMBER_STATUS_MISUSE);
    const ember_core_api *api = ember_core_api_get();
    CHECK(api->abi_version == EMBER_DELEGATE_ABI_VERSION);
    CHECK(api->node_param(ip, 0, "pad_left", &p) == EMBER_STATUS_OK && p.i == 1);
    CHECK(api->node_count(ip) == ember_interp_node_count(ip));
    ember_interp_destroy(ip);
}

int main(int argc, char **argv) {
    const char *dir = argc > 1 ? argv[1] : "build/models";
    size_t size;
    uint8_t *model = test_read_file(dir, "conv_relu_add.ember", &size);
    if (model == NULL)
        return 1;
    float want[5];
    ember_interp *ip = NULL;
    CHECK(run(model, size, NULL, want, &ip) == EMBER_STATUS_OK);
    CHECK(ember_interp_partition_count(ip) == 0);
    ember_node_placement pl;
    CHECK(ember_interp_node_placement(ip, 1, &pl) == EMBER_STATUS_OK);
    CHECK(pl.delegate == NULL && pl.reason[0] == '\0');
    ember_interp_destroy(ip);
    test_one_partition(model, size, want);
    test_partition_lengths(model, size, want);
    test_failures(model, size, want);
    test_node_params(model, size);
    free(model);
    return test_report("test_delegate");
}
