/*
 * Reloading rules while workers evaluate, with the recipe of docs/c-abi.md
 * ("Reloading rules"): the current ruleset is a pointer guarded by a mutex.
 * A worker locks, retains the current ruleset, unlocks, makes an evaluator
 * from it, releases its reference (the evaluator keeps the rules alive),
 * evaluates and reads the outcome. The reloader compiles a new ruleset (a
 * new version, so a new fingerprint), swaps it in under the lock and
 * releases the old one, which is freed when its last user lets go.
 *
 * 8 workers, 1,000 swaps (SEMAFORO_RELOAD_SWAPS overrides; 100 when
 * SEMAFORO_TEST_SLOW is set, as run-c-tests.sh does under valgrind and the
 * sanitizers). Every outcome must carry the fingerprint of a ruleset that
 * was current between just before the worker took it and just after it
 * read the outcome, its own declaration id and lane, and no evaluation may
 * fail. Under valgrind, any use of a freed ruleset is an error.
 */
#define _POSIX_C_SOURCE 200809L
#include "common.h"

#include <pthread.h>
#include <time.h>

#define WORKERS 8

struct shared {
    pthread_mutex_t lock;
    /* Guarded by `lock`. */
    semaforo_ruleset *current;
    size_t generation;
    int stop;
    /* Evaluations done, by all workers, and workers that have done one:
       the reloader waits for progress before each swap, so the swaps
       overlap evaluations even where threads barely interleave (valgrind
       runs one thread at a time). */
    size_t progress;
    int started;
    /* SEMAFORO_TEST_SLOW is set (valgrind, sanitizers). Read-only. */
    int slow;
    /* fingerprints[g] is written before generation g is published. */
    char (*fingerprints)[65];
    semaforo_context *ctx;
};

struct job {
    struct shared *s;
    int index;
    size_t evaluated;
    size_t generations_seen;
    int failed;
};

static semaforo_ruleset *compile_version(size_t version) {
    char text[512];
    int len = snprintf(text, sizeof text,
                       "ruleset \"reload\" version \"%lu\"\n"
                       "schema declaration {\n  key id: text\n  origin: text\n}\n"
                       "rule R1 \"CN\" { when origin == \"CN\" then lane red }\n",
                       (unsigned long)version);
    semaforo_compiler *c = NULL;
    semaforo_ruleset *rs = NULL;
    CHECK_OK(semaforo_compiler_new(&c));
    CHECK_OK(semaforo_compiler_add_source(c, LIT("reload.sem"), text, (size_t)len));
    CHECK_OK(semaforo_compiler_compile(c, &rs, NULL));
    semaforo_compiler_free(c);
    return rs;
}

static void copy_fingerprint(const semaforo_ruleset *rs, char out[65]) {
    const char *p = NULL;
    size_t n = 0;
    out[0] = '\0';
    if (semaforo_ruleset_fingerprint(rs, &p, &n) == SEMAFORO_OK && n == 64) {
        memcpy(out, p, 64);
        out[64] = '\0';
    }
}

static int lock_generation(struct shared *s, size_t *generation) {
    int stop;
    pthread_mutex_lock(&s->lock);
    *generation = s->generation;
    stop = s->stop;
    pthread_mutex_unlock(&s->lock);
    return stop;
}

static void *worker(void *arg) {
    struct job *job = arg;
    struct shared *s = job->s;
    size_t last = (size_t)-1;
    char json[128], id[64], needle[96];
    for (;;) {
        size_t before, after, g, k;
        semaforo_ruleset *rs;
        semaforo_evaluator *ev = NULL;
        const char *p = NULL;
        size_t n = 0;
        int found = 0;

        if (lock_generation(s, &before)) {
            break;
        }
        /* The recipe: lock, retain the current ruleset, unlock. */
        pthread_mutex_lock(&s->lock);
        rs = s->current;
        g = s->generation;
        if (semaforo_ruleset_retain(rs) != SEMAFORO_OK) {
            job->failed = 1;
        }
        pthread_mutex_unlock(&s->lock);

        if (semaforo_evaluator_new(rs, &ev) != SEMAFORO_OK) {
            job->failed = 1;
            semaforo_ruleset_release(rs);
            break;
        }
        /* The evaluator keeps the rules alive: the reference can go now,
           possibly freeing the handle if the reloader has swapped it out. */
        semaforo_ruleset_release(rs);

        snprintf(id, sizeof id, "W%d-%lu", job->index, (unsigned long)job->evaluated);
        snprintf(json, sizeof json, "{\"id\":\"%s\",\"origin\":\"CN\"}", id);
        if (semaforo_evaluator_eval_json(ev, s->ctx, json, strlen(json)) != SEMAFORO_OK ||
            semaforo_evaluator_outcome_json(ev, &p, &n) != SEMAFORO_OK) {
            job->failed = 1;
            semaforo_evaluator_free(ev);
            break;
        }
        lock_generation(s, &after);
        if (!(before <= g && g <= after)) {
            job->failed = 1;
        }
        {
            char *outcome = malloc(n + 1);
            memcpy(outcome, p, n);
            outcome[n] = '\0';
            for (k = before; k <= after && !found; k++) {
                snprintf(needle, sizeof needle, "\"fingerprint\":\"%s\"", s->fingerprints[k]);
                found = strstr(outcome, needle) != NULL;
            }
            snprintf(needle, sizeof needle, "\"id\":\"%s\"", id);
            if (!found || strstr(outcome, needle) == NULL ||
                strstr(outcome, "\"lane\":\"red\"") == NULL) {
                fprintf(stderr, "worker %d: unexpected outcome (generations %lu..%lu): %s\n",
                        job->index, (unsigned long)before, (unsigned long)after, outcome);
                job->failed = 1;
            }
            free(outcome);
        }
        semaforo_evaluator_free(ev);
        if (g != last) {
            job->generations_seen++;
            last = g;
        }
        job->evaluated++;
        if (s->slow) {
            /* Under valgrind one thread runs at a time: pause so the
               reloader gets its turn instead of eight busy workers. */
            struct timespec pause = {0, 200000}; /* 0.2 ms */
            nanosleep(&pause, NULL);
        }
        pthread_mutex_lock(&s->lock);
        s->progress++;
        if (job->evaluated == 1) {
            s->started++;
        }
        pthread_mutex_unlock(&s->lock);
    }
    return NULL;
}

/* Waits (at most about 10 s) until every worker has evaluated once and at
   least one evaluation happened since `*seen`; updates `*seen`. */
static void wait_for_progress(struct shared *s, size_t *seen) {
    struct timespec pause = {0, 100000}; /* 0.1 ms */
    int tries;
    for (tries = 0; tries < 100000; tries++) {
        int ready;
        pthread_mutex_lock(&s->lock);
        ready = s->started == WORKERS && s->progress > *seen;
        if (ready) {
            *seen = s->progress;
        }
        pthread_mutex_unlock(&s->lock);
        if (ready) {
            return;
        }
        nanosleep(&pause, NULL);
    }
}

int main(int argc, char **argv) {
    struct shared s;
    struct job jobs[WORKERS];
    pthread_t threads[WORKERS];
    const char *env = getenv("SEMAFORO_RELOAD_SWAPS");
    size_t swaps = env != NULL ? (size_t)strtoul(env, NULL, 10)
                               : (getenv("SEMAFORO_TEST_SLOW") != NULL ? 100 : 1000);
    size_t g, total = 0, seen = 0, progress_seen = 0;
    int i;

    if (argc != 3) {
        fprintf(stderr, "usage: %s ROOT EXPECTED_DIR\n", argv[0]);
        return 2;
    }
    pthread_mutex_init(&s.lock, NULL);
    s.fingerprints = malloc((swaps + 1) * sizeof *s.fingerprints);
    s.current = compile_version(0);
    copy_fingerprint(s.current, s.fingerprints[0]);
    s.generation = 0;
    s.stop = 0;
    s.progress = 0;
    s.started = 0;
    s.slow = getenv("SEMAFORO_TEST_SLOW") != NULL;
    s.ctx = test_context();

    for (i = 0; i < WORKERS; i++) {
        jobs[i].s = &s;
        jobs[i].index = i;
        jobs[i].evaluated = 0;
        jobs[i].generations_seen = 0;
        jobs[i].failed = 0;
        CHECK(pthread_create(&threads[i], NULL, worker, &jobs[i]) == 0);
    }
    for (g = 1; g <= swaps; g++) {
        semaforo_ruleset *next = compile_version(g), *old;
        wait_for_progress(&s, &progress_seen);
        copy_fingerprint(next, s.fingerprints[g]);
        pthread_mutex_lock(&s.lock);
        old = s.current;
        s.current = next;
        s.generation = g;
        pthread_mutex_unlock(&s.lock);
        /* Freed here unless a worker still holds a reference. */
        semaforo_ruleset_release(old);
    }
    pthread_mutex_lock(&s.lock);
    s.stop = 1;
    pthread_mutex_unlock(&s.lock);
    for (i = 0; i < WORKERS; i++) {
        CHECK(pthread_join(threads[i], NULL) == 0);
        CHECK(jobs[i].failed == 0);
        CHECK(jobs[i].evaluated > 0);
        total += jobs[i].evaluated;
        seen += jobs[i].generations_seen;
    }
    /* The workers overlapped the swaps. */
    CHECK(seen > WORKERS);
    printf("test_reload: %lu swaps, %lu evaluations, %lu generation changes seen\n",
           (unsigned long)swaps, (unsigned long)total, (unsigned long)seen);

    semaforo_ruleset_release(s.current);
    semaforo_context_free(s.ctx);
    free(s.fingerprints);
    pthread_mutex_destroy(&s.lock);
    return finish("test_reload");
}
