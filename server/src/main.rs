//! The `showroom-server` binary: parse the configuration and run.

use clap::Parser;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = showroom_server::config::Cli::parse();
    showroom_server::init_tracing();
    match showroom_server::main(cli).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("showroom-server: {err:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
