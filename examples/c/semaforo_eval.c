/*
 * semaforo_eval: a small program a legacy-system developer can copy.
 * Compiles a ruleset from files, reads declarations from a JSON Lines file,
 * and prints each declaration's lane and fired rules.
 *
 *   SEMAFORO_KEY_FILE=KEYFILE [SEMAFORO_KEY_ID=LABEL] \
 *   semaforo_eval RULES.sem DECLARATIONS.jsonl TODAY [list:NAME=FILE]... [table:NAME=FILE]...
 *
 * The secret 16-byte sampling key is read from the file named by the
 * environment variable SEMAFORO_KEY_FILE (exactly 16 raw bytes, readable
 * only by the service account; e.g. `head -c 16 /dev/urandom > KEYFILE`),
 * never from the command line, where other users of the machine can read
 * it in the process list and shell history. SEMAFORO_KEY_ID is its label,
 * recorded in every outcome so that draws can be replayed after a rotation.
 *
 * Build (see docs/c-abi.md):
 *   cc -std=c99 -I crates/semaforo-ffi/include examples/c/semaforo_eval.c \
 *      -L target/release -lsemaforo -Wl,-rpath,'$ORIGIN/target/release' \
 *      -o semaforo_eval
 * (the run path lets ./semaforo_eval find libsemaforo.so at run time.)
 */
#include "semaforo.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *slurp(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    char *buf;
    long size;
    if (f == NULL) {
        return NULL;
    }
    fseek(f, 0, SEEK_END);
    size = ftell(f);
    fseek(f, 0, SEEK_SET);
    buf = malloc((size_t)size + 1);
    if (buf != NULL && fread(buf, 1, (size_t)size, f) == (size_t)size) {
        buf[size] = '\0';
        *len = (size_t)size;
    } else {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    return buf;
}

/* Reads the 16-byte key from the file named by SEMAFORO_KEY_FILE. */
static int read_key(uint8_t key[16]) {
    const char *path = getenv("SEMAFORO_KEY_FILE");
    FILE *f;
    size_t n;
    int extra;
    if (path == NULL || *path == '\0') {
        fprintf(stderr, "semaforo_eval: set SEMAFORO_KEY_FILE to a file holding the 16-byte sampling key\n");
        return 0;
    }
    f = fopen(path, "rb");
    if (f == NULL) {
        fprintf(stderr, "semaforo_eval: cannot open the key file %s\n", path);
        return 0;
    }
    n = fread(key, 1, 16, f);
    extra = fgetc(f);
    fclose(f);
    if (n != 16 || extra != EOF) {
        fprintf(stderr, "semaforo_eval: the key file %s must hold exactly 16 bytes\n", path);
        return 0;
    }
    return 1;
}

/* Overwrites a secret; the volatile stores are not optimised away. */
static void wipe(uint8_t *p, size_t n) {
    volatile uint8_t *v = p;
    while (n-- > 0) {
        *v++ = 0;
    }
}

static int fail(const char *what, semaforo_status s) {
    fprintf(stderr, "semaforo_eval: %s: %s (%u)\n", what, semaforo_status_message(s), (unsigned)s);
    return 1;
}

/* Adds `list:NAME=FILE` or `table:NAME=FILE`. */
static semaforo_status add_external(semaforo_compiler *c, const char *arg) {
    int is_list = strncmp(arg, "list:", 5) == 0;
    const char *spec = arg + (is_list ? 5 : 6);
    const char *eq = strchr(spec, '=');
    size_t len = 0;
    char *text;
    semaforo_status s;
    if ((!is_list && strncmp(arg, "table:", 6) != 0) || eq == NULL) {
        return SEMAFORO_INVALID_ARGUMENT;
    }
    text = slurp(eq + 1, &len);
    if (text == NULL) {
        return SEMAFORO_INVALID_ARGUMENT;
    }
    s = is_list ? semaforo_compiler_add_list_file(c, spec, (size_t)(eq - spec), eq + 1,
                                                  strlen(eq + 1), text, len)
                : semaforo_compiler_add_table_file(c, spec, (size_t)(eq - spec), eq + 1,
                                                   strlen(eq + 1), text, len);
    free(text);
    return s;
}

int main(int argc, char **argv) {
    semaforo_compiler *compiler = NULL;
    semaforo_ruleset *ruleset = NULL;
    semaforo_diagnostics *diagnostics = NULL;
    semaforo_context *context = NULL;
    semaforo_evaluator *evaluator = NULL;
    semaforo_status s;
    char *rules, *input, *line, *next;
    size_t rules_len = 0, input_len = 0, lineno = 0;
    int i, errors = 0;

    if (argc < 4) {
        fprintf(stderr, "usage: %s RULES.sem DECLARATIONS.jsonl YYYY-MM-DD [list:NAME=FILE]... [table:NAME=FILE]...\n", argv[0]);
        return 2;
    }
    rules = slurp(argv[1], &rules_len);
    input = slurp(argv[2], &input_len);
    if (rules == NULL || input == NULL) {
        fprintf(stderr, "semaforo_eval: cannot read %s or %s\n", argv[1], argv[2]);
        return 2;
    }

    /* 1. Compile once, at start (and again whenever the rules change). */
    semaforo_compiler_new(&compiler);
    semaforo_compiler_add_source(compiler, argv[1], strlen(argv[1]), rules, rules_len);
    for (i = 4; i < argc; i++) {
        if ((s = add_external(compiler, argv[i])) != SEMAFORO_OK) {
            return fail(argv[i], s);
        }
    }
    s = semaforo_compiler_compile(compiler, &ruleset, &diagnostics);
    semaforo_compiler_free(compiler);
    if (s != SEMAFORO_OK) {
        const char *text = NULL;
        size_t len = 0;
        if (diagnostics != NULL && semaforo_diagnostics_rendered(diagnostics, &text, &len) == SEMAFORO_OK) {
            fprintf(stderr, "%.*s", (int)len, text);
        }
        semaforo_diagnostics_free(diagnostics);
        return fail("compile", s);
    }
    semaforo_diagnostics_free(diagnostics);

    /* 2. One context (date, sampling key) and one evaluator per thread. */
    if ((s = semaforo_context_new(2000, 1, 1, &context)) != SEMAFORO_OK ||
        (s = semaforo_context_set_today_str(context, argv[3], strlen(argv[3]))) != SEMAFORO_OK) {
        return fail("today", s);
    }
    /* The secret key: the context keeps its own copy (wiped when it is
       freed), so the program's copy is wiped at once. */
    {
        uint8_t key[16];
        const char *key_id = getenv("SEMAFORO_KEY_ID");
        if (key_id == NULL) {
            key_id = "unlabelled";
        }
        if (!read_key(key)) {
            return 2;
        }
        s = semaforo_context_set_sampling_key(context, key, sizeof key, key_id, strlen(key_id));
        wipe(key, sizeof key);
        if (s != SEMAFORO_OK) {
            return fail("sampling key", s);
        }
    }
    semaforo_evaluator_new(ruleset, &evaluator);

    /* 3. Evaluate each declaration. */
    for (line = input; line != NULL && *line != '\0'; line = next) {
        const char *lane = NULL, *id = NULL;
        size_t lane_len = 0, id_len = 0, fired = 0, k;
        next = strchr(line, '\n');
        if (next != NULL) {
            *next++ = '\0';
        }
        lineno++;
        if (*line == '\0') {
            continue;
        }
        s = semaforo_evaluator_eval_json(evaluator, context, line, strlen(line));
        if (s != SEMAFORO_OK) {
            const char *msg = NULL;
            size_t msg_len = 0;
            semaforo_evaluator_last_error(evaluator, &msg, &msg_len);
            fprintf(stderr, "line %lu: %.*s\n", (unsigned long)lineno, (int)msg_len, msg);
            errors++;
            continue;
        }
        semaforo_evaluator_id(evaluator, &id, &id_len);
        semaforo_evaluator_lane(evaluator, &lane, &lane_len);
        semaforo_evaluator_fired_count(evaluator, &fired);
        printf("%.*s %.*s", (int)id_len, id, (int)lane_len, lane);
        for (k = 0; k < fired; k++) {
            semaforo_fired_rule rule;
            if (semaforo_evaluator_fired(evaluator, k, &rule) == SEMAFORO_OK) {
                printf(" %.*s", (int)rule.id.len, rule.id.ptr);
            }
        }
        printf("\n");
    }

    semaforo_evaluator_free(evaluator);
    semaforo_context_free(context);
    semaforo_ruleset_free(ruleset);
    free(rules);
    free(input);
    return errors == 0 ? 0 : 1;
}
