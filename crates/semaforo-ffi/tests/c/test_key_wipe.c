/*
 * The secret sampling key does not outlive the handles holding it: freeing
 * a context or an evaluator (which keeps a copy of the last context)
 * overwrites the key before the memory goes back to the allocator, so a
 * later allocation, a heap dump or a core file cannot reveal it.
 *
 * How it checks: the program defines `free` itself (glibc; see test_alloc.c
 * for why a definition in the executable sees the library's calls) and,
 * while checking, searches every block being freed for the key's 16 bytes
 * before forwarding to glibc's __libc_free. A block it finds is a copy the
 * library left behind. The test first frees a block holding the key on
 * purpose, so a search that never finds anything cannot pass unnoticed.
 * Like test_alloc, it needs glibc and does not run under valgrind.
 */
#include "common.h"

#include <malloc.h>

extern void __libc_free(void *p);

/* A key no other data in the process is likely to contain. */
static const uint8_t key[16] = {0x5e, 0x4d, 0xa7, 0x01, 0xf3, 0x3c, 0x98, 0x2b,
                                0xc4, 0x6a, 0x10, 0xee, 0x77, 0x85, 0xd2, 0x39};
static int checking = 0;
static size_t copies_freed = 0;

static int contains_key(const unsigned char *p, size_t n) {
    size_t i;
    for (i = 0; i + sizeof key <= n; i++) {
        if (p[i] == key[0] && memcmp(p + i, key, sizeof key) == 0) {
            return 1;
        }
    }
    return 0;
}

void free(void *p) {
    if (p != NULL && checking && contains_key(p, malloc_usable_size(p))) {
        copies_freed++;
    }
    __libc_free(p);
}

static const char rules[] =
    "ruleset \"wipe\" version \"1\"\n"
    "schema declaration {\n  key id: text\n}\n"
    "rule S \"sampled\" { sample 100% then score 1 }\n";

int main(int argc, char **argv) {
    semaforo_compiler *c = NULL;
    semaforo_ruleset *rs = NULL;
    semaforo_context *ctx = NULL;
    semaforo_evaluator *ev = NULL;
    unsigned char *probe;
    int i;

    if (argc != 3) {
        fprintf(stderr, "usage: %s ROOT EXPECTED_DIR\n", argv[0]);
        return 2;
    }
    CHECK_OK(semaforo_compiler_new(&c));
    CHECK_OK(semaforo_compiler_add_source(c, LIT("wipe.sem"), LIT(rules)));
    CHECK_OK(semaforo_compiler_compile(c, &rs, NULL));
    semaforo_compiler_free(c);

    /* The search works: a freed block holding the key is found. */
    checking = 1;
    probe = malloc(64);
    memset(probe, 0, 64);
    memcpy(probe + 8, key, sizeof key);
    free(probe);
    CHECK(copies_freed == 1);
    copies_freed = 0;

    for (i = 0; i < 3; i++) {
        CHECK_OK(semaforo_context_new(2026, 11, 20, &ctx));
        CHECK_OK(semaforo_context_set_sampling_key(ctx, key, sizeof key, LIT("wipe-key")));
        CHECK_OK(semaforo_evaluator_new(rs, &ev));
        CHECK_OK(semaforo_evaluator_eval_json(ev, ctx, LIT("{\"id\":\"A\"}")));
        semaforo_evaluator_free(ev);
        semaforo_context_free(ctx);
    }
    checking = 0;
    if (copies_freed != 0) {
        fprintf(stderr, "%lu freed block(s) still held the sampling key\n",
                (unsigned long)copies_freed);
        failures++;
    }
    semaforo_ruleset_free(rs);
    return finish("test_key_wipe");
}
