//! Recovery after syntax errors, over every `.sem` file of `tests/data`
//! and its mutations: the errors come in the order of the text, never
//! twice at one place, at most 50, and every label is inside the text.

use semaforo_syntax::{FileId, parse};

fn check(name: &str, src: &str) {
    let Err(diags) = parse(src, FileId(0)) else {
        return;
    };
    assert!(
        !diags.is_empty() && diags.len() <= 50,
        "{name}: {}",
        diags.len()
    );
    let len = u32::try_from(src.len()).unwrap();
    for pair in diags.windows(2) {
        assert!(
            pair[0].span.start < pair[1].span.start,
            "{name}: errors out of order or repeated: {:?}\n{src}",
            diags
                .iter()
                .map(|d| (d.span.start, &d.message))
                .collect::<Vec<_>>()
        );
    }
    for d in &diags {
        assert!(d.span.start <= d.span.end && d.span.end <= len, "{name}");
        for l in &d.labels {
            assert!(l.span.start <= l.span.end && l.span.end <= len, "{name}");
            assert!(src.is_char_boundary(l.span.start as usize), "{name}");
        }
    }
}

#[test]
fn recovered_errors_are_ordered_distinct_and_placed() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data");
    let mut paths: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "sem"))
        .collect();
    paths.sort();
    for path in &paths {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let src = std::fs::read_to_string(path).unwrap();
        check(&name, &src);
        // Cut the rest, delete one char, or double a bracket or quote.
        let bounds: Vec<usize> = src.char_indices().map(|(i, _)| i).collect();
        let step = (bounds.len() / 40).max(1);
        for &i in bounds.iter().step_by(step) {
            let next = src[i..].chars().next().map_or(i, |c| i + c.len_utf8());
            check(&name, &src[..i]);
            check(&name, &format!("{}{}", &src[..i], &src[next..]));
            check(&name, &format!("{}{}", &src[..next], &src[i..]));
        }
        for (i, c) in src.char_indices() {
            if "{}()[]".contains(c) {
                check(&name, &format!("{}{}", &src[..i], &src[i + 1..]));
            }
        }
    }
}

/// Two broken items far apart are both reported, the second in the same
/// words as when it is alone.
#[test]
fn a_later_error_reads_as_if_alone() {
    let second = "rule R9 \"t\" {\n  when (a == 1]\n  then score 1\n}\n";
    let alone = parse(second, FileId(0)).unwrap_err();
    let valid = "rule V \"t\" {\n  when a == 1\n  then score 1\n}\n".repeat(300);
    let src = format!("rule R1 \"t\" {{\n  when a ==\n}}\n{valid}{second}");
    let both = parse(&src, FileId(0)).unwrap_err();
    assert_eq!(both.len(), 2, "{both:?}");
    assert_eq!(both[1].message, alone[0].message);
    assert_eq!(both[1].help, alone[0].help);
    let offset = u32::try_from(src.len() - second.len()).unwrap();
    assert_eq!(both[1].span.start, alone[0].span.start + offset);
    assert_eq!(
        both[1]
            .labels
            .iter()
            .map(|l| l.span.start)
            .collect::<Vec<_>>(),
        alone[0]
            .labels
            .iter()
            .map(|l| l.span.start + offset)
            .collect::<Vec<_>>()
    );
}
