/* Signed models through the C API (docs/signing.md): MODEL_DIR/signed_int8.ember, signed by
   the key in signed_key.bin (tests/c/make_models.py), with model_version 7. Run natively, under
   the sanitizers and under qemu, so the signature check and the block parser see every target. */
#include "test_util.h"

static uint8_t *model;
static size_t model_size;
static uint8_t key[EMBER_PUBLIC_KEY_SIZE];

static ember_status load(const uint8_t *data, size_t size, const uint8_t *keys, size_t count,
                         uint64_t min_version, ember_model_info *info) {
    ember_options o;
    ember_options_init(&o);
    o.trusted_keys = keys;
    o.trusted_key_count = count;
    o.min_model_version = min_version;
    ember_interp *ip = NULL;
    ember_status st = ember_interp_create(data, size, &o, &ip);
    if (st == EMBER_STATUS_OK && info != NULL)
        CHECK(ember_interp_model_info(ip, info) == EMBER_STATUS_OK);
    ember_interp_destroy(ip);
    return st;
}

static void test_trusted_key_verifies(void) {
    ember_model_info info;
    CHECK(load(model, model_size, key, 1, 7, &info) == EMBER_STATUS_OK);
    CHECK(info.format_version >= 10 && info.model_version == 7);
    CHECK(info.signature_count == 1 && info.verified_signature == 0);
    CHECK(info.body_size + 16 + EMBER_KEY_ID_SIZE + EMBER_SIGNATURE_SIZE == model_size);
    CHECK(load(model, model_size, NULL, 0, 0, &info) == EMBER_STATUS_OK);
    CHECK(info.verified_signature == EMBER_NO_SIGNATURE);
}

static void test_key_id_names_the_signer(void) {
    uint8_t expected[EMBER_KEY_ID_SIZE], stored[EMBER_KEY_ID_SIZE];
    ember_interp *ip = NULL;
    CHECK(ember_interp_create(model, model_size, NULL, &ip) == EMBER_STATUS_OK);
    CHECK(ember_key_id(key, expected) == EMBER_STATUS_OK);
    CHECK(ember_interp_signature_key_id(ip, 0, stored) == EMBER_STATUS_OK);
    CHECK(memcmp(expected, stored, sizeof stored) == 0);
    CHECK(ember_interp_signature_key_id(ip, 1, stored) == EMBER_STATUS_INVALID_ARGUMENT);
    ember_interp_destroy(ip);
}

static void test_refusals(void) {
    uint8_t keys[2 * EMBER_PUBLIC_KEY_SIZE];
    memcpy(keys, key, sizeof key);
    keys[0] ^= 1; /* a different key: the file's signature is by no trusted key */
    CHECK(load(model, model_size, keys, 1, 0, NULL) == EMBER_STATUS_UNSIGNED);
    memcpy(keys + EMBER_PUBLIC_KEY_SIZE, key, sizeof key);
    CHECK(load(model, model_size, keys, 2, 0, NULL) == EMBER_STATUS_OK);
    CHECK(load(model, model_size, key, 1, 8, NULL) == EMBER_STATUS_ROLLBACK);
    CHECK(load(model, model_size, NULL, 1, 0, NULL) == EMBER_STATUS_INVALID_ARGUMENT);
    ember_model_info info;
    CHECK(load(model, model_size, NULL, 0, 0, &info) == EMBER_STATUS_OK);
    /* The body alone is the unsigned model. */
    uint8_t *body = test_aligned_copy(model, info.body_size);
    CHECK(load(body, info.body_size, key, 1, 0, NULL) == EMBER_STATUS_UNSIGNED);
    free(body);
}

/* Every byte of the block, and every 13th of the body (each caught by the hash, which the
   Python tests check byte by byte), changed: the model is refused. */
static void test_changed_bytes_are_refused(void) {
    uint8_t *copy = test_aligned_copy(model, model_size);
    ember_model_info info;
    CHECK(load(model, model_size, NULL, 0, 0, &info) == EMBER_STATUS_OK);
    for (size_t i = 0; i < model_size; i += i < info.body_size ? 13 : 1) {
        copy[i] ^= 0x20;
        ember_status st = load(copy, model_size, key, 1, 0, NULL);
        CHECK_MSG(st != EMBER_STATUS_OK, "byte %zu changed, still accepted", i);
        if (i >= info.body_size + 16)
            CHECK_MSG(st == EMBER_STATUS_UNSIGNED || st == EMBER_STATUS_BAD_SIGNATURE,
                      "byte %zu of the entry: status %d", i, (int)st);
        copy[i] ^= 0x20;
    }
    free(copy);
}

int main(int argc, char **argv) {
    const char *dir = argc > 1 ? argv[1] : "build/models";
    size_t key_size = 0;
    uint8_t *key_file = test_read_file(dir, "signed_key.bin", &key_size);
    model = test_read_file(dir, "signed_int8.ember", &model_size);
    if (model == NULL || key_file == NULL || key_size != sizeof key)
        return 1;
    memcpy(key, key_file, sizeof key);
    free(key_file);
    test_trusted_key_verifies();
    test_key_id_names_the_signer();
    test_refusals();
    test_changed_bytes_are_refused();
    free(model);
    return test_report("test_signed_models");
}
