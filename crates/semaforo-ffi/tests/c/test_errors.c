/*
 * Every error path gives its status code, writes no out-parameter, and
 * leaves the handles usable: NULL handles and arguments, invalid UTF-8,
 * broken JSON, JSON that does not match the schema, unknown field names,
 * wrong value types, handles of another ruleset, compile errors with
 * their diagnostics, and directly filled declarations missing a required
 * field.
 */
#include "common.h"

#define SENTINEL ((void *)0x1)

static const char bad_rules[] =
    "ruleset \"broken\" version \"1\"\n"
    "schema declaration {\n"
    "  key id: text\n"
    "  origin: text\n"
    "}\n"
    "rule R1 \"Typo\" {\n"
    "  when orign == \"CN\"\n"
    "  then score 10\n"
    "}\n";

static const char small_rules[] =
    "ruleset \"small\" version \"1\"\n"
    "schema declaration {\n"
    "  key id: text\n"
    "  origin: text\n"
    "  net: number\n"
    "}\n"
    "rule R1 \"CN\" { when origin == \"CN\" then lane red }\n";

static const char list_rules[] =
    "ruleset \"lists\" version \"1\"\n"
    "schema declaration {\n"
    "  key id: text\n"
    "  importer: text\n"
    "  items: [item]\n"
    "}\n"
    "record item {\n"
    "  hs: text\n"
    "  net_kg: number?\n"
    "}\n"
    "rule F \"Footwear\" { when any(it in items: it.hs starts with \"6403\") then lane red }\n";

static void compile_errors(void) {
    semaforo_compiler *c = NULL;
    semaforo_ruleset *r = SENTINEL;
    semaforo_diagnostics *d = NULL;
    semaforo_diagnostic diag;
    size_t count = 0, errors = 0, len = 0;
    const char *text = NULL;

    CHECK_OK(semaforo_compiler_new(&c));
    CHECK_OK(semaforo_compiler_add_source(c, LIT("bad.sem"), LIT(bad_rules)));
    CHECK_STATUS(semaforo_compiler_compile(c, &r, &d),
                 SEMAFORO_COMPILE_FAILED);
    CHECK(r == SENTINEL); /* not written on failure */
    CHECK(d != NULL);
    CHECK_OK(semaforo_diagnostics_count(d, &count));
    CHECK_OK(semaforo_diagnostics_error_count(d, &errors));
    CHECK(count >= 1);
    CHECK(errors >= 1);
    CHECK_OK(semaforo_diagnostics_get(d, 0, &diag));
    CHECK(diag.severity == SEMAFORO_SEVERITY_ERROR);
    CHECK(diag.code.len == 5 && diag.code.ptr[0] == 'E');
    CHECK(str_eq(diag.file.ptr, diag.file.len, "bad.sem"));
    CHECK(diag.line == 7);
    CHECK(diag.column == 8);
    CHECK(diag.message.len > 0);
    CHECK(memchr(diag.message.ptr, '`', diag.message.len) != NULL);
    CHECK_STATUS(semaforo_diagnostics_get(d, count, &diag),
                 SEMAFORO_INDEX_OUT_OF_RANGE);
    CHECK_OK(semaforo_diagnostics_rendered(d, &text, &len));
    CHECK(len > 0);
    {
        char *copy = malloc(len + 1);
        memcpy(copy, text, len);
        copy[len] = '\0';
        /* The facade's renderer, as `semaforo check` shows it. */
        CHECK(strstr(copy, "error[E") != NULL);
        CHECK(strstr(copy, "bad.sem:7:8") != NULL);
        CHECK(strstr(copy, "  when orign == \"CN\"") != NULL);
        CHECK(strstr(copy, "^^^^^") != NULL);
        free(copy);
    }
    semaforo_diagnostics_free(d);

    /* Diagnostics are optional; a missing external list is an error too. */
    semaforo_compiler_free(c);
    c = NULL;
    CHECK_OK(semaforo_compiler_new(&c));
    CHECK_OK(semaforo_compiler_add_source(
        c, LIT("l.sem"),
        LIT("ruleset \"l\" version \"1\"\nschema d { key id: text\n o: text }\n"
            "list watched: text\nrule R \"w\" { when o in watched then score 1 }\n")));
    CHECK_STATUS(semaforo_compiler_compile(c, &r, NULL), SEMAFORO_COMPILE_FAILED);
    CHECK(r == SENTINEL);
    /* Supplied as entries it compiles. */
    {
        semaforo_str entries[2];
        entries[0].ptr = "CN";
        entries[0].len = 2;
        entries[1].ptr = "VN";
        entries[1].len = 2;
        CHECK_OK(semaforo_compiler_add_list(c, LIT("watched"), entries, 2));
        CHECK_STATUS(semaforo_compiler_add_list(c, LIT("x"), NULL, 1),
                     SEMAFORO_NULL_PARAMETER);
        CHECK_OK(semaforo_compiler_compile(c, &r, &d));
        CHECK(r != SENTINEL && r != NULL);
        semaforo_ruleset_free(r);
        semaforo_diagnostics_free(d);
        r = SENTINEL;
    }
    /* A table given as key/value arrays with a value of the wrong type. */
    CHECK_OK(semaforo_compiler_add_source(
        c, LIT("t.sem"), LIT("table price: number\n")));
    {
        semaforo_str keys[1], values[1];
        keys[0].ptr = "6403";
        keys[0].len = 4;
        values[0].ptr = "cheap";
        values[0].len = 5;
        CHECK_OK(semaforo_compiler_add_table(c, LIT("price"), keys, values, 1));
        d = NULL;
        CHECK_STATUS(semaforo_compiler_compile(c, &r, &d), SEMAFORO_COMPILE_FAILED);
        CHECK_OK(semaforo_diagnostics_error_count(d, &errors));
        CHECK(errors >= 1);
        semaforo_diagnostics_free(d);
    }
    semaforo_compiler_free(c);
}

static void null_and_utf8(void) {
    semaforo_compiler *c = NULL;
    const char *p = SENTINEL;
    size_t n = 7;
    static const char bad_utf8[] = {'o', (char)0xC3, (char)0x28};

    CHECK_STATUS(semaforo_compiler_new(NULL), SEMAFORO_NULL_PARAMETER);
    CHECK_STATUS(semaforo_compiler_add_source(NULL, LIT("a"), LIT("b")),
                 SEMAFORO_NULL_PARAMETER);
    CHECK_STATUS(semaforo_compiler_compile(NULL, NULL, NULL),
                 SEMAFORO_NULL_PARAMETER);
    CHECK_STATUS(semaforo_ruleset_name(NULL, &p, &n), SEMAFORO_NULL_PARAMETER);
    CHECK(p == SENTINEL && n == 7);
    CHECK_STATUS(semaforo_evaluator_new(NULL, NULL), SEMAFORO_NULL_PARAMETER);
    CHECK_STATUS(semaforo_evaluator_eval_json(NULL, NULL, LIT("{}")),
                 SEMAFORO_NULL_PARAMETER);
    CHECK_STATUS(semaforo_evaluator_lane(NULL, &p, &n), SEMAFORO_NULL_PARAMETER);
    CHECK_STATUS(semaforo_declaration_set_text(NULL, semaforo_element_root(),
                                               NULL, LIT("x")),
                 SEMAFORO_NULL_PARAMETER);
    CHECK_STATUS(semaforo_diagnostics_count(NULL, &n), SEMAFORO_NULL_PARAMETER);
    CHECK_STATUS(semaforo_context_new(2026, 1, 1, NULL), SEMAFORO_NULL_PARAMETER);
    /* Freeing NULL is a no-op. */
    semaforo_compiler_free(NULL);
    semaforo_ruleset_free(NULL);
    semaforo_evaluator_free(NULL);
    semaforo_declaration_free(NULL);
    semaforo_context_free(NULL);
    semaforo_diagnostics_free(NULL);
    semaforo_field_free(NULL);

    CHECK_OK(semaforo_compiler_new(&c));
    CHECK_STATUS(semaforo_compiler_add_source(c, LIT("a.sem"), bad_utf8, 3),
                 SEMAFORO_INVALID_UTF8);
    CHECK_STATUS(semaforo_compiler_add_source(c, LIT("a.sem"), NULL, 3),
                 SEMAFORO_NULL_PARAMETER);
    semaforo_compiler_free(c);

    CHECK(strcmp(semaforo_status_message(SEMAFORO_OK), "ok") == 0);
    CHECK(strcmp(semaforo_status_message(SEMAFORO_UNKNOWN_FIELD), "unknown field") == 0);
    CHECK(strcmp(semaforo_status_message(12345), "unknown status code") == 0);
    CHECK(strlen(semaforo_version()) >= 5);
}

static semaforo_ruleset *compile_small(void) {
    semaforo_compiler *c = NULL;
    semaforo_ruleset *r = NULL;
    CHECK_OK(semaforo_compiler_new(&c));
    CHECK_OK(semaforo_compiler_add_source(c, LIT("small.sem"), LIT(small_rules)));
    CHECK_OK(semaforo_compiler_compile(c, &r, NULL));
    semaforo_compiler_free(c);
    return r;
}

static void input_errors(const char *root) {
    semaforo_ruleset *rs = compile_regional(root);
    semaforo_ruleset *small = compile_small();
    semaforo_context *ctx = test_context();
    semaforo_evaluator *ev = NULL;
    semaforo_declaration *d = NULL, *d_small = NULL;
    semaforo_field *fld = SENTINEL, *aeo = NULL, *net = NULL, *origin_small = NULL;
    semaforo_element el = {77, 77};
    const char *p = NULL;
    size_t n = 0, count = 9, failed = 9;
    static const char bad_utf8_json[] = {'{', '"', (char)0xFF, '"', ':', '1', '}'};

    CHECK_OK(semaforo_evaluator_new(rs, &ev));
    CHECK_OK(semaforo_declaration_new(rs, &d));
    CHECK_OK(semaforo_declaration_new(small, &d_small));

    /* No outcome yet. */
    CHECK_STATUS(semaforo_evaluator_lane(ev, &p, &n), SEMAFORO_NO_OUTCOME);

    /* Broken JSON, wrong types, invalid UTF-8. */
    CHECK_STATUS(semaforo_evaluator_eval_json(ev, ctx, LIT("{\"id\": ")),
                 SEMAFORO_JSON_SYNTAX);
    CHECK_OK(semaforo_evaluator_last_error(ev, &p, &n));
    CHECK(n > 0);
    CHECK_STATUS(semaforo_evaluator_eval_json(ev, ctx, bad_utf8_json,
                                              sizeof bad_utf8_json),
                 SEMAFORO_INVALID_UTF8);
    CHECK_STATUS(
        semaforo_evaluator_eval_json(
            ev, ctx,
            LIT("{\"id\":\"X\",\"regime\":\"IM4\",\"office\":\"A\",\"declared_on\":"
                "\"2026-01-01\",\"importer\":\"I\",\"declarant\":\"D\",\"aeo\":false,"
                "\"origin\":\"CN\",\"provenance\":\"CN\",\"transport_mode\":1,"
                "\"incoterm\":\"FOB\",\"items\":[{\"hs\":\"1\",\"description\":\"d\","
                "\"origin\":\"CN\",\"net_kg\":\"heavy\",\"gross_kg\":1,\"value\":1}]}")),
        SEMAFORO_JSON_SCHEMA);
    CHECK_OK(semaforo_evaluator_last_error(ev, &p, &n));
    {
        char msg[512];
        snprintf(msg, sizeof msg, "%.*s", (int)n, p);
        CHECK(strstr(msg, "items[0].net_kg") != NULL);
        CHECK(strstr(msg, "expected number") != NULL);
    }
    CHECK_STATUS(semaforo_evaluator_eval_json(ev, ctx, LIT("{\"id\":\"a\",\"id\":\"b\"}")),
                 SEMAFORO_JSON_SCHEMA);
    CHECK_STATUS(semaforo_evaluator_lane(ev, &p, &n), SEMAFORO_NO_OUTCOME);
    CHECK_STATUS(semaforo_evaluator_eval_json(ev, ctx, NULL, 5),
                 SEMAFORO_NULL_PARAMETER);

    /* A batch with one bad line and a broken array. */
    CHECK_OK(semaforo_evaluator_eval_batch(ev, ctx, LIT("{\"id\":1}\n\n{nope\n"),
                                           &count, &failed));
    CHECK(count == 2 && failed == 2);
    {
        semaforo_status st = SEMAFORO_OK;
        CHECK_OK(semaforo_evaluator_batch_status(ev, 1, &st));
        CHECK(st == SEMAFORO_JSON_SYNTAX);
        CHECK_OK(semaforo_evaluator_batch_output(ev, &p, &n));
        CHECK(n > 0 && p[0] == '{' && p[n - 1] == '\n');
        CHECK(memcmp(p, "{\"index\":0,\"status\":7201,\"error\":", 33) == 0);
    }
    CHECK_OK(semaforo_evaluator_eval_batch(ev, ctx, LIT("  [ {\"id\": 1}, {"),
                                           &count, &failed));
    CHECK(count == 2 && failed == 2);

    /* Unknown fields. */
    CHECK_STATUS(semaforo_ruleset_field(rs, LIT("orign"), &fld), SEMAFORO_UNKNOWN_FIELD);
    CHECK_STATUS(semaforo_ruleset_field(rs, LIT("items.nope"), &fld), SEMAFORO_UNKNOWN_FIELD);
    CHECK_STATUS(semaforo_ruleset_field(rs, LIT("origin.x"), &fld), SEMAFORO_UNKNOWN_FIELD);
    CHECK_STATUS(semaforo_ruleset_field(rs, LIT(""), &fld), SEMAFORO_UNKNOWN_FIELD);
    CHECK(fld == SENTINEL);

    /* Wrong value types, bad numbers and dates, wrong records. */
    CHECK_OK(semaforo_ruleset_field(rs, LIT("aeo"), &aeo));
    CHECK_OK(semaforo_ruleset_field(rs, LIT("items.net_kg"), &net));
    CHECK_STATUS(semaforo_declaration_set_text(d, semaforo_element_root(), aeo, LIT("yes")),
                 SEMAFORO_WRONG_TYPE);
    CHECK_OK(semaforo_declaration_last_error(d, &p, &n));
    CHECK(n > 0);
    CHECK_STATUS(semaforo_declaration_set_date(d, semaforo_element_root(), aeo, 2026, 1, 1),
                 SEMAFORO_WRONG_TYPE);
    CHECK_STATUS(semaforo_declaration_set_number(d, semaforo_element_root(), aeo, LIT("1")),
                 SEMAFORO_WRONG_TYPE);
    CHECK_STATUS(semaforo_declaration_set_number(d, semaforo_element_root(), net, LIT("1")),
                 SEMAFORO_WRONG_RECORD);
    CHECK_STATUS(semaforo_declaration_set_number(d, el, net, LIT("1")),
                 SEMAFORO_WRONG_RECORD);
    CHECK_STATUS(semaforo_declaration_set_number(d, semaforo_element_root(), net, LIT("1,5")),
                 SEMAFORO_INVALID_NUMBER);
    CHECK_STATUS(semaforo_declaration_set_number_units(d, semaforo_element_root(), net, 1, 7),
                 SEMAFORO_INVALID_ARGUMENT);
    CHECK_STATUS(semaforo_declaration_set_date(d, semaforo_element_root(), aeo, 2026, 2, 30),
                 SEMAFORO_INVALID_DATE);
    CHECK_STATUS(semaforo_declaration_set_date_str(d, semaforo_element_root(), aeo, LIT("2026-13-01")),
                 SEMAFORO_INVALID_DATE);
    CHECK_STATUS(semaforo_declaration_push(d, semaforo_element_root(), aeo, &el),
                 SEMAFORO_WRONG_TYPE);
    CHECK(el.record == 77 && el.index == 77);
    CHECK_STATUS(semaforo_declaration_validate(d), SEMAFORO_MISSING_REQUIRED);

    /* Handles of another ruleset. */
    CHECK_OK(semaforo_ruleset_field(small, LIT("origin"), &origin_small));
    CHECK_STATUS(semaforo_declaration_set_text(d, semaforo_element_root(),
                                               origin_small, LIT("CN")),
                 SEMAFORO_WRONG_RULESET);
    CHECK_STATUS(semaforo_evaluator_eval(ev, ctx, d_small), SEMAFORO_WRONG_RULESET);

    /* Contexts. */
    {
        semaforo_context *c2 = SENTINEL;
        uint8_t key[15] = {0};
        CHECK_STATUS(semaforo_context_new(2026, 2, 29, &c2), SEMAFORO_INVALID_DATE);
        CHECK(c2 == SENTINEL);
        CHECK_STATUS(semaforo_context_set_sampling_key(ctx, key, sizeof key, LIT("k")),
                     SEMAFORO_INVALID_ARGUMENT);
        CHECK_STATUS(semaforo_context_set_today_str(ctx, LIT("20261120")),
                     SEMAFORO_INVALID_DATE);
        CHECK_OK(semaforo_context_set_today_str(ctx, LIT("2026-11-20")));
        CHECK_OK(semaforo_context_set_today(ctx, 2026, 11, 20));
    }

    /* The handles still work after all of this. */
    {
        char *direct = read_file(root, "crates/semaforo-ffi/tests/data/direct.jsonl", NULL);
        char *lines[4];
        CHECK(split_lines(direct, lines, 4) == 3);
        CHECK_OK(semaforo_evaluator_eval_json(ev, ctx, lines[0], strlen(lines[0])));
        CHECK_OK(semaforo_evaluator_id(ev, &p, &n));
        CHECK(str_eq(p, n, "DIRECT-1"));
        free(direct);
    }

    semaforo_field_free(aeo);
    semaforo_field_free(net);
    semaforo_field_free(origin_small);
    semaforo_declaration_free(d);
    semaforo_declaration_free(d_small);
    semaforo_evaluator_free(ev);
    semaforo_context_free(ctx);
    semaforo_ruleset_free(small);
    semaforo_ruleset_free(rs);
}

/* The message of the evaluator's last error, NUL-terminated. */
static void last_error(semaforo_evaluator *ev, char *buf, size_t size) {
    const char *p = NULL;
    size_t n = 0;
    CHECK_OK(semaforo_evaluator_last_error(ev, &p, &n));
    snprintf(buf, size, "%.*s", (int)n, p);
}

/* The direct path validates: a required field never set is an error that
   names the field by path, and leaves no outcome behind. */
static void missing_required(void) {
    semaforo_compiler *c = NULL;
    semaforo_ruleset *rs = NULL;
    semaforo_context *ctx = test_context();
    semaforo_evaluator *ev = NULL;
    semaforo_declaration *d = NULL;
    semaforo_field *id = NULL, *importer = NULL, *items = NULL, *hs = NULL;
    semaforo_element root = semaforo_element_root(), it0, it1;
    const char *p = NULL;
    size_t n = 0;
    char msg[512];

    CHECK_OK(semaforo_compiler_new(&c));
    CHECK_OK(semaforo_compiler_add_source(c, LIT("lists.sem"), LIT(list_rules)));
    CHECK_OK(semaforo_compiler_compile(c, &rs, NULL));
    semaforo_compiler_free(c);
    CHECK_OK(semaforo_evaluator_new(rs, &ev));
    CHECK_OK(semaforo_declaration_new(rs, &d));
    CHECK_OK(semaforo_ruleset_field(rs, LIT("id"), &id));
    CHECK_OK(semaforo_ruleset_field(rs, LIT("importer"), &importer));
    CHECK_OK(semaforo_ruleset_field(rs, LIT("items"), &items));
    CHECK_OK(semaforo_ruleset_field(rs, LIT("items.hs"), &hs));

    /* A complete declaration evaluates. */
    CHECK_OK(semaforo_declaration_set_text(d, root, id, LIT("OK-1")));
    CHECK_OK(semaforo_declaration_set_text(d, root, importer, LIT("IMP")));
    CHECK_OK(semaforo_declaration_push(d, root, items, &it0));
    CHECK_OK(semaforo_declaration_set_text(d, it0, hs, LIT("6403990000")));
    CHECK_OK(semaforo_evaluator_eval(ev, ctx, d));
    CHECK_OK(semaforo_evaluator_lane(ev, &p, &n));
    CHECK(str_eq(p, n, "red"));

    /* The outcome keeps its id after the declaration is cleared. */
    CHECK_OK(semaforo_declaration_clear(d));
    CHECK_OK(semaforo_evaluator_id(ev, &p, &n));
    CHECK(str_eq(p, n, "OK-1"));

    /* A required field of the second record is missing. */
    CHECK_OK(semaforo_declaration_set_text(d, root, id, LIT("BAD-1")));
    CHECK_OK(semaforo_declaration_set_text(d, root, importer, LIT("IMP")));
    CHECK_OK(semaforo_declaration_push(d, root, items, &it0));
    CHECK_OK(semaforo_declaration_set_text(d, it0, hs, LIT("6403990000")));
    CHECK_OK(semaforo_declaration_push(d, root, items, &it1));
    CHECK_STATUS(semaforo_evaluator_eval(ev, ctx, d), SEMAFORO_MISSING_REQUIRED);
    last_error(ev, msg, sizeof msg);
    CHECK(strcmp(msg, "items[1].hs: required field is missing") == 0);
    CHECK_STATUS(semaforo_evaluator_lane(ev, &p, &n), SEMAFORO_NO_OUTCOME);
    CHECK_STATUS(semaforo_evaluator_id(ev, &p, &n), SEMAFORO_NO_OUTCOME);
    CHECK_STATUS(semaforo_evaluator_outcome_json(ev, &p, &n), SEMAFORO_NO_OUTCOME);

    /* Setting it makes the same buffer evaluate. */
    CHECK_OK(semaforo_declaration_set_text(d, it1, hs, LIT("0101210000")));
    CHECK_OK(semaforo_evaluator_eval(ev, ctx, d));
    CHECK_OK(semaforo_evaluator_id(ev, &p, &n));
    CHECK(str_eq(p, n, "BAD-1"));

    /* A missing top-level field, and a missing list (not an empty one). */
    CHECK_OK(semaforo_declaration_clear(d));
    CHECK_OK(semaforo_declaration_set_text(d, root, id, LIT("BAD-2")));
    CHECK_OK(semaforo_declaration_start_list(d, root, items));
    CHECK_STATUS(semaforo_evaluator_eval(ev, ctx, d), SEMAFORO_MISSING_REQUIRED);
    last_error(ev, msg, sizeof msg);
    CHECK(strstr(msg, "importer") != NULL);
    CHECK_OK(semaforo_declaration_set_text(d, root, importer, LIT("IMP")));
    CHECK_OK(semaforo_evaluator_eval(ev, ctx, d));
    CHECK_OK(semaforo_declaration_clear(d));
    CHECK_OK(semaforo_declaration_set_text(d, root, id, LIT("BAD-3")));
    CHECK_OK(semaforo_declaration_set_text(d, root, importer, LIT("IMP")));
    CHECK_STATUS(semaforo_evaluator_eval(ev, ctx, d), SEMAFORO_MISSING_REQUIRED);
    last_error(ev, msg, sizeof msg);
    CHECK(strstr(msg, "items") != NULL);
    /* An empty declaration names the key first. */
    CHECK_OK(semaforo_declaration_clear(d));
    CHECK_STATUS(semaforo_evaluator_eval(ev, ctx, d), SEMAFORO_MISSING_REQUIRED);
    last_error(ev, msg, sizeof msg);
    CHECK(strcmp(msg, "id: required field is missing") == 0);

    semaforo_field_free(id);
    semaforo_field_free(importer);
    semaforo_field_free(items);
    semaforo_field_free(hs);
    semaforo_declaration_free(d);
    semaforo_evaluator_free(ev);
    semaforo_context_free(ctx);
    semaforo_ruleset_free(rs);
}


/* The message of the declaration's last error, NUL-terminated. */
static void decl_error(semaforo_declaration *d, char *buf, size_t size) {
    const char *p = NULL;
    size_t n = 0;
    CHECK_OK(semaforo_declaration_last_error(d, &p, &n));
    snprintf(buf, size, "%.*s", (int)n, p);
}

/* Evaluates a complete declaration of `small_rules` (lane red). */
static void eval_ok(semaforo_evaluator *ev, semaforo_context *ctx) {
    const char *p = NULL;
    size_t n = 0;
    CHECK_OK(semaforo_evaluator_eval_json(ev, ctx, LIT("{\"id\":\"OK\",\"origin\":\"CN\",\"net\":1}")));
    CHECK_OK(semaforo_evaluator_lane(ev, &p, &n));
    CHECK(str_eq(p, n, "red"));
}

/* Every outcome reader gives SEMAFORO_NO_OUTCOME and writes nothing. */
static void check_no_outcome(semaforo_evaluator *ev, int line) {
    const char *p = SENTINEL;
    size_t n = 7;
    uint32_t lane = 7;
    int64_t score = 7;
    semaforo_fired_rule rule;
    int before = failures;
    rule.draw = 7;
    CHECK_STATUS(semaforo_evaluator_lane(ev, &p, &n), SEMAFORO_NO_OUTCOME);
    CHECK_STATUS(semaforo_evaluator_id(ev, &p, &n), SEMAFORO_NO_OUTCOME);
    CHECK_STATUS(semaforo_evaluator_lane_index(ev, &lane), SEMAFORO_NO_OUTCOME);
    CHECK_STATUS(semaforo_evaluator_score(ev, &score), SEMAFORO_NO_OUTCOME);
    CHECK_STATUS(semaforo_evaluator_fired_count(ev, &n), SEMAFORO_NO_OUTCOME);
    CHECK_STATUS(semaforo_evaluator_fired(ev, 0, &rule), SEMAFORO_NO_OUTCOME);
    CHECK_STATUS(semaforo_evaluator_note_count(ev, &n), SEMAFORO_NO_OUTCOME);
    CHECK_STATUS(semaforo_evaluator_note(ev, 0, &p, &n), SEMAFORO_NO_OUTCOME);
    CHECK_STATUS(semaforo_evaluator_undetermined_count(ev, &n), SEMAFORO_NO_OUTCOME);
    CHECK_STATUS(semaforo_evaluator_undetermined(ev, 0, &p, &n), SEMAFORO_NO_OUTCOME);
    CHECK_STATUS(semaforo_evaluator_outcome_json(ev, &p, &n), SEMAFORO_NO_OUTCOME);
    CHECK(p == SENTINEL && n == 7 && lane == 7 && score == 7 && rule.draw == 7);
    if (failures != before) {
        fprintf(stderr, "  (outcome still readable after the failed call on line %d)\n", line);
    }
}

/* The last error names what went wrong (`needle`) after a failed call. */
static void check_last_error(semaforo_evaluator *ev, const char *needle) {
    char msg[512];
    last_error(ev, msg, sizeof msg);
    if (strstr(msg, needle) == NULL) {
        fprintf(stderr, "last_error `%s` does not contain `%s`\n", msg, needle);
        failures++;
    }
}

/* Issue: a failed eval with a NULL argument returned an error but left the
   previous outcome readable (and last_error empty). Every failed
   evaluation call now drops the outcome and records a message. */
static void failed_eval_drops_outcome(void) {
    semaforo_ruleset *rs = compile_small();
    semaforo_ruleset *other = compile_small();
    semaforo_context *ctx = test_context();
    semaforo_evaluator *ev = NULL;
    semaforo_declaration *d = NULL, *d_other = NULL;
    size_t count = 0, failed = 0;
    char msg[512];

    CHECK_OK(semaforo_evaluator_new(rs, &ev));
    CHECK_OK(semaforo_declaration_new(rs, &d));
    CHECK_OK(semaforo_declaration_new(other, &d_other));

    /* Nothing evaluated yet; nothing failed yet. */
    check_no_outcome(ev, __LINE__);
    last_error(ev, msg, sizeof msg);
    CHECK(msg[0] == '\0');

    eval_ok(ev, ctx);
    CHECK_STATUS(semaforo_evaluator_eval_json(ev, NULL, LIT("{}")), SEMAFORO_NULL_PARAMETER);
    check_no_outcome(ev, __LINE__);
    check_last_error(ev, "context");

    eval_ok(ev, ctx);
    CHECK_STATUS(semaforo_evaluator_eval_json(ev, ctx, NULL, 5), SEMAFORO_NULL_PARAMETER);
    check_no_outcome(ev, __LINE__);
    check_last_error(ev, "json");

    eval_ok(ev, ctx);
    CHECK_STATUS(semaforo_evaluator_eval(ev, ctx, NULL), SEMAFORO_NULL_PARAMETER);
    check_no_outcome(ev, __LINE__);
    check_last_error(ev, "declaration");

    eval_ok(ev, ctx);
    CHECK_STATUS(semaforo_evaluator_eval(ev, NULL, d), SEMAFORO_NULL_PARAMETER);
    check_no_outcome(ev, __LINE__);
    check_last_error(ev, "context");

    eval_ok(ev, ctx);
    CHECK_STATUS(semaforo_evaluator_eval(ev, ctx, d_other), SEMAFORO_WRONG_RULESET);
    check_no_outcome(ev, __LINE__);
    check_last_error(ev, "another ruleset");

    eval_ok(ev, ctx);
    CHECK_STATUS(semaforo_evaluator_eval(ev, ctx, d), SEMAFORO_MISSING_REQUIRED);
    check_no_outcome(ev, __LINE__);
    check_last_error(ev, "id: required field is missing");

    eval_ok(ev, ctx);
    CHECK_STATUS(semaforo_evaluator_eval_json(ev, ctx, LIT("{\"id\":\"X\",\"origin\":7}")),
                 SEMAFORO_JSON_SCHEMA);
    check_no_outcome(ev, __LINE__);
    check_last_error(ev, "origin: expected text");

    /* A batch call that fails also drops the outcome and records why. */
    eval_ok(ev, ctx);
    CHECK_STATUS(semaforo_evaluator_eval_batch(ev, ctx, LIT("{}"), NULL, &failed),
                 SEMAFORO_NULL_PARAMETER);
    check_no_outcome(ev, __LINE__);
    check_last_error(ev, "out_count");
    eval_ok(ev, ctx);
    CHECK_STATUS(semaforo_evaluator_eval_batch(ev, NULL, LIT("{}"), &count, &failed),
                 SEMAFORO_NULL_PARAMETER);
    check_no_outcome(ev, __LINE__);
    check_last_error(ev, "context");

    /* A successful call leaves the last error as it was; a batch that ran
       succeeds even when items fail, and item messages stay in its output. */
    eval_ok(ev, ctx);
    check_last_error(ev, "context");
    CHECK_OK(semaforo_evaluator_eval_batch(ev, ctx, LIT("{nope"), &count, &failed));
    CHECK(count == 1 && failed == 1);
    check_last_error(ev, "context");
    check_no_outcome(ev, __LINE__);

    semaforo_declaration_free(d);
    semaforo_declaration_free(d_other);
    semaforo_evaluator_free(ev);
    semaforo_context_free(ctx);
    semaforo_ruleset_free(other);
    semaforo_ruleset_free(rs);
}

/* Issue: a setter given text that is not UTF-8 (Latin-1 `CAÑA` from a
   legacy system) returned SEMAFORO_INVALID_UTF8 without a message. The
   message names the field and the offset of the first invalid byte. */
static void setter_messages(const char *root) {
    semaforo_ruleset *rs = compile_regional(root);
    semaforo_declaration *d = NULL;
    semaforo_field *items = NULL, *desc = NULL, *net = NULL, *declared = NULL;
    semaforo_element it;
    static const char latin1[] = {'C', 'A', (char)0xD1, 'A'};
    char msg[512];

    CHECK_OK(semaforo_declaration_new(rs, &d));
    CHECK_OK(semaforo_ruleset_field(rs, LIT("items"), &items));
    CHECK_OK(semaforo_ruleset_field(rs, LIT("items.description"), &desc));
    CHECK_OK(semaforo_ruleset_field(rs, LIT("items.net_kg"), &net));
    CHECK_OK(semaforo_ruleset_field(rs, LIT("declared_on"), &declared));
    CHECK_OK(semaforo_declaration_push(d, semaforo_element_root(), items, &it));

    CHECK_STATUS(semaforo_declaration_set_text(d, it, desc, latin1, sizeof latin1),
                 SEMAFORO_INVALID_UTF8);
    decl_error(d, msg, sizeof msg);
    CHECK(strcmp(msg, "`items.description` value: invalid UTF-8 at byte offset 2") == 0);

    CHECK_STATUS(semaforo_declaration_set_number(d, it, net, latin1, sizeof latin1),
                 SEMAFORO_INVALID_UTF8);
    decl_error(d, msg, sizeof msg);
    CHECK(strstr(msg, "`items.net_kg` value: invalid UTF-8 at byte offset 2") != NULL);

    CHECK_STATUS(semaforo_declaration_set_date_str(d, semaforo_element_root(), declared,
                                                   "2026\xff", 5),
                 SEMAFORO_INVALID_UTF8);
    decl_error(d, msg, sizeof msg);
    CHECK(strstr(msg, "`declared_on` value: invalid UTF-8 at byte offset 4") != NULL);

    /* Every other refused argument is named too. */
    CHECK_STATUS(semaforo_declaration_set_text(d, it, NULL, LIT("x")), SEMAFORO_NULL_PARAMETER);
    decl_error(d, msg, sizeof msg);
    CHECK(strstr(msg, "field") != NULL);
    CHECK_STATUS(semaforo_declaration_set_text(d, it, desc, NULL, 3), SEMAFORO_NULL_PARAMETER);
    decl_error(d, msg, sizeof msg);
    CHECK(strstr(msg, "`items.description` value: NULL") != NULL);
    CHECK_STATUS(semaforo_declaration_set_number(d, it, net, LIT("1,5")), SEMAFORO_INVALID_NUMBER);
    decl_error(d, msg, sizeof msg);
    CHECK(strstr(msg, "`items.net_kg`") != NULL && strstr(msg, "`1,5`") != NULL);
    CHECK_STATUS(semaforo_declaration_set_date(d, semaforo_element_root(), declared, 2026, 2, 30),
                 SEMAFORO_INVALID_DATE);
    decl_error(d, msg, sizeof msg);
    CHECK(strstr(msg, "`declared_on`") != NULL && strstr(msg, "2026-02-30") != NULL);
    CHECK_STATUS(semaforo_declaration_push(d, semaforo_element_root(), items, NULL),
                 SEMAFORO_NULL_PARAMETER);
    decl_error(d, msg, sizeof msg);
    CHECK(strstr(msg, "out_element") != NULL);

    /* Valid text still goes in. */
    CHECK_OK(semaforo_declaration_set_text(d, it, desc, LIT("CA\xc3\x91" "A")));

    semaforo_field_free(items);
    semaforo_field_free(desc);
    semaforo_field_free(net);
    semaforo_field_free(declared);
    semaforo_declaration_free(d);
    semaforo_ruleset_free(rs);
}

/* The status of each kind of bad JSON, as the status table documents it,
   for a single declaration and for a batch item. */
static void json_statuses(void) {
    semaforo_ruleset *rs = compile_small();
    semaforo_context *ctx = test_context();
    semaforo_evaluator *ev = NULL;
    static const char bad_utf8[] = {'{', '"', 'i', 'd', '"', ':', '"', (char)0xE9, '"', '}'};
    static const struct {
        const char *json;
        semaforo_status status;
    } cases[] = {
        {"{\"id\":\"A\",\"origin\":\"\\ud800\"}", SEMAFORO_JSON_SYNTAX}, /* lone surrogate */
        {"{\"id\":\"A\",\"origin\":\"\\udc00x\"}", SEMAFORO_JSON_SYNTAX},
        {"[{\"id\":\"A\"}]", SEMAFORO_JSON_SCHEMA}, /* not an object */
        {"42", SEMAFORO_JSON_SCHEMA},
        {"\"A\"", SEMAFORO_JSON_SCHEMA},
        {"null", SEMAFORO_JSON_SCHEMA},
        {"{\"id\":\"A\",\"origin\":\"CN\",\"net\":1e30}", SEMAFORO_JSON_SCHEMA}, /* out of range */
        {"{\"id\":\"A\",\"origin\":\"CN\",\"net\":-1000000000000000000000000000000}",
         SEMAFORO_JSON_SCHEMA},
        {"{\"id\":\"A\",", SEMAFORO_JSON_SYNTAX},
    };
    size_t i, count = 0, failed = 0;
    semaforo_status st = SEMAFORO_OK;
    char line[256];
    const char *p = NULL;
    size_t n = 0;

    CHECK_OK(semaforo_evaluator_new(rs, &ev));
    CHECK_STATUS(semaforo_evaluator_eval_json(ev, ctx, bad_utf8, sizeof bad_utf8),
                 SEMAFORO_INVALID_UTF8);
    check_last_error(ev, "invalid UTF-8");
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        semaforo_status got;
        size_t len = strlen(cases[i].json);
        got = semaforo_evaluator_eval_json(ev, ctx, cases[i].json, len);
        if (got != cases[i].status) {
            fprintf(stderr, "%s: status %u, expected %u\n", cases[i].json, (unsigned)got,
                    (unsigned)cases[i].status);
            failures++;
        }
        /* The same text as the only line of a batch. */
        CHECK_OK(semaforo_evaluator_eval_batch(ev, ctx, cases[i].json, len, &count,
                                               &failed));
        CHECK(count == 1 && failed == 1);
        CHECK_OK(semaforo_evaluator_batch_status(ev, 0, &st));
        CHECK(st == cases[i].status);
        CHECK_OK(semaforo_evaluator_batch_output(ev, &p, &n));
        snprintf(line, sizeof line, "{\"index\":0,\"status\":%u,", (unsigned)cases[i].status);
        CHECK(n > strlen(line) && memcmp(p, line, strlen(line)) == 0);
    }
    CHECK_OK(semaforo_evaluator_eval_batch(ev, ctx, bad_utf8, sizeof bad_utf8, &count, &failed));
    CHECK_OK(semaforo_evaluator_batch_status(ev, 0, &st));
    CHECK(st == SEMAFORO_INVALID_UTF8);
    semaforo_evaluator_free(ev);
    semaforo_context_free(ctx);
    semaforo_ruleset_free(rs);
}

/* Blank lines (empty or white space only) are skipped and do not count:
   `index` is the item's position among the non-blank lines, which is also
   its line number in the batch output. */
static void batch_index_skips_blank_lines(void) {
    semaforo_ruleset *rs = compile_small();
    semaforo_context *ctx = test_context();
    semaforo_evaluator *ev = NULL;
    size_t count = 0, failed = 0, n = 0;
    const char *p = NULL;
    semaforo_status st = SEMAFORO_PANIC;
    static const char input[] =
        "\n"
        "{\"id\":\"A\",\"origin\":\"CN\",\"net\":1}\n"
        "   \t\r\n"
        "\n"
        "{nope\n"
        "{\"id\":\"C\",\"origin\":\"VN\",\"net\":2}";
    static const char expected_error[] = "{\"index\":1,\"status\":7200,\"error\":";

    CHECK_OK(semaforo_evaluator_new(rs, &ev));
    CHECK_OK(semaforo_evaluator_eval_batch(ev, ctx, input, sizeof input - 1, &count, &failed));
    CHECK(count == 3 && failed == 1);
    CHECK_OK(semaforo_evaluator_batch_status(ev, 0, &st));
    CHECK(st == SEMAFORO_OK);
    CHECK_OK(semaforo_evaluator_batch_status(ev, 1, &st));
    CHECK(st == SEMAFORO_JSON_SYNTAX);
    CHECK_OK(semaforo_evaluator_batch_status(ev, 2, &st));
    CHECK(st == SEMAFORO_OK);
    CHECK_STATUS(semaforo_evaluator_batch_status(ev, 3, &st), SEMAFORO_INDEX_OUT_OF_RANGE);
    CHECK_OK(semaforo_evaluator_batch_output(ev, &p, &n));
    {
        const char *second = memchr(p, '\n', n);
        CHECK(second != NULL);
        if (second != NULL) {
            CHECK(memcmp(second + 1, expected_error, sizeof expected_error - 1) == 0);
        }
    }
    semaforo_evaluator_free(ev);
    semaforo_context_free(ctx);
    semaforo_ruleset_free(rs);
}

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: %s ROOT EXPECTED_DIR\n", argv[0]);
        return 2;
    }
    compile_errors();
    null_and_utf8();
    input_errors(argv[1]);
    missing_required();
    failed_eval_drops_outcome();
    setter_messages(argv[1]);
    json_statuses();
    batch_index_skips_blank_lines();
    return finish("test_errors");
}
