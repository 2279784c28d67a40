//! The command line every mlcdk app gets.
//!
//! ```no_run
//! // examples/deploy/main.rs
//! # mod stack { pub fn app() -> mlcdk::core::App<()> { unimplemented!() } }
//! fn main() -> std::process::ExitCode {
//!     mlcdk::cli::main(stack::app())
//! }
//! ```
//!
//! | command | what it does |
//! |---|---|
//! | (none) | plan: synthesize every stage to `out/` and print a summary; needs no credentials |
//! | `check [--stage NAME]` | the rule pack's findings per stage; exit 1 on any error finding |
//! | `cost [--stage NAME] [--prices FILE]` | monthly estimate per resource against the budget; exit 1 when the floor exceeds it |
//! | `synth [--out DIR] [--stage NAME]` | write `<stack>.template.json` per stage and `manifest.json` |
//! | `list` | stages, stacks, environments and resource counts |
//! | `diff --stage NAME` | what a deploy would change (a change set created and deleted) |
//! | `diff --stages A,B` | every difference between two stages' templates (offline) |
//! | `schema` | the JSON Schema of the stage knobs |
//! | `deploy --stage NAME [--yes] [--allow-replace] [--check-drift] [--allow-drift]` | deploy through a change set; production (or `--check-drift`) detects drift first and refuses to revert it without `--allow-drift` |
//! | `drift --stage NAME` | what was changed in the deployed stage outside its definition; exit 1 when anything drifted or detection failed |
//! | `destroy --stage NAME [--yes] [--production]` | delete the stack; retained resources are listed |
//! | `bootstrap --stage NAME [--yes]` | the assets bucket of the stage's account and region |
//!
//! Exit codes: 0 success (`drift`: in sync); 1 findings, failed or refused
//! deploy, drift found, or an I/O error; 2 usage or validation errors (nothing
//! is written then).

#[doc(inline)]
pub use mlcdk_cli::*;
