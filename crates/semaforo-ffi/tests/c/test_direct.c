/*
 * The direct path: the declarations of tests/data/direct.jsonl filled field
 * by field through field handles (numbers as decimal text and as int64
 * units with a scale), many times over in one reused buffer, must give the
 * outcome the Rust facade gives for their JSON, and the fixed expectations
 * below.
 */
#include "common.h"

enum {
    F_ID, F_REGIME, F_OFFICE, F_DECLARED_ON, F_IMPORTER, F_DECLARANT, F_AEO,
    F_ORIGIN, F_PROVENANCE, F_TRANSPORT_MODE, F_INCOTERM, F_FREIGHT,
    F_INSURANCE, F_EXCHANGE_RATE, F_ITEMS, I_HS, I_DESCRIPTION, I_ORIGIN,
    I_NET_KG, I_GROSS_KG, I_QUANTITY, I_VALUE, I_PREFERENCE, N_FIELDS
};

static const char *const paths[N_FIELDS] = {
    "id", "regime", "office", "declared_on", "importer", "declarant", "aeo",
    "origin", "provenance", "transport_mode", "incoterm", "freight",
    "insurance", "exchange_rate", "items", "items.hs", "items.description",
    "items.origin", "items.net_kg", "items.gross_kg", "items.quantity",
    "items.value", "items.preference"};

static semaforo_field *f[N_FIELDS];

#define TEXT(at, k, s) CHECK_OK(semaforo_declaration_set_text(d, at, f[k], LIT(s)))
#define NUM(at, k, s) CHECK_OK(semaforo_declaration_set_number(d, at, f[k], LIT(s)))
#define UNITS(at, k, u, sc) \
    CHECK_OK(semaforo_declaration_set_number_units(d, at, f[k], u, sc))

static void fill1(semaforo_declaration *d) {
    semaforo_element root = semaforo_element_root(), it;
    TEXT(root, F_ID, "DIRECT-1");
    TEXT(root, F_REGIME, "IM4");
    TEXT(root, F_OFFICE, "GT01");
    CHECK_OK(semaforo_declaration_set_date(d, root, f[F_DECLARED_ON], 2026, 11, 2));
    TEXT(root, F_IMPORTER, "GT-4821937-5");
    TEXT(root, F_DECLARANT, "GT-AGA-0001");
    CHECK_OK(semaforo_declaration_set_bool(d, root, f[F_AEO], false));
    TEXT(root, F_ORIGIN, "CN");
    TEXT(root, F_PROVENANCE, "CN");
    UNITS(root, F_TRANSPORT_MODE, 1, 0);
    TEXT(root, F_INCOTERM, "FOB");
    /* freight, insurance and exchange_rate stay missing. */
    CHECK_OK(semaforo_declaration_push(d, root, f[F_ITEMS], &it));
    TEXT(it, I_HS, "6403990000");
    TEXT(it, I_DESCRIPTION, "ZAPATOS DE CUERO PARA HOMBRE");
    TEXT(it, I_ORIGIN, "CN");
    NUM(it, I_NET_KG, "1000");
    UNITS(it, I_GROSS_KG, 110000, 2);
    UNITS(it, I_QUANTITY, 200, 0);
    UNITS(it, I_VALUE, 50025, 2);
    CHECK_OK(semaforo_declaration_push(d, root, f[F_ITEMS], &it));
    TEXT(it, I_HS, "6204620000");
    TEXT(it, I_DESCRIPTION, "PANTALONES REPLICA");
    TEXT(it, I_ORIGIN, "CN");
    NUM(it, I_NET_KG, "12.5");
    NUM(it, I_GROSS_KG, "1.2e1");
    NUM(it, I_VALUE, "80");
    TEXT(it, I_PREFERENCE, "CAFTA-DR");
}

static void fill2(semaforo_declaration *d) {
    semaforo_element root = semaforo_element_root(), it;
    TEXT(root, F_ID, "DIRECT-2");
    TEXT(root, F_REGIME, "T1");
    TEXT(root, F_OFFICE, "SV01");
    CHECK_OK(semaforo_declaration_set_date_str(d, root, f[F_DECLARED_ON],
                                               LIT("2026-11-18")));
    TEXT(root, F_IMPORTER, "SV-1111111-1");
    TEXT(root, F_DECLARANT, "SV-AGA-0002");
    CHECK_OK(semaforo_declaration_set_bool(d, root, f[F_AEO], true));
    TEXT(root, F_ORIGIN, "US");
    TEXT(root, F_PROVENANCE, "US");
    NUM(root, F_TRANSPORT_MODE, "3");
    TEXT(root, F_INCOTERM, "CIF");
    UNITS(root, F_FREIGHT, 12005, 1);
    UNITS(root, F_INSURANCE, 45125, 3);
    NUM(root, F_EXCHANGE_RATE, "7.75");
    CHECK_OK(semaforo_declaration_push(d, root, f[F_ITEMS], &it));
    TEXT(it, I_HS, "2208300000");
    TEXT(it, I_DESCRIPTION, "WHISKY EN BOTELLAS DE 750 ML");
    TEXT(it, I_ORIGIN, "US");
    UNITS(it, I_NET_KG, 5400, 0);
    NUM(it, I_GROSS_KG, "6000");
    UNITS(it, I_VALUE, 91000000000, 6);
}

static void fill3(semaforo_declaration *d) {
    semaforo_element root = semaforo_element_root();
    TEXT(root, F_ID, "DIRECT-3");
    TEXT(root, F_REGIME, "IM4");
    TEXT(root, F_OFFICE, "CR01");
    CHECK_OK(semaforo_declaration_set_date(d, root, f[F_DECLARED_ON], 2026, 9, 1));
    TEXT(root, F_IMPORTER, "CR-3101-000001");
    TEXT(root, F_DECLARANT, "CR-AGA-0003");
    CHECK_OK(semaforo_declaration_set_bool(d, root, f[F_AEO], true));
    TEXT(root, F_ORIGIN, "DE");
    TEXT(root, F_PROVENANCE, "DE");
    UNITS(root, F_TRANSPORT_MODE, 4, 0);
    TEXT(root, F_INCOTERM, "DAP");
    UNITS(root, F_FREIGHT, 0, 0);
    /* An empty list is present, not missing. */
    CHECK_OK(semaforo_declaration_start_list(d, root, f[F_ITEMS]));
}

static int fired(semaforo_evaluator *ev, const char *id) {
    size_t count = 0, i;
    CHECK_OK(semaforo_evaluator_fired_count(ev, &count));
    for (i = 0; i < count; i++) {
        semaforo_fired_rule r;
        CHECK_OK(semaforo_evaluator_fired(ev, i, &r));
        if (str_eq(r.id.ptr, r.id.len, id)) {
            return 1;
        }
    }
    return 0;
}

int main(int argc, char **argv) {
    semaforo_ruleset *rs;
    semaforo_context *ctx;
    semaforo_evaluator *ev = NULL;
    semaforo_declaration *d = NULL;
    char *expected;
    char *exp_lines[8];
    size_t n_exp, i, round;
    const char *p = NULL;
    size_t n = 0;
    void (*fills[3])(semaforo_declaration *) = {fill1, fill2, fill3};

    if (argc != 3) {
        fprintf(stderr, "usage: %s ROOT EXPECTED_DIR\n", argv[0]);
        return 2;
    }
    rs = compile_regional(argv[1]);
    ctx = test_context();
    CHECK_OK(semaforo_evaluator_new(rs, &ev));
    CHECK_OK(semaforo_declaration_new(rs, &d));
    for (i = 0; i < N_FIELDS; i++) {
        CHECK_OK(semaforo_ruleset_field(rs, paths[i], strlen(paths[i]), &f[i]));
    }
    {
        uint32_t t = 0;
        CHECK_OK(semaforo_field_type(f[F_ITEMS], &t));
        CHECK(t == SEMAFORO_TYPE_LIST);
        CHECK_OK(semaforo_field_type(f[I_NET_KG], &t));
        CHECK(t == SEMAFORO_TYPE_NUMBER);
        CHECK_OK(semaforo_field_type(f[F_DECLARED_ON], &t));
        CHECK(t == SEMAFORO_TYPE_DATE);
    }

    expected = read_file(argv[2], "direct.expected.jsonl", NULL);
    n_exp = split_lines(expected, exp_lines, 8);
    CHECK(n_exp == 3);

    /* The same buffer, cleared and refilled, 200 times over. */
    for (round = 0; round < 200; round++) {
        for (i = 0; i < 3 && i < n_exp; i++) {
            CHECK_OK(semaforo_declaration_clear(d));
            fills[i](d);
            if (round == 0) {
                CHECK_OK(semaforo_declaration_validate(d));
            }
            CHECK_OK(semaforo_evaluator_eval(ev, ctx, d));
            CHECK_OK(semaforo_evaluator_outcome_json(ev, &p, &n));
            if (!str_eq(p, n, exp_lines[i])) {
                fprintf(stderr, "direct %lu differs:\n  C:    %.*s\n  Rust: %s\n",
                        (unsigned long)i, (int)n, p, exp_lines[i]);
                failures++;
                break;
            }
        }
        if (failures > 0) {
            break;
        }
    }

    /* Fixed expectations, independent of the Rust side. */
    CHECK_OK(semaforo_declaration_clear(d));
    fill1(d);
    CHECK_OK(semaforo_declaration_key(d, &p, &n));
    CHECK(str_eq(p, n, "DIRECT-1"));
    {
        /* A context without a key: the regional ruleset draws (random
           controls), so it refuses to evaluate rather than draw with a key
           nobody chose, and there is no outcome to read. */
        semaforo_context *bare = NULL;
        CHECK_OK(semaforo_context_new(2026, 11, 20, &bare));
        CHECK_STATUS(semaforo_evaluator_eval(ev, bare, d), SEMAFORO_NO_SAMPLING_KEY);
        CHECK_STATUS(semaforo_evaluator_lane(ev, &p, &n), SEMAFORO_NO_OUTCOME);
        semaforo_context_free(bare);
    }
    CHECK_OK(semaforo_evaluator_eval(ev, ctx, d));
    CHECK_OK(semaforo_evaluator_lane(ev, &p, &n));
    CHECK(str_eq(p, n, "red"));
    CHECK(fired(ev, "captac-dr/WATCH-001"));
    CHECK(fired(ev, "captac-dr/FRT-001"));
    CHECK(!fired(ev, "captac-dr/AEO-001"));
    {
        size_t count = 0, k;
        int found = 0;
        CHECK_OK(semaforo_evaluator_undetermined_count(ev, &count));
        for (k = 0; k < count; k++) {
            CHECK_OK(semaforo_evaluator_undetermined(ev, k, &p, &n));
            found |= str_eq(p, n, "captac-dr/FRT-002");
        }
        CHECK(found);
    }
    CHECK_OK(semaforo_declaration_clear(d));
    fill3(d);
    CHECK_OK(semaforo_evaluator_eval(ev, ctx, d));
    CHECK(fired(ev, "captac-dr/AEO-001"));
    CHECK(fired(ev, "captac-dr/DATE-001"));
    CHECK_OK(semaforo_evaluator_lane(ev, &p, &n));
    CHECK(str_eq(p, n, "yellow"));

    free(expected);
    for (i = 0; i < N_FIELDS; i++) {
        semaforo_field_free(f[i]);
    }
    semaforo_declaration_free(d);
    semaforo_evaluator_free(ev);
    semaforo_context_free(ctx);
    semaforo_ruleset_free(rs);
    return finish("test_direct");
}
