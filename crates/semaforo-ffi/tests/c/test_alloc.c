/*
 * The direct path performs no heap allocation per declaration once warm:
 * this program fills, validates, evaluates and reads 200 declarations in
 * reused buffers and counts every call to the C allocator meanwhile.
 *
 * How it counts: the program defines malloc, calloc, realloc, free,
 * posix_memalign, aligned_alloc, memalign, valloc and pvalloc itself. The
 * definitions in the executable take precedence over glibc's for every
 * caller, libsemaforo included (shared: ELF symbol interposition; static:
 * the linker resolves the archive's references to them), and the Rust
 * standard library's System allocator, which libsemaforo uses, calls
 * these functions. Each wrapper counts the call and forwards to glibc's
 * own entry points (__libc_malloc and the like), which exist for exactly
 * this purpose. This needs glibc, and it must not run under valgrind,
 * which replaces the allocator itself (run-c-tests.sh skips it there).
 *
 * The test first checks that the wrappers do see the library's
 * allocations (compiling a ruleset allocates), so a zero count in the
 * measured window cannot come from wrappers that are never called.
 */
#include "common.h"

#include <errno.h>

extern void *__libc_malloc(size_t size);
extern void *__libc_calloc(size_t n, size_t size);
extern void *__libc_realloc(void *p, size_t size);
extern void __libc_free(void *p);
extern void *__libc_memalign(size_t align, size_t size);
extern void *__libc_valloc(size_t size);
extern void *__libc_pvalloc(size_t size);

/* The test is single-threaded: plain counters suffice. */
static size_t allocations = 0;
static size_t releases = 0;

void *malloc(size_t size) {
    allocations++;
    return __libc_malloc(size);
}

void *calloc(size_t n, size_t size) {
    allocations++;
    return __libc_calloc(n, size);
}

void *realloc(void *p, size_t size) {
    allocations++;
    return __libc_realloc(p, size);
}

void free(void *p) {
    if (p != NULL) {
        releases++;
    }
    __libc_free(p);
}

void *memalign(size_t align, size_t size);
void *memalign(size_t align, size_t size) {
    allocations++;
    return __libc_memalign(align, size);
}

void *aligned_alloc(size_t align, size_t size);
void *aligned_alloc(size_t align, size_t size) {
    allocations++;
    return __libc_memalign(align, size);
}

int posix_memalign(void **out, size_t align, size_t size);
int posix_memalign(void **out, size_t align, size_t size) {
    void *p;
    allocations++;
    if (align < sizeof(void *) || (align & (align - 1)) != 0) {
        return EINVAL;
    }
    p = __libc_memalign(align, size);
    if (p == NULL) {
        return ENOMEM;
    }
    *out = p;
    return 0;
}

void *valloc(size_t size);
void *valloc(size_t size) {
    allocations++;
    return __libc_valloc(size);
}

void *pvalloc(size_t size);
void *pvalloc(size_t size) {
    allocations++;
    return __libc_pvalloc(size);
}

static const char rules[] =
    "ruleset \"alloc\" version \"1\"\n"
    "schema declaration {\n"
    "  key id: text\n"
    "  importer: text\n"
    "  aeo: bool\n"
    "  declared_on: date\n"
    "  items: [item]\n"
    "}\n"
    "record item {\n"
    "  hs: text\n"
    "  net_kg: number\n"
    "  value: number\n"
    "}\n"
    "list watched = [\"IMP-7\"]\n"
    "rule W \"Watched importer\" { when importer in watched and not aeo then "
    "lane red, note \"inspect\" }\n"
    "rule V \"Cheap footwear\" {\n"
    "  when any(it in items: it.hs starts with \"6403\" and it.value / it.net_kg < 2)\n"
    "  then score 40\n"
    "}\n"
    "rule S \"Sample\" { sample 50% then score 1 }\n";

enum { F_ID, F_IMPORTER, F_AEO, F_DECLARED, F_ITEMS, I_HS, I_NET, I_VALUE, N_FIELDS };

static const char *const paths[N_FIELDS] = {
    "id", "importer", "aeo", "declared_on", "items", "items.hs", "items.net_kg",
    "items.value"};

static const char *const ids[8] = {"D-000", "D-001", "D-002", "D-003",
                                   "D-004", "D-005", "D-006", "D-007"};

static semaforo_field *f[N_FIELDS];
static size_t reds = 0;

/* Fills, evaluates and reads declaration number i (1 to 5 items). */
static void run(semaforo_evaluator *ev, semaforo_context *ctx, semaforo_declaration *d,
                size_t i) {
    semaforo_element root = semaforo_element_root(), it;
    const char *id = ids[i % 8];
    const char *p = NULL;
    size_t n = 0, count = 0, j, k;
    int64_t score = 0;
    uint32_t lane = 0;

    CHECK_OK(semaforo_declaration_clear(d));
    CHECK_OK(semaforo_declaration_set_text(d, root, f[F_ID], id, strlen(id)));
    if (i % 2 == 0) {
        CHECK_OK(semaforo_declaration_set_text(d, root, f[F_IMPORTER], LIT("IMP-7")));
    } else {
        CHECK_OK(semaforo_declaration_set_text(d, root, f[F_IMPORTER], LIT("IMP-8")));
    }
    CHECK_OK(semaforo_declaration_set_bool(d, root, f[F_AEO], i % 3 == 0));
    CHECK_OK(semaforo_declaration_set_date(d, root, f[F_DECLARED], 2026, 5,
                                           (uint32_t)(1 + i % 28)));
    for (k = 0; k < 1 + i % 5; k++) {
        CHECK_OK(semaforo_declaration_push(d, root, f[F_ITEMS], &it));
        CHECK_OK(semaforo_declaration_set_text(d, it, f[I_HS], LIT("6403990000")));
        CHECK_OK(semaforo_declaration_set_number(d, it, f[I_NET], LIT("100.5")));
        CHECK_OK(semaforo_declaration_set_number_units(d, it, f[I_VALUE],
                                                       (int64_t)(15000 + k), 2));
    }
    CHECK_OK(semaforo_evaluator_eval(ev, ctx, d));
    CHECK_OK(semaforo_evaluator_id(ev, &p, &n));
    CHECK(str_eq(p, n, id));
    CHECK_OK(semaforo_evaluator_lane_index(ev, &lane));
    CHECK_OK(semaforo_evaluator_lane(ev, &p, &n));
    if (str_eq(p, n, "red")) {
        reds++;
    }
    CHECK_OK(semaforo_evaluator_fired_count(ev, &count));
    for (j = 0; j < count; j++) {
        semaforo_fired_rule r;
        CHECK_OK(semaforo_evaluator_fired(ev, j, &r));
    }
    CHECK_OK(semaforo_evaluator_note_count(ev, &count));
    for (j = 0; j < count; j++) {
        CHECK_OK(semaforo_evaluator_note(ev, j, &p, &n));
    }
    CHECK_OK(semaforo_evaluator_score(ev, &score));
    CHECK_OK(semaforo_evaluator_outcome_json(ev, &p, &n));
    CHECK(n > 0);
}

int main(int argc, char **argv) {
    semaforo_compiler *c = NULL;
    semaforo_ruleset *rs = NULL;
    semaforo_context *ctx = NULL;
    semaforo_declaration *d = NULL;
    semaforo_evaluator *ev = NULL;
    uint8_t key[16];
    size_t i, before, allocated, released;

    (void)argc;
    (void)argv;
    memset(key, 7, sizeof key);

    before = allocations;
    CHECK_OK(semaforo_compiler_new(&c));
    CHECK_OK(semaforo_compiler_add_source(c, LIT("alloc.sem"), rules, sizeof rules - 1));
    CHECK_OK(semaforo_compiler_compile(c, &rs, NULL));
    semaforo_compiler_free(c);
    /* The wrappers must see the library's allocations, or the test proves
       nothing. */
    CHECK(allocations > before);
    if (rs == NULL) {
        return finish("test_alloc");
    }
    for (i = 0; i < N_FIELDS; i++) {
        CHECK_OK(semaforo_ruleset_field(rs, paths[i], strlen(paths[i]), &f[i]));
    }
    CHECK_OK(semaforo_context_new(2026, 6, 1, &ctx));
    CHECK_OK(semaforo_context_set_sampling_key(ctx, key, sizeof key, LIT("key-1")));
    CHECK_OK(semaforo_declaration_new(rs, &d));
    CHECK_OK(semaforo_evaluator_new(rs, &ev));

    /* Warm-up: the largest declaration (5 items) and every id. */
    for (i = 0; i < 40; i++) {
        run(ev, ctx, d, i);
    }
    before = allocations;
    released = releases;
    for (i = 0; i < 200; i++) {
        run(ev, ctx, d, i);
    }
    allocated = allocations - before;
    released = releases - released;
    if (allocated != 0 || released != 0) {
        fprintf(stderr,
                "the direct path allocated %lu and freed %lu times in 200 declarations\n",
                (unsigned long)allocated, (unsigned long)released);
        failures++;
    }
    CHECK(reds > 0);

    for (i = 0; i < N_FIELDS; i++) {
        semaforo_field_free(f[i]);
    }
    semaforo_evaluator_free(ev);
    semaforo_declaration_free(d);
    semaforo_context_free(ctx);
    semaforo_ruleset_free(rs);
    return finish("test_alloc");
}
