//! `cargo run --example options [-- COMMAND]`: plan, synth or check the app
//! that uses the construct options the deploy example does not.

mod stack;

fn main() -> std::process::ExitCode {
    mlcdk::cli::main(stack::app())
}
