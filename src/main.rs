use clap::Parser;

fn main() -> std::process::ExitCode {
    partnership_hub::cli::Cli::parse().run()
}
