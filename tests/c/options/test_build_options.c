/* The library built with every option of csrc/ember_config.h that takes something out
 * (EMBER_STRIP_MESSAGES, EMBER_NO_FLOAT, EMBER_NO_INT16, EMBER_NO_HASH, EMBER_NO_SIGNATURES;
 * mk/c.mk builds it): an int8 model still runs; float32 and 16x8 models, and a request to
 * check the hash or a signature, are refused at create with their own status; messages name
 * the status and the library line. */
#include "emberlite.h"
#include "test_util.h"

static ember_status create(const uint8_t *model, size_t size, int32_t verify_hash,
                           char *msg, size_t msg_size) {
    ember_options o;
    ember_options_init(&o);
    o.verify_hash = verify_hash;
    return test_run_model(model, size, &o, 3, msg, msg_size);
}

/* "<status> (csrc/<file>.c:<line>)": the stripped form of every message. */
static bool stripped_form(const char *msg, ember_status st) {
    const char *status = ember_status_str(st);
    size_t n = strlen(status);
    const char *colon = strrchr(msg, ':');
    return strncmp(msg, status, n) == 0 && strncmp(msg + n, " (csrc/", 7) == 0 &&
           colon != NULL && colon[1] >= '1' && colon[1] <= '9' && msg[strlen(msg) - 1] == ')';
}

static void check(const char *dir, const char *name, int32_t verify_hash, ember_status want) {
    size_t size = 0;
    uint8_t *model = test_read_file(dir, name, &size);
    CHECK_MSG(model != NULL, "cannot read %s/%s", dir, name);
    if (model == NULL)
        return;
    char msg[256];
    ember_status st = create(model, size, verify_hash, msg, sizeof msg);
    CHECK_MSG(st == want, "%s: %s, want %s (%s)", name, ember_status_str(st),
              ember_status_str(want), msg);
    if (want != EMBER_STATUS_OK)
        CHECK_MSG(stripped_form(msg, want), "%s: message '%s'", name, msg);
    /* One byte short: the verifier's bounds checks are all still there. */
    st = create(model, size - 1, 0, msg, sizeof msg);
    CHECK_MSG(st == EMBER_STATUS_INVALID_MODEL && stripped_form(msg, st),
              "%s truncated: %s '%s'", name, ember_status_str(st), msg);
    free(model);
}

/* A signed model loads without keys (its block is still checked), and is refused with them:
   this build can check neither hash nor signature. */
static void check_signed(const char *dir) {
    size_t size = 0, key_size = 0;
    uint8_t *model = test_read_file(dir, "signed_int8.ember", &size);
    uint8_t *key = test_read_file(dir, "signed_key.bin", &key_size);
    CHECK(model != NULL && key != NULL && key_size == EMBER_PUBLIC_KEY_SIZE);
    if (model != NULL && key != NULL) {
        ember_options o;
        ember_options_init(&o);
        ember_interp *ip = NULL;
        CHECK(ember_interp_create(model, size, &o, &ip) == EMBER_STATUS_OK);
        ember_interp_destroy(ip);
        o.trusted_keys = key;
        o.trusted_key_count = 1;
        CHECK(ember_interp_create(model, size, &o, &ip) == EMBER_STATUS_UNSUPPORTED);
        ember_interp_destroy(ip);
        CHECK(ember_interp_create(model, size - 1, NULL, &ip) == EMBER_STATUS_INVALID_MODEL);
        ember_interp_destroy(ip);
        uint8_t id[EMBER_KEY_ID_SIZE];
        CHECK(ember_key_id(key, id) == EMBER_STATUS_UNSUPPORTED);
    }
    free(model);
    free(key);
}

int main(int argc, char **argv) {
    const char *dir = argc > 1 ? argv[1] : "build/models";
    ember_options o;
    ember_options_init(&o);
    CHECK(o.verify_hash == 0);
    check(dir, "int8_block.ember", 0, EMBER_STATUS_OK);
    check(dir, "int8_depthwise5x5.ember", 0, EMBER_STATUS_OK);
    check(dir, "int8_block.ember", 1, EMBER_STATUS_UNSUPPORTED);
    check(dir, "conv_relu_add.ember", 0, EMBER_STATUS_UNSUPPORTED);
    check(dir, "int16x8_block.ember", 0, EMBER_STATUS_UNSUPPORTED);
    check_signed(dir);
    return test_report("test_build_options");
}
