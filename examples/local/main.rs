//! `cargo run --example local [-- COMMAND]`: the local example, for moto.
//! See the README's "Deploy locally".

mod stack;

fn main() -> std::process::ExitCode {
    mlcdk::cli::main(stack::app())
}
