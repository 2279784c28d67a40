//! `cargo run --example deploy [-- COMMAND]`: plan, synth or list the example app.

mod stack;

fn main() -> std::process::ExitCode {
    mlcdk::cli::main(stack::app())
}
