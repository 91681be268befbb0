//! The layering of `src/` (stated in `src/lib.rs`) as a test: every `crate::` path a source file
//! names is an import, and no import runs from a lower layer to a higher one or between two
//! layers of the same height, and no files of different areas import each other in a circle.
//! Comments are skipped; the paths are read as text, so a new module needs no registration here.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The height of each top-level module of `src/`: a file may use its own module and those of a
/// strictly lower height.
const LAYERS: &[(&str, u8)] = &[
    ("domain", 0),
    ("secrets", 1),
    ("i18n", 1),
    ("telemetry", 2),
    ("metrics", 2),
    ("db", 3),
    ("anaf", 4),
    ("archive", 4),
    ("config", 5),
    ("services", 6),
    ("jobs", 7),
    ("http", 7),
    ("startup", 8),
    ("cli", 9),
    ("main", 10),
    ("lib", 10),
];

/// A module path's files, `src/a/b.rs` → ["a", "b"], `src/a/mod.rs` → ["a"].
fn module_of(src: &Path, file: &Path) -> Vec<String> {
    let relative = file.strip_prefix(src).expect("under src");
    let mut segments: Vec<String> = relative
        .with_extension("")
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    if segments.last().is_some_and(|s| s == "mod") {
        segments.pop();
    }
    segments
}

/// Where a file belongs for the circle rule: `http::web::<area>` for pages, else the first two
/// segments (`services::tokens`, `db::models`, `jobs::refresh`).
fn area_of(module: &[String]) -> String {
    let depth = if module.len() >= 3 && module[0] == "http" && module[1] == "web" {
        3
    } else {
        2
    };
    module[..module.len().min(depth)].join("::")
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("read src") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// Every `crate::…` path in the code (not in comments), with `use crate::a::{b, c::d}` groups
/// expanded.
fn crate_paths(source: &str) -> Vec<Vec<String>> {
    let code: String = source
        .lines()
        .filter(|line| !line.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n");
    let mut paths = Vec::new();
    let mut rest = code.as_str();
    while let Some(at) = rest.find("crate::") {
        let preceded = rest[..at]
            .chars()
            .next_back()
            .is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '$');
        rest = &rest[at + "crate::".len()..];
        if preceded {
            continue;
        }
        expand(rest, Vec::new(), &mut paths);
    }
    paths
}

/// Reads one path (or a brace group of them) at the start of `text`, after `prefix`.
fn expand(text: &str, prefix: Vec<String>, out: &mut Vec<Vec<String>>) {
    let mut path = prefix;
    let mut rest = text;
    loop {
        let end = rest
            .find(|c: char| !(c.is_alphanumeric() || c == '_'))
            .unwrap_or(rest.len());
        if end > 0 {
            path.push(rest[..end].to_owned());
        }
        rest = &rest[end..];
        if let Some(after) = rest.strip_prefix("::") {
            if let Some(group) = after.strip_prefix('{') {
                let mut depth = 1;
                let mut item_start = 0;
                for (i, c) in group.char_indices() {
                    match c {
                        '{' => depth += 1,
                        '}' => depth -= 1,
                        ',' if depth == 1 => {
                            expand(group[item_start..i].trim(), path.clone(), out);
                            item_start = i + 1;
                        }
                        _ => {}
                    }
                    if depth == 0 {
                        expand(group[item_start..i].trim(), path.clone(), out);
                        return;
                    }
                }
                return;
            }
            rest = after;
            continue;
        }
        break;
    }
    if !path.is_empty() {
        out.push(path);
    }
}

fn height(module: &str) -> u8 {
    LAYERS
        .iter()
        .find(|(name, _)| *name == module)
        .map(|(_, h)| *h)
        .unwrap_or_else(|| panic!("src/{module} has no layer: add it to LAYERS in this test"))
}

#[test]
fn no_import_runs_upward_or_closes_a_circle_between_areas() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let modules: BTreeMap<Vec<String>, PathBuf> = files
        .iter()
        .map(|f| (module_of(&src, f), f.clone()))
        .collect();

    let mut upward = BTreeSet::new();
    let mut edges: BTreeMap<Vec<String>, BTreeSet<Vec<String>>> = BTreeMap::new();
    for (module, file) in &modules {
        let source = std::fs::read_to_string(file).expect("read source");
        for path in crate_paths(&source) {
            // The file this path lands in: the longest prefix that is a module.
            let Some(target) = (1..=path.len())
                .rev()
                .map(|n| path[..n].to_vec())
                .find(|prefix| modules.contains_key(prefix))
            else {
                continue;
            };
            if target == *module {
                continue;
            }
            let (from, to) = (&module[0], &target[0]);
            if from != to && height(to) >= height(from) {
                upward.insert(format!(
                    "{} uses crate::{}",
                    file.strip_prefix(&src).unwrap_or(file).display(),
                    path.join("::")
                ));
            }
            edges.entry(module.clone()).or_default().insert(target);
        }
    }
    assert!(
        upward.is_empty(),
        "imports that do not run down the layers of src/lib.rs:\n{}",
        upward.into_iter().collect::<Vec<_>>().join("\n")
    );

    let circles: Vec<String> = strongly_connected(&edges)
        .into_iter()
        .filter(|files| {
            files
                .iter()
                .map(|m| area_of(m))
                .collect::<BTreeSet<_>>()
                .len()
                > 1
        })
        .map(|files| {
            files
                .iter()
                .map(|m| m.join("::"))
                .collect::<Vec<_>>()
                .join(" ↔ ")
        })
        .collect();
    assert!(
        circles.is_empty(),
        "files of different areas that import each other in a circle:\n{}",
        circles.join("\n")
    );
}

/// The groups of more than one module that reach each other (Tarjan's algorithm).
fn strongly_connected(
    edges: &BTreeMap<Vec<String>, BTreeSet<Vec<String>>>,
) -> Vec<Vec<Vec<String>>> {
    struct Walk<'a> {
        edges: &'a BTreeMap<Vec<String>, BTreeSet<Vec<String>>>,
        index: BTreeMap<&'a Vec<String>, usize>,
        low: BTreeMap<&'a Vec<String>, usize>,
        stack: Vec<&'a Vec<String>>,
        on_stack: BTreeSet<&'a Vec<String>>,
        groups: Vec<Vec<Vec<String>>>,
    }
    impl<'a> Walk<'a> {
        fn visit(&mut self, node: &'a Vec<String>) {
            let n = self.index.len();
            self.index.insert(node, n);
            self.low.insert(node, n);
            self.stack.push(node);
            self.on_stack.insert(node);
            for next in self.edges.get(node).into_iter().flatten() {
                if !self.index.contains_key(next) {
                    self.visit(next);
                    let low = self.low[node].min(self.low[next]);
                    self.low.insert(node, low);
                } else if self.on_stack.contains(next) {
                    let low = self.low[node].min(self.index[next]);
                    self.low.insert(node, low);
                }
            }
            if self.low[node] == self.index[node] {
                let mut group = Vec::new();
                while let Some(member) = self.stack.pop() {
                    self.on_stack.remove(member);
                    group.push(member.clone());
                    if member == node {
                        break;
                    }
                }
                if group.len() > 1 {
                    self.groups.push(group);
                }
            }
        }
    }
    let mut walk = Walk {
        edges,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        groups: Vec::new(),
    };
    for node in edges.keys() {
        if !walk.index.contains_key(node) {
            walk.visit(node);
        }
    }
    walk.groups
}

#[test]
fn the_reader_of_paths_expands_groups_and_skips_comments() {
    let source = "// crate::ignored::path\nuse crate::a::{b, c::{d, e}};\nlet x = crate::f::g(1);";
    let paths: Vec<String> = crate_paths(source).iter().map(|p| p.join("::")).collect();
    assert_eq!(paths, ["a::b", "a::c::d", "a::c::e", "f::g"]);
}

/// A file past 800 lines holds more than one concern: split it by concern, as `services/tokens/`.
#[test]
fn no_source_file_is_over_800_lines() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let long: Vec<String> = files
        .iter()
        .filter_map(|file| {
            let lines = std::fs::read_to_string(file).ok()?.lines().count();
            (lines > 800).then(|| format!("{} has {lines} lines", file.display()))
        })
        .collect();
    assert!(long.is_empty(), "{}", long.join("\n"));
}
