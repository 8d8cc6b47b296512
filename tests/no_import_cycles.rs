//! No import cycle among the files of `src/`: a file's `use crate::…`,
//! `use super::…`, `use self::…` and `use child::…` lines are its edges, to
//! the file that defines what it names (a name a `mod.rs` re-exports with
//! `pub use` leads on to the file it comes from). A cycle means two files
//! can only be read together; the test names every file of each cycle.
//! Unit-test modules (`#[cfg(test)] mod tests`) are left out: nothing
//! imports them.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Every `.rs` file under `dir`, keyed by its path relative to `src/`.
fn read_tree(dir: &Path, rel: &str, out: &mut BTreeMap<String, String>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .expect("read src")
        .map(|e| e.expect("entry").path())
        .collect();
    entries.sort();
    for path in entries {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let rel_name = if rel.is_empty() {
            name.clone()
        } else {
            format!("{rel}/{name}")
        };
        if path.is_dir() {
            read_tree(&path, &rel_name, out);
        } else if name.ends_with(".rs") {
            out.insert(rel_name, std::fs::read_to_string(&path).expect("read file"));
        }
    }
}

/// The code of a file without comments and without its unit-test module.
fn code_of(text: &str) -> String {
    let mut code = String::new();
    let mut lines = text.lines().peekable();
    while let Some(line) = lines.next() {
        let line = line.split("//").next().unwrap_or("");
        if line.trim() == "#[cfg(test)]"
            && lines
                .peek()
                .is_some_and(|next| next.trim_start().starts_with("mod tests"))
        {
            break;
        }
        code.push_str(line);
        code.push('\n');
    }
    code
}

/// The module path of a file: `core/publish/mod.rs` -> `[core, publish]`.
fn module_of(file: &str) -> Vec<String> {
    let mut segs: Vec<String> = file
        .trim_end_matches(".rs")
        .split('/')
        .map(str::to_owned)
        .collect();
    if matches!(segs.last().map(String::as_str), Some("mod" | "lib")) {
        segs.pop();
    }
    segs
}

/// The `use` statements of `code`: (is it `pub use`, the use tree).
fn use_statements(code: &str) -> Vec<(bool, String)> {
    let mut out = Vec::new();
    for (i, _) in code.match_indices("use ") {
        let before = &code[..i];
        let start_of_statement = before
            .trim_end_matches([' ', '\t'])
            .chars()
            .last()
            .is_none_or(|c| matches!(c, '\n' | ';' | '{' | '}' | ')'));
        if !start_of_statement {
            continue;
        }
        let line_start = before.rfind('\n').map_or(0, |n| n + 1);
        let is_pub = before[line_start..].trim_start().starts_with("pub");
        let rest = &code[i + 4..];
        let end = rest.find(';').unwrap_or(rest.len());
        out.push((
            is_pub,
            rest[..end].split_whitespace().collect::<Vec<_>>().join(" "),
        ));
    }
    out
}

/// `a::{b, c::{d, e as f}}` -> `a::b`, `a::c::d`, `a::c::e as f`.
fn expand(tree: &str) -> Vec<String> {
    let tree = tree.trim();
    let Some(open) = tree.find('{') else {
        return vec![tree.to_owned()];
    };
    let close = tree.rfind('}').unwrap_or(tree.len());
    let (prefix, inner) = (&tree[..open], &tree[open + 1..close]);
    let mut parts = Vec::new();
    let (mut depth, mut current) = (0, String::new());
    for c in inner.chars() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(std::mem::take(&mut current));
                continue;
            }
            _ => {}
        }
        current.push(c);
    }
    parts.push(current);
    parts
        .iter()
        .filter(|p| !p.trim().is_empty())
        .flat_map(|p| expand(p))
        .map(|p| format!("{prefix}{p}"))
        .collect()
}

struct Tree {
    files: BTreeMap<String, String>,
    /// Per module file: name it re-exports -> the path it names.
    reexports: BTreeMap<String, BTreeMap<String, Vec<String>>>,
}

impl Tree {
    /// The file of a module path, if there is one.
    fn file(&self, segs: &[String]) -> Option<String> {
        let joined = segs.join("/");
        let candidates = if segs.is_empty() {
            vec!["lib.rs".to_owned()]
        } else {
            vec![format!("{joined}.rs"), format!("{joined}/mod.rs")]
        };
        candidates.into_iter().find(|c| self.files.contains_key(c))
    }

    /// The file that defines what the absolute path `segs` names.
    fn resolve(&self, segs: &[String], depth: u32) -> Option<String> {
        let (n, file) = (0..=segs.len())
            .rev()
            .find_map(|n| self.file(&segs[..n]).map(|f| (n, f)))?;
        if depth < 8 {
            if let Some(target) = segs
                .get(n)
                .and_then(|name| self.reexports.get(&file)?.get(name))
            {
                return self.resolve(target, depth + 1);
            }
        }
        Some(file)
    }
}

/// A `use` path made absolute (`crate::` dropped), or `None` for other crates.
fn absolute(path: &str, file: &str, children: &BTreeSet<String>) -> Option<(Vec<String>, String)> {
    let (path, alias) = match path.split_once(" as ") {
        Some((p, a)) => (p, Some(a.trim())),
        None => (path, None),
    };
    let mut segs: Vec<String> = path
        .split("::")
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
        .collect();
    let base = module_of(file);
    let mut out = match segs.first()?.as_str() {
        "crate" => Vec::new(),
        "self" => base.clone(),
        "super" => {
            let mut b = base.clone();
            while segs.first().is_some_and(|s| s == "super") {
                b.pop();
                segs.remove(0);
            }
            segs.insert(0, "self".into());
            b
        }
        first if children.contains(first) => {
            segs.insert(0, "self".into());
            base.clone()
        }
        _ => return None,
    };
    out.extend(segs.into_iter().skip(1).filter(|s| s != "*" && s != "self"));
    let name = alias
        .map(str::to_owned)
        .or_else(|| out.last().cloned())
        .unwrap_or_default();
    Some((out, name))
}

fn children_of(code: &str) -> BTreeSet<String> {
    code.lines()
        .filter_map(|l| {
            let l = l.trim();
            let l = l.strip_prefix("pub ").unwrap_or(l);
            let l = l.strip_prefix("pub(crate) ").unwrap_or(l);
            l.strip_prefix("mod ")?.strip_suffix(';').map(str::to_owned)
        })
        .collect()
}

/// Every file's edges to other files.
fn edges() -> BTreeMap<String, BTreeSet<String>> {
    let mut files = BTreeMap::new();
    read_tree(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
        "",
        &mut files,
    );
    let code: BTreeMap<String, String> =
        files.iter().map(|(f, t)| (f.clone(), code_of(t))).collect();
    let mut tree = Tree {
        files,
        reexports: BTreeMap::new(),
    };
    let mut uses = BTreeMap::new();
    for (file, code) in &code {
        let children = children_of(code);
        let mut paths = Vec::new();
        for (is_pub, statement) in use_statements(code) {
            for path in expand(&statement) {
                if let Some((abs, name)) = absolute(&path, file, &children) {
                    if is_pub {
                        tree.reexports
                            .entry(file.clone())
                            .or_default()
                            .insert(name, abs.clone());
                    }
                    paths.push(abs);
                }
            }
        }
        uses.insert(file.clone(), paths);
    }
    uses.into_iter()
        .map(|(file, paths)| {
            let targets = paths
                .iter()
                .filter_map(|p| tree.resolve(p, 0))
                .filter(|t| *t != file)
                .collect();
            (file, targets)
        })
        .collect()
}

/// The strongly connected components with more than one file (Tarjan).
fn cycles(graph: &BTreeMap<String, BTreeSet<String>>) -> Vec<Vec<String>> {
    struct State<'g> {
        graph: &'g BTreeMap<String, BTreeSet<String>>,
        index: BTreeMap<&'g str, usize>,
        low: BTreeMap<&'g str, usize>,
        stack: Vec<&'g str>,
        found: Vec<Vec<String>>,
    }
    fn visit<'g>(s: &mut State<'g>, v: &'g str) {
        let i = s.index.len();
        s.index.insert(v, i);
        s.low.insert(v, i);
        s.stack.push(v);
        for w in s.graph.get(v).into_iter().flatten() {
            let w = w.as_str();
            if !s.index.contains_key(w) {
                visit(s, w);
                let lw = s.low[w];
                s.low.entry(v).and_modify(|l| *l = (*l).min(lw));
            } else if s.stack.contains(&w) {
                let iw = s.index[w];
                s.low.entry(v).and_modify(|l| *l = (*l).min(iw));
            }
        }
        if s.low[v] == s.index[v] {
            let mut component = Vec::new();
            while let Some(w) = s.stack.pop() {
                component.push(w.to_owned());
                if w == v {
                    break;
                }
            }
            if component.len() > 1 {
                component.sort();
                s.found.push(component);
            }
        }
    }
    let mut s = State {
        graph,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        found: Vec::new(),
    };
    for v in graph.keys() {
        if !s.index.contains_key(v.as_str()) {
            visit(&mut s, v);
        }
    }
    s.found
}

#[test]
fn no_file_in_src_imports_itself_through_others() {
    let graph = edges();
    assert!(graph.len() > 50, "read {} files", graph.len());
    let found = cycles(&graph);
    assert!(
        found.is_empty(),
        "import cycles among src/ files (each line: the files of one cycle):\n{}",
        found
            .iter()
            .map(|c| c.join(" <-> "))
            .collect::<Vec<_>>()
            .join("\n")
    );
}

#[test]
fn the_checker_sees_a_cycle_and_follows_reexports() {
    // The checker itself must be able to fail: a two-file cycle through a
    // re-export is found, and a re-export alone is no cycle.
    let graph: BTreeMap<String, BTreeSet<String>> = [
        ("a.rs", vec!["b.rs"]),
        ("b.rs", vec!["a.rs"]),
        ("c.rs", vec!["a.rs"]),
    ]
    .into_iter()
    .map(|(f, t)| (f.to_owned(), t.into_iter().map(str::to_owned).collect()))
    .collect();
    assert_eq!(
        cycles(&graph),
        vec![vec!["a.rs".to_owned(), "b.rs".to_owned()]]
    );
    assert_eq!(
        expand("crate::core::{error::{Error, ErrorKind}, http::Response as R}"),
        vec![
            "crate::core::error::Error",
            "crate::core::error::ErrorKind",
            "crate::core::http::Response as R"
        ]
    );
    let mut files = BTreeMap::new();
    for f in ["core/mod.rs", "core/publish/mod.rs", "core/publish/job.rs"] {
        files.insert(f.to_owned(), String::new());
    }
    let mut reexports = BTreeMap::new();
    reexports.insert(
        "core/publish/mod.rs".to_owned(),
        [(
            "Phase".to_owned(),
            vec![
                "core".into(),
                "publish".into(),
                "job".into(),
                "Phase".into(),
            ],
        )]
        .into_iter()
        .collect(),
    );
    let tree = Tree { files, reexports };
    let path: Vec<String> = ["core", "publish", "Phase"].map(str::to_owned).to_vec();
    assert_eq!(
        tree.resolve(&path, 0).as_deref(),
        Some("core/publish/job.rs")
    );
}
