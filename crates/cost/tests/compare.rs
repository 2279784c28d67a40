//! Two estimates compared: deltas per line and in total, and what changed.

use mlcdk_cost::{Change, Estimate, Line, compare, render_comparison, signed};

fn line(id: &str, item: &str, floor: Option<f64>, ceiling: Option<f64>, assumption: &str) -> Line {
    Line {
        logical_id: id.into(),
        path: format!("{id}/Resource"),
        item: item.into(),
        floor,
        ceiling,
        assumption: assumption.into(),
    }
}

fn estimate(lines: Vec<Line>) -> Estimate {
    Estimate {
        lines,
        budget: None,
        prices_date: "d".into(),
        prices_source: "s".into(),
    }
}

#[test]
fn deltas_per_line_and_in_total() {
    let old = estimate(vec![
        line(
            "Ep",
            "variant A: ml.m5.large",
            Some(83.95),
            Some(167.9),
            "1..2 instances × 730 h × $0.115/h",
        ),
        line("Key", "KMS key", Some(1.0), Some(1.0), "$1.00/month"),
        line(
            "Gone",
            "S3 storage",
            Some(0.0),
            Some(2.3),
            "100 GB stored × $0.023/GB-month",
        ),
        line("Fg", "feature group", Some(0.0), None, "no price"),
    ]);
    let new = estimate(vec![
        line(
            "Ep",
            "variant A: ml.m5.xlarge",
            Some(335.8),
            Some(1007.4),
            "2..6 instances × 730 h × $0.23/h",
        ),
        line("Key", "KMS key", Some(1.0), Some(1.0), "$1.00/month"),
        line(
            "New",
            "variant B: ml.c5.large",
            Some(74.46),
            Some(74.46),
            "1..1 instances × 730 h × $0.102/h",
        ),
        line("Fg", "feature group", Some(0.0), None, "no price, still"),
    ]);
    let c = compare(&old, &new);
    assert_eq!(c.unchanged, 1);
    assert_eq!(c.changes.len(), 4);
    let ep = &c.changes[0];
    let (df, dc) = ep.delta();
    assert!((df.unwrap() - (335.8 - 83.95)).abs() < 1e-9);
    assert!((dc.unwrap() - (1007.4 - 167.9)).abs() < 1e-9);
    assert_eq!(
        ep.what(),
        "instance type ml.m5.large → ml.m5.xlarge; capacity 1..2 instances → 2..6 instances; price $0.115/h → $0.23/h"
    );
    assert!(matches!(&c.changes[1], Change::Added(l) if l.logical_id == "New"));
    assert_eq!(c.changes[1].what(), "new endpoint");
    assert_eq!(c.changes[1].delta(), (Some(74.46), Some(74.46)));
    // An unknown on either side: the delta is unknown.
    assert_eq!(c.changes[2].delta(), (Some(0.0), None));
    assert!(matches!(&c.changes[3], Change::Removed(l) if l.logical_id == "Gone"));
    assert_eq!(c.changes[3].delta(), (Some(-0.0), Some(-2.3)));
    let (tf, tc) = c.total_delta();
    assert!((tf - (335.8 + 1.0 + 74.46 - 83.95 - 1.0)).abs() < 1e-9);
    assert!((tc - (1007.4 + 1.0 + 74.46 - 167.9 - 1.0 - 2.3)).abs() < 1e-9);
    assert_eq!(c.old.2, 1);
    let text = render_comparison(&c);
    assert!(text.contains("  + New/Resource"), "{text}");
    assert!(text.contains("  - Gone/Resource"), "{text}");
    assert!(text.contains("-$2.30  removed"), "{text}");
    assert!(text.contains("(1 lines unchanged)"), "{text}");
    assert!(
        text.ends_with(
            "total: $84.95 .. $171.20 (+ 1 unknown) → $411.26 .. $1,082.86 (+ 1 unknown) per month (floor +$326.31, ceiling +$911.66)\n"
        ),
        "{text}"
    );
}

#[test]
fn factors_are_aligned_when_one_side_has_more() {
    let old = estimate(vec![line(
        "P",
        "step Tune: ml.m5.large",
        Some(0.0),
        Some(3.84),
        "4.3 runs × 4 jobs × 1 × ml.m5.large × 1.00 h max × $0.115/h; spot: saves",
    )]);
    let new = estimate(vec![line(
        "P",
        "step Tune: ml.m5.2xlarge",
        Some(0.0),
        Some(76.94),
        "cron(0 3 ? * MON *) ≈ 4.3 runs × 20 jobs × 1 × ml.m5.2xlarge × 1.00 h max × $0.461/h; assumed = hosting; spot: saves",
    )]);
    let c = compare(&old, &new);
    assert_eq!(
        c.changes[0].what(),
        "instance type ml.m5.large → ml.m5.2xlarge; 4.3 runs → cron(0 3 ? * MON *) ≈ 4.3 runs; max jobs 4 jobs → 20 jobs; price $0.115/h → $0.461/h; now: assumed = hosting"
    );
    // Identical estimates: nothing changed, deltas zero.
    let c = compare(&new, &new);
    assert!(c.changes.is_empty());
    assert_eq!(c.total_delta(), (0.0, 0.0));
    assert!(render_comparison(&c).starts_with("  no line changed (1 lines)\n"));
}

#[test]
fn signed_amounts() {
    assert_eq!(signed(Some(1.0)), "+$1.00");
    assert_eq!(signed(Some(-1234.5)), "-$1,234.50");
    assert_eq!(signed(Some(0.001)), "$0.00");
    assert_eq!(signed(Some(-0.0)), "$0.00");
    assert_eq!(signed(None), "unknown");
}
