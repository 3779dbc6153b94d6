/*
 * Diagnostics are resolved and rendered in linear time. A list file of N
 * lines, each an entry of the wrong type, gives N errors; the C renderer
 * used to look up each one's source line from the start of the file, so
 * 40,000 bad lines kept semaforo_compiler_compile busy for 11.5 s. The
 * test compiles N and 10N bad lines and requires the larger to take less
 * than 30 times as long (linear: about 10; quadratic: about 100), and
 * checks the last diagnostic's location and rendering. Time is the
 * thread's CPU time (compiling a list runs on the calling thread), so a
 * busy machine does not distort the ratio, and N grows until the small
 * run takes 50 ms, so the timer's resolution does not either.
 *
 * SEMAFORO_TEST_SLOW=1 (set by run-c-tests.sh under valgrind) shrinks N
 * and skips the timing ratio, which an instrumenting tool distorts.
 */
#define _POSIX_C_SOURCE 199309L
#include "common.h"

#include <time.h>

static const char rules[] =
    "ruleset \"scale\" version \"1\"\n"
    "schema declaration {\n"
    "  key id: text\n"
    "  n: number\n"
    "}\n"
    "list ids: number\n"
    "rule R \"listed\" { when n in ids then score 1 }\n";

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* Compiles a list of `lines` bad entries; returns the seconds it took. */
static double compile_bad_list(size_t lines) {
    semaforo_compiler *c = NULL;
    semaforo_ruleset *r = NULL;
    semaforo_diagnostics *d = NULL;
    semaforo_diagnostic diag;
    size_t i, len = 0, count = 0;
    char *list = malloc(lines * 16 + 1);
    char want[64];
    const char *text = NULL;
    double start, took;

    for (i = 0; i < lines; i++) {
        len += (size_t)sprintf(list + len, "bad%lu\n", (unsigned long)i);
    }
    CHECK_OK(semaforo_compiler_new(&c));
    CHECK_OK(semaforo_compiler_add_source(c, LIT("scale.sem"), LIT(rules)));
    CHECK_OK(semaforo_compiler_add_list_file(c, LIT("ids"), LIT("ids.txt"), list, len));
    start = now();
    CHECK_STATUS(semaforo_compiler_compile(c, &r, &d), SEMAFORO_COMPILE_FAILED);
    took = now() - start;
    CHECK_OK(semaforo_diagnostics_count(d, &count));
    CHECK(count == lines);
    CHECK_OK(semaforo_diagnostics_get(d, count - 1, &diag));
    CHECK(diag.line == lines && diag.column == 1);
    CHECK_OK(semaforo_diagnostics_rendered(d, &text, &len));
    snprintf(want, sizeof want, "ids.txt:%lu:1", (unsigned long)lines);
    {
        char *copy = malloc(len + 1);
        memcpy(copy, text, len);
        copy[len] = '\0';
        CHECK(strstr(copy, want) != NULL);
        snprintf(want, sizeof want, "%lu │ bad%lu\n", (unsigned long)lines,
                 (unsigned long)(lines - 1));
        CHECK(strstr(copy, want) != NULL);
        free(copy);
    }
    semaforo_diagnostics_free(d);
    semaforo_compiler_free(c);
    free(list);
    return took;
}

int main(int argc, char **argv) {
    int slow = getenv("SEMAFORO_TEST_SLOW") != NULL;
    size_t n = slow ? 200 : 4000;
    double small = 1e9, large = 1e9;
    int round;
    (void)argv;
    if (argc != 3) {
        fprintf(stderr, "usage: %s ROOT EXPECTED_DIR\n", argv[0]);
        return 2;
    }
    /* Grow N until the small run is long enough to time. */
    while (!slow && n < 256000 && compile_bad_list(n) < 0.05) {
        n *= 2;
    }
    /* The best of three runs of each size, against scheduling noise. */
    for (round = 0; round < 3; round++) {
        double t = compile_bad_list(n);
        small = t < small ? t : small;
        if (slow) {
            break;
        }
    }
    for (round = 0; round < (slow ? 1 : 2); round++) {
        double t = compile_bad_list(10 * n);
        large = t < large ? t : large;
    }
    printf("test_diag_scale: %lu bad lines %.3f s, %lu bad lines %.3f s (ratio %.1f)\n",
           (unsigned long)n, small, (unsigned long)(10 * n), large, large / small);
    if (!slow && large > 30 * small) {
        fprintf(stderr, "compiling %lu bad lines took %.1f times as long as %lu\n",
                (unsigned long)(10 * n), large / small, (unsigned long)n);
        failures++;
    }
    return finish("test_diag_scale");
}
