/*
 * One ruleset and one context shared by 4 threads, each with its own
 * evaluator and declaration buffer: every thread must get the Rust
 * facade's outcome for every declaration (JSON path) and for the direct
 * declarations' JSON, with no interference.
 */
#define _POSIX_C_SOURCE 200809L
#include "common.h"

#include <pthread.h>

#define THREADS 4
#define MAX_LINES 100000

struct shared {
    semaforo_ruleset *rs;
    semaforo_context *ctx;
    char **decls;
    char **expected;
    size_t n;
};

struct job {
    struct shared *s;
    int index;
    int failed;
};

static void *run(void *arg) {
    struct job *job = arg;
    struct shared *s = job->s;
    semaforo_evaluator *ev = NULL;
    size_t i, round, len;
    const char *p;
    if (semaforo_evaluator_new(s->rs, &ev) != SEMAFORO_OK) {
        job->failed = 1;
        return NULL;
    }
    for (round = 0; round < 3; round++) {
        /* Each thread starts at a different place in the file. */
        for (i = 0; i < s->n; i++) {
            size_t k = (i + (size_t)job->index * s->n / THREADS) % s->n;
            if (semaforo_evaluator_eval_json(ev, s->ctx, s->decls[k],
                                             strlen(s->decls[k])) != SEMAFORO_OK ||
                semaforo_evaluator_outcome_json(ev, &p, &len) != SEMAFORO_OK ||
                !str_eq(p, len, s->expected[k])) {
                job->failed = 1;
            }
        }
    }
    semaforo_evaluator_free(ev);
    return NULL;
}

int main(int argc, char **argv) {
    struct shared s;
    struct job jobs[THREADS];
    pthread_t threads[THREADS];
    char *decls, *expected;
    size_t n_exp;
    int i;

    if (argc != 3) {
        fprintf(stderr, "usage: %s ROOT EXPECTED_DIR\n", argv[0]);
        return 2;
    }
    s.rs = compile_regional(argv[1]);
    s.ctx = test_context();
    decls = read_file(argv[1], "examples/regional/declarations.jsonl", NULL);
    expected = read_file(argv[2], "regional.expected.jsonl", NULL);
    s.decls = malloc(MAX_LINES * sizeof *s.decls);
    s.expected = malloc(MAX_LINES * sizeof *s.expected);
    s.n = split_lines(decls, s.decls, MAX_LINES);
    n_exp = split_lines(expected, s.expected, MAX_LINES);
    CHECK(s.n > 0 && s.n == n_exp);

    for (i = 0; i < THREADS; i++) {
        jobs[i].s = &s;
        jobs[i].index = i;
        jobs[i].failed = 0;
        CHECK(pthread_create(&threads[i], NULL, run, &jobs[i]) == 0);
    }
    for (i = 0; i < THREADS; i++) {
        CHECK(pthread_join(threads[i], NULL) == 0);
        CHECK(jobs[i].failed == 0);
    }

    free(s.decls);
    free(s.expected);
    free(decls);
    free(expected);
    semaforo_context_free(s.ctx);
    semaforo_ruleset_free(s.rs);
    return finish("test_threads");
}
