//! Unit tests of the parser: pest's call limit, and the differential
//! tests of the fast path against pest.

use super::*;

/// The only unit test that parses: pest's call limit is process-global,
/// and other tests in this binary would race with the tiny limit. It
/// also holds the differential tests of the fast path against pest,
/// which must run after the limit is restored.
#[test]
fn call_limit_is_e0007_and_fast_path_agrees_with_pest() {
    let src = "rule R \"t\" { when a + b + c + d + e then score 1 }";
    let errors = parse_with_call_limit(src, FileId(0), 20).unwrap_err();
    assert_eq!(errors[0].code, E_PARSER_LIMIT);
    assert!(
        errors[0].message.contains("call limit"),
        "{}",
        errors[0].message
    );
    assert!(parse_with_call_limit(src, FileId(0), PEST_CALL_LIMIT).is_ok());
    // The fast path recurses per bracket like pest: give it the stack
    // `parse` gives it.
    std::thread::Builder::new()
        .stack_size(PARSER_STACK_BYTES)
        .spawn(|| {
            differential::every_sem_file_and_its_mutations();
            differential::tricky_snippets();
        })
        .unwrap()
        .join()
        .unwrap();
}

mod differential {
    use super::*;

    /// Whether the fast path accepted `src`; panics if it disagrees with
    /// pest (a different tree, or accepting what pest rejects).
    pub(super) fn agree(src: &str) -> bool {
        let file = FileId(7);
        // The fast path runs without the pre-scan and collects comments
        // and blank lines itself; pest's side gets them from the
        // pre-scan and `fmt::blank_lines`. Pest runs only when the fast
        // path accepted: there is nothing to compare when it steps aside
        // (most mutations), and pest is most of this test's time.
        let Some(f) = fast::parse_file(&Arc::from(src), file) else {
            return false;
        };
        match parse_with_call_limit(src, file, PEST_CALL_LIMIT) {
            Ok(s) => {
                assert_eq!(f, s, "fast and pest trees differ on {src:?}");
                true
            }
            Err(e) => panic!("fast path accepted {src:?}, which pest rejects: {e:?}"),
        }
    }

    fn sem_files(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for e in entries.flatten() {
            let path = e.path();
            let name = e.file_name();
            let name = name.to_string_lossy();
            if path.is_dir() {
                // `fuzz/` holds copies of these files as seeds (and
                // corpora); they would only be compared a second time.
                if !name.starts_with('.') && name != "target" && name != "fuzz" {
                    sem_files(&path, out);
                }
            } else if name.ends_with(".sem") {
                out.push(path);
            }
        }
    }

    /// The largest file whose mutations are parsed too.
    const MUTATED_MAX_BYTES: usize = 64 * 1024;

    pub(super) fn every_sem_file_and_its_mutations() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let mut files = Vec::new();
        sem_files(&root, &mut files);
        files.sort();
        assert!(files.len() > 20, "found only {} .sem files", files.len());
        let (mut accepted, mut valid) = (0, 0);
        for path in &files {
            let Ok(src) = std::fs::read_to_string(path) else {
                continue;
            };
            let ok = agree(&src);
            if parse_with_call_limit(&src, FileId(7), PEST_CALL_LIMIT).is_ok() {
                valid += 1;
                assert!(ok, "fast path gave up on valid {}", path.display());
            }
            accepted += usize::from(ok);
            // Generated files (the 260 KB lane-limit test of the
            // checker) are compared whole only: pest takes a quarter
            // of a second on them, and their 80 mutations would add
            // many seconds and nothing the small files do not cover.
            if src.len() > MUTATED_MAX_BYTES {
                continue;
            }
            // Mutations at char boundaries spread over the file: cut the
            // rest, delete one char, double one char, insert a space.
            let bounds: Vec<usize> = src.char_indices().map(|(i, _)| i).collect();
            let step = (bounds.len() / 20).max(1);
            for &i in bounds.iter().step_by(step) {
                let next = src[i..].chars().next().map_or(i, |c| i + c.len_utf8());
                agree(&src[..i]);
                agree(&format!("{}{}", &src[..i], &src[next..]));
                agree(&format!("{}{}", &src[..next], &src[i..]));
                agree(&format!("{} {}", &src[..i], &src[i..]));
            }
        }
        assert!(valid > 20 && accepted == valid, "{accepted} of {valid}");
    }

    pub(super) fn tricky_snippets() {
        let valid = [
            "lanes green",
            "lanes green # c\n\n",
            "lanes green, amber , red # c\n",
            "\u{FEFF}lanes a",
            "schema d { key: text, key key: text? id: [item] key\n x: number }",
            "list l = [1, -2.5, 2026-01-01, \"a\\n\\u{E9}\", true, false,]",
            "list l = []\nlist m: date\ntable t: text\nthreshold red -5",
            "rule 2026-01 \"t\" { active 2026-01-01 to 2026-12-31 tags a, when_, b when a then score 1, lane red, note \"x\" }",
            "rule R \"t\" { active from 2026-01-01 }",
            // SPEC §3.9: score expressions, lane splits, shadow rules,
            // composite keys, multi-column tables.
            "rule R \"t\" { then score 99999999999999999999 }",
            "rule R \"t\" { then score lookup(p, key(a, b.c, \"x\")) * 2 - 1, lane red }",
            "rule R \"t\" monitor { then lane red 50%, yellow 49.9999%, note \"n\", score -2 }",
            "rule R \"t\" monitor{then lane red 5%,yellow 5% ,lane blue}",
            "rule R \"t\" { then lane note 5%, score 1 }",
            "rule R \"t\" { then lane red 5% # c\n , amber 10% }",
            "rule R \"t\" { when key(a, b) in l and lookup_prefix(t, key(x, y)).max > 1 then score 1 }",
            "table t: { min: number, max: number,\n n: number }\ntable u: {}\ntable v: { a: text b: date, }",
            "threshold red 60 for office \"GT01\"\nthreshold red -5 for for \"\"\nthreshold yellow 1 for x \"a\" # c",
            "test \"t\" { given {} expect monitored R expect fired S }",
            "rule R \"t\" { active to 2026-01-01 sample 2.5% }",
            "rule R \"t\" { when 2026-01-011 - 1 == x .y.z then score 1 }",
            "rule R \"t\" { when not not a not  in [b, c,] and x is  missing or y is\npresent then score 1 }",
            "rule R \"t\" { when a starts\twith \"x\" and b contains c and - -1 * 2 / 3 + 4 - 5 >= 6 then score 1 }",
            "rule R \"t\" { when count(x in xs: x.a > 1) + sum (y in ys : y) < len(z,) and lookup(t, k) != f() then score 1 }",
            "rule R \"t\" { when origin in [] and todayx == today and truex != true and 1.x == 1 then score 1 }",
            "rule R \"t\" { when ((a)) and [1, [2]] == [] # c\n then score 1 }",
            "test \"t\" { today 2026-01-01 given {\"a\": [1, -0.5e+3, true, null, {\"b\": \"\\u00e9\\n\"}], \"c\" : {}} expect lane red expect score -3 expect fired R-1 expect not fired R2 expect undetermined R.3 expect note \"n\" }",
        ];
        for src in valid {
            assert!(agree(src), "fast path gave up on {src:?}");
        }
        // Comments and blank lines, which the fast path collects itself.
        let layout = [
            "\n\nlanes a",
            "# c",
            "#",
            "  # c  \t\r\n\t\r\n \nlanes a #  x \r\n\r\n# y\n\n",
            "\u{FEFF}# c\n\nlanes a",
            "\u{FEFF}\n  \nlanes a",
            "lanes a,#c\n\n b # d",
            "schema d { key # k\n\n x: text,\n\n key #\n\n: text }",
            "rule R \"t\" {\n\n  when x is \n \n\t missing or y not\n\n in [\"a\" # c\n\n, 1 # d\n] and f(\"a\" # e\n\n == b) then score 1\n\n}\n",
            "rule R \"t\" { when a\n  \n  starts\r\n\r\nwith \"#\" then note \"# not a comment\" }",
            "test \"t\" { given {\n\n  \"a\" :\n \n [ 1 ,\n\n 2 ] , \"#\": \"#\"\n\n}\n\n expect score 1 } # end",
        ];
        for src in layout {
            assert!(agree(src), "fast path gave up on {src:?}");
        }
        // Bracket nesting: at most `MAX_NESTING` open brackets of any
        // kind (the rule's or test's brace included), as the pre-scan
        // counts them.
        let n = MAX_NESTING as usize;
        let parens = |k: usize| {
            format!(
                "rule R \"t\" {{ when {}a{} then score 1 }}",
                "(".repeat(k),
                ")".repeat(k)
            )
        };
        let lists = |k: usize| {
            format!(
                "rule R \"t\" {{ when a in {}{} }}",
                "[".repeat(k),
                "]".repeat(k)
            )
        };
        let calls = |k: usize| {
            format!(
                "rule R \"t\" {{ when {}a{} then score 1 }}",
                "f(".repeat(k),
                ")".repeat(k)
            )
        };
        let json = |k: usize| {
            format!(
                "test \"t\" {{ given {{\"a\": {}{}}} expect score 1 }}",
                "[".repeat(k),
                "]".repeat(k)
            )
        };
        assert!(agree(&parens(n - 1)) && !agree(&parens(n)));
        assert!(agree(&lists(n - 1)) && !agree(&lists(n)));
        assert!(agree(&calls(n - 1)) && !agree(&calls(n)));
        assert!(agree(&json(n - 2)) && !agree(&json(n - 1)));
        for k in [n - 1, n] {
            let prescan_ok = prescan(&parens(k), FileId(7)).is_ok();
            assert_eq!(prescan_ok, k < n, "pre-scan at {k}");
        }
        let invalid = [
            "lanes",
            "rule R \"t\" { when a < b < c then score 1 }",
            "rule R \"t\" { when a is missing is present then score 1 }",
            "rule R \"t\" { when count(x) then score 1 }",
            "rule R \"t\" { when not in x then score 1 }",
            "rule R \"t\" { when a not # c\n in x then score 1 }",
            "rule R \"t\" { when \"\\q\" then score 1 }",
            "rule R \"t\" { when x. y then score 1 }",
            "rule R \"t\" { sample 2.% }",
            "rule R \"t\" { then lane red 5%, blue }",
            "rule R \"t\" { then lane red 5 % }",
            "rule R \"t\" monitor monitor { then score 1 }",
            "table t: { min number }",
            "threshold red 60 for office GT01",
            "threshold red 60 for \"GT01\"",
            "test \"t\" { given {\"a\": 01} expect score 1 }",
            "test \"t\" { given {} }",
            "list l = [- 1]",
        ];
        for src in invalid {
            assert!(!agree(src), "fast path accepted {src:?}");
        }
        let deep = format!(
            "rule R \"t\" {{ when {}a then score 1 }}",
            "not ".repeat(MAX_EXPR_DEPTH as usize + 1)
        );
        assert!(!agree(&deep));
    }

    #[test]
    fn parse_shared_points_the_tree_into_the_callers_source() {
        let source: Arc<str> = Arc::from(
            "rule R-1 \"watch\" {\n  when importer in [\"IMP-7\", \"IMP-9\"] and value > 12.5\n  then score 5\n}\n",
        );
        let file = parse_shared(&source, FileId(0)).unwrap();
        // The rule id, the title, two identifiers, two entries and two
        // numbers (`12.5`, the score) hold the caller's buffer; nothing
        // else does.
        assert_eq!(Arc::strong_count(&source), 1 + 8);
        assert_eq!(file, parse(&source, FileId(0)).unwrap());
        drop(file);
        assert_eq!(Arc::strong_count(&source), 1);
        // Bad input is refused as by `parse`, and nothing is kept.
        let bad: Arc<str> = Arc::from("rule R \"t\" { when ) }");
        assert_eq!(parse_shared(&bad, FileId(0)).unwrap_err()[0].code, "E0001");
        assert_eq!(Arc::strong_count(&bad), 1);
        let huge: Arc<str> = Arc::from("#".repeat(MAX_SOURCE_BYTES + 1));
        assert_eq!(
            parse_shared(&huge, FileId(0)).unwrap_err()[0].code,
            E_TOO_LARGE
        );
        assert_eq!(Arc::strong_count(&huge), 1);
    }
}
