//! Two estimates side by side: per resource and in total, floor and ceiling,
//! and what changed (instance type, capacity, schedule, a new endpoint). What
//! a reviewer of a template change wants next to the template diff, and what
//! the stage diff shows between two stages.

use std::fmt::Write as _;

use crate::{Estimate, Line, usd};

/// How one priced item differs between the two estimates.
#[derive(Clone, Debug, PartialEq)]
pub enum Change {
    /// Only in the new estimate (a new endpoint, bucket, step…).
    Added(Line),
    /// Only in the old estimate.
    Removed(Line),
    /// In both, with another amount or assumption.
    Changed {
        /// The old line.
        old: Line,
        /// The new line.
        new: Line,
    },
}

impl Change {
    /// The line as it is now (or was, when removed).
    pub fn line(&self) -> &Line {
        match self {
            Change::Added(l) | Change::Removed(l) | Change::Changed { new: l, .. } => l,
        }
    }

    /// The monthly floor and ceiling deltas, new minus old; `None`: unknown
    /// (an amount is unknown on either side).
    pub fn delta(&self) -> (Option<f64>, Option<f64>) {
        let d = |old: Option<f64>, new: Option<f64>| Some(new? - old?);
        match self {
            Change::Added(l) => (l.floor, l.ceiling),
            Change::Removed(l) => (l.floor.map(|f| -f), l.ceiling.map(|c| -c)),
            Change::Changed { old, new } => (d(old.floor, new.floor), d(old.ceiling, new.ceiling)),
        }
    }

    /// What changed, in words: `new endpoint`, `removed`, or each factor of
    /// the assumption that differs, named when it is an instance type, a
    /// capacity, a schedule, a price or a job count, e.g.
    /// `capacity 1..2 instances → 2..6 instances`.
    pub fn what(&self) -> String {
        match self {
            Change::Added(l) if l.item.starts_with("variant") => "new endpoint".into(),
            Change::Added(l) if l.item.starts_with("step") => "new pipeline step".into(),
            Change::Added(_) => "new".into(),
            Change::Removed(_) => "removed".into(),
            Change::Changed { old, new } => {
                let mut what = Vec::new();
                let (oi, ni) = (detail(&old.item), detail(&new.item));
                if oi != ni {
                    what.push(format!("{} {oi} → {ni}", name(oi, ni).unwrap_or("item")));
                }
                let (of, nf) = (factors(&old.assumption), factors(&new.assumption));
                for (o, n) in align(&of, &nf) {
                    match (o, n) {
                        // The instance type is named once, from the item.
                        (Some(o), Some(n)) if oi != ni && o == oi && n == ni => {}
                        (Some(o), Some(n)) => what.push(match name(o, n) {
                            Some(label) => format!("{label} {o} → {n}"),
                            None => format!("{o} → {n}"),
                        }),
                        (None, Some(n)) => what.push(format!("now: {n}")),
                        (Some(o), None) => what.push(format!("no longer: {o}")),
                        (None, None) => {}
                    }
                }
                what.join("; ")
            }
        }
    }
}

/// The part of an item after its kind: `ml.m5.large` of
/// `variant Primary: ml.m5.large`.
fn detail(item: &str) -> &str {
    item.split_once(": ").map_or(item, |(_, d)| d)
}

/// The kind of an item, the same in both estimates: `variant Primary`.
fn kind(item: &str) -> &str {
    item.split_once(": ").map_or(item, |(k, _)| k)
}

/// The factors of an assumption: its parts between ` × ` and `; `.
fn factors(assumption: &str) -> Vec<&str> {
    assumption
        .split("; ")
        .flat_map(|part| part.split(" × "))
        .collect()
}

/// The factors that differ between `old` and `new`, aligned on their longest
/// common subsequence: between two common factors, the differing ones are
/// paired in order, and the rest are new (`(None, Some)`) or gone
/// (`(Some, None)`).
fn align<'a>(old: &[&'a str], new: &[&'a str]) -> Vec<(Option<&'a str>, Option<&'a str>)> {
    let (n, m) = (old.len(), new.len());
    // lcs[i][j]: the longest common subsequence of old[i..] and new[j..].
    let mut lcs = vec![vec![0usize; m + 1]; n + 1];
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            lcs[i][j] = if old[i] == new[j] {
                lcs[i + 1][j + 1] + 1
            } else {
                lcs[i + 1][j].max(lcs[i][j + 1])
            };
        }
    }
    let mut out = Vec::new();
    let (mut gone, mut added) = (Vec::new(), Vec::new());
    let flush = |gone: &mut Vec<&'a str>, added: &mut Vec<&'a str>, out: &mut Vec<_>| {
        let paired = gone.len().max(added.len());
        for k in 0..paired {
            out.push((gone.get(k).copied(), added.get(k).copied()));
        }
        gone.clear();
        added.clear();
    };
    let (mut i, mut j) = (0, 0);
    while i < n || j < m {
        if i < n && j < m && old[i] == new[j] {
            flush(&mut gone, &mut added, &mut out);
            i += 1;
            j += 1;
        } else if j < m && (i == n || lcs[i][j + 1] >= lcs[i + 1][j]) {
            added.push(new[j]);
            j += 1;
        } else {
            gone.push(old[i]);
            i += 1;
        }
    }
    flush(&mut gone, &mut added, &mut out);
    out
}

/// What a differing factor is, when it can be told.
fn name(old: &str, new: &str) -> Option<&'static str> {
    let both = |f: fn(&str) -> bool| f(old) && f(new);
    if both(|s| s.starts_with("ml.")) {
        Some("instance type")
    } else if both(|s| s.ends_with(" instances")) {
        Some("capacity")
    } else if both(|s| s.contains("cron(") || s.contains("rate(") || s.contains("not scheduled")) {
        Some("schedule")
    } else if both(|s| s.ends_with(" jobs")) {
        Some("max jobs")
    } else if both(|s| s.starts_with('$') && s.contains('/') && !s.contains(' ')) {
        Some("price")
    } else {
        None
    }
}

/// Two estimates compared line by line.
#[derive(Clone, Debug)]
pub struct Comparison {
    /// The lines that differ, in the new estimate's order (removed lines
    /// last).
    pub changes: Vec<Change>,
    /// How many lines are the same in both.
    pub unchanged: usize,
    /// The old estimate's floor, ceiling and unknown count.
    pub old: (f64, f64, usize),
    /// The new estimate's floor, ceiling and unknown count.
    pub new: (f64, f64, usize),
}

/// A line's identity across estimates: its resource and the kind of item (a
/// variant keeps its identity when its instance type changes).
fn key(l: &Line) -> (&str, &str) {
    (l.logical_id.as_str(), kind(&l.item))
}

/// Compare `old` with `new`, line by line (by logical ID and item kind) and
/// in total.
pub fn compare(old: &Estimate, new: &Estimate) -> Comparison {
    let mut changes = Vec::new();
    let mut unchanged = 0;
    let mut matched = vec![false; old.lines.len()];
    for n in &new.lines {
        let found = old
            .lines
            .iter()
            .enumerate()
            .find(|(i, o)| !matched[*i] && key(o) == key(n));
        match found {
            Some((i, o)) => {
                matched[i] = true;
                if o == n {
                    unchanged += 1;
                } else {
                    changes.push(Change::Changed {
                        old: o.clone(),
                        new: n.clone(),
                    });
                }
            }
            None => changes.push(Change::Added(n.clone())),
        }
    }
    for (o, m) in old.lines.iter().zip(&matched) {
        if !m {
            changes.push(Change::Removed(o.clone()));
        }
    }
    Comparison {
        changes,
        unchanged,
        old: (old.floor(), old.ceiling(), old.unknown()),
        new: (new.floor(), new.ceiling(), new.unknown()),
    }
}

/// `+$1.00`, `-$1.00`, `$0.00`; `unknown`.
pub fn signed(amount: Option<f64>) -> String {
    match amount {
        None => "unknown".into(),
        Some(a) if usd(a) == "$0.00" => "$0.00".into(),
        Some(a) if a > 0.0 => format!("+{}", usd(a)),
        Some(a) => usd(a),
    }
}

impl Comparison {
    /// The floor and ceiling deltas of the totals, new minus old.
    pub fn total_delta(&self) -> (f64, f64) {
        (self.new.0 - self.old.0, self.new.1 - self.old.1)
    }

    /// `$170.90 .. $861.74 → $422.75 .. $1,877.02 per month (floor +$251.85, ceiling +$1,015.28)`,
    /// with the unknown counts when there are any.
    pub fn total(&self) -> String {
        let side = |(f, c, u): (f64, f64, usize)| {
            let mut s = format!("{} .. {}", usd(f), usd(c));
            if u > 0 {
                let _ = write!(s, " (+ {u} unknown)");
            }
            s
        };
        let (df, dc) = self.total_delta();
        format!(
            "{} → {} per month (floor {}, ceiling {})",
            side(self.old),
            side(self.new),
            signed(Some(df)),
            signed(Some(dc))
        )
    }
}

/// The comparison as a table: one row per changed line (`+` added, `-`
/// removed, `~` changed) with its floor and ceiling deltas and what changed,
/// then the totals.
pub fn render_comparison(c: &Comparison) -> String {
    let mut out = String::new();
    for ch in &c.changes {
        let mark = match ch {
            Change::Added(_) => '+',
            Change::Removed(_) => '-',
            Change::Changed { .. } => '~',
        };
        let l = ch.line();
        let (df, dc) = ch.delta();
        let _ = writeln!(
            out,
            "  {mark} {:<30} {:<38} {:>12} {:>12}  {}",
            l.path,
            l.item,
            signed(df),
            signed(dc),
            ch.what()
        );
    }
    if c.changes.is_empty() {
        let _ = writeln!(out, "  no line changed ({} lines)", c.unchanged);
    } else if c.unchanged > 0 {
        let _ = writeln!(out, "  ({} lines unchanged)", c.unchanged);
    }
    let _ = writeln!(out, "  total: {}", c.total());
    out
}
