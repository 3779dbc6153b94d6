/*
 * Helpers shared by the C tests of libsemaforo. Each test is run as
 * `test ROOT EXPECTED_DIR`: ROOT is the repository root, EXPECTED_DIR holds
 * the outcomes computed through the Rust facade (see
 * crates/semaforo-ffi/examples/expected_outcomes.rs).
 */
#ifndef SEMAFORO_TEST_COMMON_H
#define SEMAFORO_TEST_COMMON_H

#include "semaforo.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int failures = 0;

#define CHECK(cond)                                                          \
    do {                                                                     \
        if (!(cond)) {                                                       \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, \
                    #cond);                                                  \
            failures++;                                                      \
        }                                                                    \
    } while (0)

/* Checks a status and prints its message when it is not the one expected. */
#define CHECK_STATUS(call, expected)                                          \
    do {                                                                      \
        semaforo_status got_ = (call);                                        \
        if (got_ != (semaforo_status)(expected)) {                            \
            fprintf(stderr, "%s:%d: %s returned %u (%s), expected %u\n",     \
                    __FILE__, __LINE__, #call, (unsigned)got_,                \
                    semaforo_status_message(got_), (unsigned)(expected));     \
            failures++;                                                       \
        }                                                                     \
    } while (0)

#define CHECK_OK(call) CHECK_STATUS(call, SEMAFORO_OK)

/* A string literal as the pointer and length the API takes. */
#define LIT(s) (s), (sizeof(s) - 1)

/* True if the borrowed string `p`/`n` equals the NUL-terminated `s`. */
static inline int str_eq(const char *p, size_t n, const char *s) {
    return n == strlen(s) && (n == 0 || memcmp(p, s, n) == 0);
}

/* Reads a whole file into a NUL-terminated buffer; exits on failure. */
static inline char *read_file(const char *dir, const char *rel, size_t *out_len) {
    char path[4096];
    FILE *f;
    long size;
    char *buf;
    snprintf(path, sizeof path, "%s/%s", dir, rel);
    f = fopen(path, "rb");
    if (f == NULL) {
        fprintf(stderr, "cannot open %s\n", path);
        exit(2);
    }
    fseek(f, 0, SEEK_END);
    size = ftell(f);
    fseek(f, 0, SEEK_SET);
    buf = malloc((size_t)size + 1);
    if (buf == NULL || fread(buf, 1, (size_t)size, f) != (size_t)size) {
        fprintf(stderr, "cannot read %s\n", path);
        exit(2);
    }
    buf[size] = '\0';
    fclose(f);
    if (out_len != NULL) {
        *out_len = (size_t)size;
    }
    return buf;
}

/* Splits a buffer into its non-blank lines in place (NUL-terminated). */
static inline size_t split_lines(char *buf, char **lines, size_t max) {
    size_t n = 0;
    char *p = buf;
    while (*p != '\0' && n < max) {
        char *end = strchr(p, '\n');
        if (end != NULL) {
            *end = '\0';
        }
        if (*p != '\0') {
            lines[n++] = p;
        }
        if (end == NULL) {
            break;
        }
        p = end + 1;
    }
    return n;
}

/* Adds a file of the repository to the compiler with the given adder. */
static inline void add_text_file(semaforo_compiler *c, const char *root, const char *rel,
                          const char *name, int kind) {
    size_t len;
    char *text = read_file(root, rel, &len);
    if (kind == 0) {
        CHECK_OK(semaforo_compiler_add_source(c, rel, strlen(rel), text, len));
    } else if (kind == 1) {
        CHECK_OK(semaforo_compiler_add_list_file(c, name, strlen(name), rel,
                                                 strlen(rel), text, len));
    } else {
        CHECK_OK(semaforo_compiler_add_table_file(c, name, strlen(name), rel,
                                                  strlen(rel), text, len));
    }
    free(text);
}

/* Compiles examples/regional with its lists and table. */
static inline semaforo_ruleset *compile_regional(const char *root) {
    semaforo_compiler *c = NULL;
    semaforo_ruleset *r = NULL;
    semaforo_diagnostics *d = NULL;
    semaforo_status s;
    CHECK_OK(semaforo_compiler_new(&c));
    add_text_file(c, root, "examples/regional/regional.sem", NULL, 0);
    add_text_file(c, root, "examples/regional/lists/watched_importers.txt",
                  "watched_importers", 1);
    add_text_file(c, root, "examples/regional/lists/watched_declarants.txt",
                  "watched_declarants", 1);
    add_text_file(c, root, "examples/regional/tables/reference_price.csv",
                  "reference_price", 2);
    s = semaforo_compiler_compile(c, &r, &d);
    if (s != SEMAFORO_OK) {
        const char *text = NULL;
        size_t len = 0;
        semaforo_diagnostics_rendered(d, &text, &len);
        fprintf(stderr, "regional does not compile:\n%.*s\n", (int)len, text);
        exit(2);
    }
    semaforo_diagnostics_free(d);
    semaforo_compiler_free(c);
    return r;
}

/* The context of every test (the same as tests/common/mod.rs). */
static inline semaforo_context *test_context(void) {
    semaforo_context *ctx = NULL;
    uint8_t key[16];
    int i;
    for (i = 0; i < 16; i++) {
        key[i] = (uint8_t)i;
    }
    CHECK_OK(semaforo_context_new(2026, 11, 20, &ctx));
    CHECK_OK(semaforo_context_set_sampling_key(ctx, key, sizeof key,
                                               LIT("ci-key-1")));
    return ctx;
}

static inline int finish(const char *name) {
    if (failures > 0) {
        fprintf(stderr, "%s: %d check(s) failed\n", name, failures);
        return 1;
    }
    printf("%s: ok\n", name);
    return 0;
}

#endif
