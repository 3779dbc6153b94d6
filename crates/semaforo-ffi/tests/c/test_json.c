/*
 * The JSON path: every declaration of examples/regional evaluated one by one
 * and as one batch must give, byte for byte, the outcome the Rust facade
 * gives; the field readers must agree with the JSON.
 */
#include "common.h"

#define MAX_LINES 100000

/* Checks the readers against the outcome JSON of the current outcome. */
static void check_readers(semaforo_evaluator *ev, const char *json) {
    const char *p = NULL;
    size_t n = 0, count = 0, i;
    int64_t score = 0;
    char needle[512];

    CHECK_OK(semaforo_evaluator_lane(ev, &p, &n));
    snprintf(needle, sizeof needle, "\"lane\":\"%.*s\"", (int)n, p);
    CHECK(strstr(json, needle) != NULL);

    CHECK_OK(semaforo_evaluator_id(ev, &p, &n));
    snprintf(needle, sizeof needle, "{\"id\":\"%.*s\"", (int)n, p);
    CHECK(strncmp(json, needle, strlen(needle)) == 0);

    CHECK_OK(semaforo_evaluator_score(ev, &score));
    snprintf(needle, sizeof needle, "\"score\":%lld,", (long long)score);
    CHECK(strstr(json, needle) != NULL);

    CHECK_OK(semaforo_evaluator_fired_count(ev, &count));
    for (i = 0; i < count; i++) {
        semaforo_fired_rule r;
        CHECK_OK(semaforo_evaluator_fired(ev, i, &r));
        snprintf(needle, sizeof needle, "\"%.*s\"", (int)r.id.len, r.id.ptr);
        CHECK(strstr(json, needle) != NULL);
        CHECK(r.title.len > 0);
        if (r.sampled) {
            snprintf(needle, sizeof needle, "\"%.*s\":%u", (int)r.id.len,
                     r.id.ptr, (unsigned)r.draw);
            CHECK(strstr(json, needle) != NULL);
        }
    }
    {
        semaforo_fired_rule r;
        CHECK_STATUS(semaforo_evaluator_fired(ev, count, &r),
                     SEMAFORO_INDEX_OUT_OF_RANGE);
    }
    CHECK_OK(semaforo_evaluator_note_count(ev, &count));
    for (i = 0; i < count; i++) {
        CHECK_OK(semaforo_evaluator_note(ev, i, &p, &n));
        CHECK(n > 0);
    }
    CHECK_OK(semaforo_evaluator_undetermined_count(ev, &count));
    for (i = 0; i < count; i++) {
        CHECK_OK(semaforo_evaluator_undetermined(ev, i, &p, &n));
        snprintf(needle, sizeof needle, "\"%.*s\"", (int)n, p);
        CHECK(strstr(strstr(json, "\"undetermined\":"), needle) != NULL);
    }
}

int main(int argc, char **argv) {
    semaforo_ruleset *rs;
    semaforo_context *ctx;
    semaforo_evaluator *ev = NULL;
    char *decls, *expected, *batch_copy;
    char **decl_lines, **exp_lines, **batch_lines;
    size_t n_decl, n_exp, n_batch, i, len, count = 0, failed = 0;
    const char *p = NULL;
    size_t n = 0;
    size_t decls_len;

    if (argc != 3) {
        fprintf(stderr, "usage: %s ROOT EXPECTED_DIR\n", argv[0]);
        return 2;
    }
    rs = compile_regional(argv[1]);
    ctx = test_context();
    CHECK_OK(semaforo_evaluator_new(rs, &ev));

    CHECK_OK(semaforo_ruleset_name(rs, &p, &n));
    CHECK(str_eq(p, n, "captac-dr"));
    CHECK_OK(semaforo_ruleset_version(rs, &p, &n));
    CHECK(n > 0);
    CHECK_OK(semaforo_ruleset_fingerprint(rs, &p, &n));
    CHECK(n == 64);
    CHECK_OK(semaforo_ruleset_lane_count(rs, &count));
    CHECK(count == 4);
    CHECK_OK(semaforo_ruleset_lane_name(rs, 3, &p, &n));
    CHECK(str_eq(p, n, "red"));

    decls = read_file(argv[1], "examples/regional/declarations.jsonl", &decls_len);
    expected = read_file(argv[2], "regional.expected.jsonl", NULL);
    decl_lines = malloc(MAX_LINES * sizeof *decl_lines);
    exp_lines = malloc(MAX_LINES * sizeof *exp_lines);
    batch_lines = malloc(MAX_LINES * sizeof *batch_lines);

    /* The batch first, over the untouched file. */
    CHECK_OK(semaforo_evaluator_eval_batch(ev, ctx, decls, decls_len, &count,
                                           &failed));
    CHECK_OK(semaforo_evaluator_batch_output(ev, &p, &len));
    batch_copy = malloc(len + 1);
    memcpy(batch_copy, p, len);
    batch_copy[len] = '\0';
    n_batch = split_lines(batch_copy, batch_lines, MAX_LINES);

    n_decl = split_lines(decls, decl_lines, MAX_LINES);
    n_exp = split_lines(expected, exp_lines, MAX_LINES);
    CHECK(n_decl > 100);
    CHECK(n_decl == n_exp);
    CHECK(count == n_decl);
    CHECK(failed == 0);
    CHECK(n_batch == n_decl);
    {
        uint32_t st = 1;
        CHECK_OK(semaforo_evaluator_batch_status(ev, 0, &st));
        CHECK(st == SEMAFORO_OK);
        CHECK_STATUS(semaforo_evaluator_batch_status(ev, count, &st),
                     SEMAFORO_INDEX_OUT_OF_RANGE);
    }

    for (i = 0; i < n_decl && i < n_exp; i++) {
        CHECK_OK(semaforo_evaluator_eval_json(ev, ctx, decl_lines[i],
                                              strlen(decl_lines[i])));
        CHECK_OK(semaforo_evaluator_outcome_json(ev, &p, &len));
        if (!str_eq(p, len, exp_lines[i])) {
            fprintf(stderr, "declaration %lu differs:\n  C:    %.*s\n  Rust: %s\n",
                    (unsigned long)i, (int)len, p, exp_lines[i]);
            failures++;
        } else {
            check_readers(ev, exp_lines[i]);
        }
        if (i < n_batch) {
            CHECK(strcmp(batch_lines[i], exp_lines[i]) == 0);
        }
    }

    free(batch_copy);
    free(decl_lines);
    free(exp_lines);
    free(batch_lines);
    free(decls);
    free(expected);
    semaforo_evaluator_free(ev);
    semaforo_context_free(ctx);
    semaforo_ruleset_free(rs);
    return finish("test_json");
}
