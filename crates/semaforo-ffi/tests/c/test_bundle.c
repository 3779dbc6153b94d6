/*
 * Signed bundles through the C ABI: load the repository's example bundle
 * (examples/regional/bundle/regional.bundle, signed with the public
 * EXAMPLE key), refuse a copy with one flipped byte and the bundle under
 * an untrusted key, each with its own status and a diagnostic naming what
 * is wrong, keep the current ruleset across a failed load, and run the
 * bundle's conformance vectors against the bundle's ruleset and against
 * the host's own compilation of the example.
 */
#include "common.h"

static const char UNTRUSTED_KEY[] =
    "semaforo-ed25519-public 3b6a27bcceb6a42d62a3a8d02a6f0d73653215771de243a63ac048a18b59da29\n";

/* The first diagnostic's file and message, printed; 1 if `file` matches
   and the message contains `needle`. */
static int diagnostic_names(semaforo_diagnostics *d, const char *file, const char *needle) {
    semaforo_diagnostic one;
    size_t count = 0;
    char message[1024];
    CHECK_OK(semaforo_diagnostics_count(d, &count));
    CHECK(count == 1);
    if (count != 1 || semaforo_diagnostics_get(d, 0, &one) != SEMAFORO_OK) {
        return 0;
    }
    snprintf(message, sizeof message, "%.*s", (int)one.message.len, one.message.ptr);
    printf("refused (%.*s, %.*s): %s\n", (int)one.code.len, one.code.ptr,
           (int)one.file.len, one.file.ptr, message);
    return str_eq(one.file.ptr, one.file.len, file) && strstr(message, needle) != NULL &&
           one.severity == SEMAFORO_SEVERITY_ERROR;
}

static void fingerprint_of(const semaforo_ruleset *r, char out[65]) {
    const char *p = NULL;
    size_t n = 0;
    CHECK_OK(semaforo_ruleset_fingerprint(r, &p, &n));
    CHECK(n == 64);
    snprintf(out, 65, "%.*s", (int)n, p);
}

int main(int argc, char **argv) {
    const char *root;
    size_t bundle_len, key_len, i, total = 0, failed = 0;
    char *bundle, *key, *flipped, *needle;
    semaforo_str trusted, untrusted;
    semaforo_ruleset *current = NULL, *next = NULL, *mine;
    semaforo_diagnostics *d = NULL;
    semaforo_conformance *report = NULL;
    char before[65], after[65];
    if (argc < 2) {
        fprintf(stderr, "usage: test_bundle ROOT\n");
        return 2;
    }
    root = argv[1];
    bundle = read_file(root, "examples/regional/bundle/regional.bundle", &bundle_len);
    key = read_file(root, "examples/regional/bundle/example-signing.pub", &key_len);
    trusted.ptr = key;
    trusted.len = key_len;
    untrusted.ptr = UNTRUSTED_KEY;
    untrusted.len = sizeof UNTRUSTED_KEY - 1;

    /* Load: verified, compiled, its vectors pass. */
    CHECK_OK(semaforo_bundle_load((const uint8_t *)bundle, bundle_len, &trusted, 1, &current, &d));
    semaforo_diagnostics_free(d);
    d = NULL;
    CHECK(current != NULL);
    if (current == NULL) {
        return 1;
    }
    fingerprint_of(current, before);

    /* One flipped byte in the rule source: refused, naming the file. */
    flipped = malloc(bundle_len);
    memcpy(flipped, bundle, bundle_len);
    needle = NULL;
    for (i = 0; i + 5 < bundle_len; i++) {
        if (memcmp(flipped + i, "rule ", 5) == 0) {
            needle = flipped + i;
            break;
        }
    }
    CHECK(needle != NULL);
    if (needle != NULL) {
        *needle ^= 1;
    }
    CHECK_STATUS(semaforo_bundle_load((const uint8_t *)flipped, bundle_len, &trusted, 1, &next, &d),
                 SEMAFORO_BUNDLE_TAMPERED);
    CHECK(next == NULL);
    CHECK(diagnostic_names(d, "sources/regional.sem", "does not match the manifest"));
    semaforo_diagnostics_free(d);
    d = NULL;

    /* Signed by a key the host does not trust: refused, naming the key id. */
    CHECK_STATUS(semaforo_bundle_load((const uint8_t *)bundle, bundle_len, &untrusted, 1, &next, &d),
                 SEMAFORO_BUNDLE_UNTRUSTED);
    CHECK(next == NULL);
    CHECK(diagnostic_names(d, "<bundle>", "signed only by untrusted keys (`c7ca1893be235028`)"));
    semaforo_diagnostics_free(d);
    d = NULL;

    /* Truncated: refused. */
    CHECK_STATUS(semaforo_bundle_load((const uint8_t *)bundle, bundle_len / 2, &trusted, 1, &next, &d),
                 SEMAFORO_BUNDLE_INVALID);
    CHECK(next == NULL);
    CHECK(diagnostic_names(d, "<bundle>", "truncated"));
    semaforo_diagnostics_free(d);
    d = NULL;

    /* The failed loads left the current ruleset as it was, and usable. */
    fingerprint_of(current, after);
    CHECK(strcmp(before, after) == 0);

    /* Conformance: the bundle's vectors against its own ruleset ... */
    CHECK_OK(semaforo_bundle_conformance((const uint8_t *)bundle, bundle_len, &trusted, 1, NULL,
                                         &report, NULL));
    CHECK_OK(semaforo_conformance_total(report, &total));
    CHECK_OK(semaforo_conformance_failed(report, &failed));
    CHECK(total == 44);
    CHECK(failed == 0);
    semaforo_conformance_free(report);
    report = NULL;
    /* ... and against the host's own compilation of the example. */
    mine = compile_regional(root);
    CHECK_OK(semaforo_bundle_conformance((const uint8_t *)bundle, bundle_len, &trusted, 1, mine,
                                         &report, NULL));
    CHECK_OK(semaforo_conformance_failed(report, &failed));
    CHECK(failed == 0);
    semaforo_conformance_free(report);
    report = NULL;
    /* A tampered bundle runs no vectors. */
    CHECK_STATUS(semaforo_bundle_conformance((const uint8_t *)flipped, bundle_len, &trusted, 1,
                                             mine, &report, &d),
                 SEMAFORO_BUNDLE_TAMPERED);
    CHECK(report == NULL);
    semaforo_diagnostics_free(d);

    semaforo_ruleset_release(mine);
    semaforo_ruleset_release(current);
    free(flipped);
    free(bundle);
    free(key);
    if (failures == 0) {
        printf("test_bundle: ok\n");
    }
    return failures == 0 ? 0 : 1;
}
